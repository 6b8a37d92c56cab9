/**
 * The queue executor (the coordinator's side): every planned run becomes a BullMQ job whose
 * id is the run id, `inertia worker` processes anywhere train them, and each finished job's
 * result (the compressed run folder) is written into the runs folder here. Jobs live in a
 * queue of their own sweep (`inertia:<sweep id>:*`), registered so that workers find it.
 *
 * Restarting is safe: runs already on disk are never planned again (the caller skips them),
 * a job that already exists is not enqueued twice, and jobs that finished while no
 * coordinator was running are collected from the queue.
 */
import { Job, Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import type { Executor, ExecutorEvent, PlannedRun, RunAttempt } from '../executor.js';
import { stableJson } from '../../util/json.js';
import { parseQueueUrl, type QueueConnection } from './connection.js';
import {
  JOB_ATTEMPTS,
  KEY_PREFIX,
  REGISTRY_KEY,
  checkSweepId,
  inertiaVersion,
  makePayload,
  unpackRunFolder,
  type JobPayload,
  type JobResult,
  type SweepRegistration,
} from './protocol.js';

export interface QueueExecutorOptions {
  /** redis://[user:password@]host[:port][/db] */
  url: string;
  /** Names the queue: two sweeps on one Redis never share jobs. */
  sweepId: string;
  /** Seconds without a completion or failure event before pending jobs are looked up directly (default 10). */
  pollSeconds?: number;
}

/** Progress a worker reports on a job (`progress: null` when it starts the run). */
export interface JobProgress {
  worker: string;
  progress: import('../../train/train.js').TrainProgress | null;
}

const JOB_OPTIONS = {
  attempts: JOB_ATTEMPTS,
  backoff: { type: 'exponential', delay: 1000 },
  // Results stay until the coordinator has written them to disk; it removes each job then.
  removeOnComplete: false,
  removeOnFail: false,
} as const;

function errorText(error: unknown): string {
  if (error instanceof Error) return (error as NodeJS.ErrnoException).code ?? error.message;
  return String(error);
}

export class QueueExecutor implements Executor {
  readonly slots = 0;
  readonly description: string;
  readonly sweepId: string;
  private readonly connection: QueueConnection;
  private readonly queue: Queue;
  private readonly events: QueueEvents;
  /** A plain connection for the registry. */
  private readonly redis: Redis;
  private readonly pollMs: number;
  private heartbeat?: NodeJS.Timeout;
  private notify: (event: ExecutorEvent) => void = () => {};
  private unreachable = false;
  private finished = false;

  constructor(options: QueueExecutorOptions) {
    this.sweepId = checkSweepId(options.sweepId);
    this.connection = parseQueueUrl(options.url);
    this.description = `queue ${this.connection.masked}, sweep ${this.sweepId}`;
    this.pollMs = (options.pollSeconds ?? 10) * 1000;
    const shared = { connection: this.connection.options, prefix: KEY_PREFIX };
    this.queue = new Queue(this.sweepId, shared);
    this.events = new QueueEvents(this.sweepId, shared);
    this.redis = new Redis(this.connection.options);
    const onError = (error: Error) => {
      if (this.unreachable) return;
      this.unreachable = true;
      this.notify({
        type: 'notice',
        message: `queue: Redis at ${this.connection.masked} unreachable (${errorText(error)}); retrying with backoff`,
      });
    };
    this.queue.on('error', onError);
    this.events.on('error', onError);
    this.redis.on('error', onError);
    this.redis.on('ready', () => {
      if (!this.unreachable) return;
      this.unreachable = false;
      this.notify({ type: 'notice', message: `queue: Redis at ${this.connection.masked} reachable again` });
    });
  }

  /** Announces the sweep to workers and keeps the announcement fresh while it runs. */
  private async register(): Promise<void> {
    const registration: SweepRegistration = {
      sweepId: this.sweepId,
      version: inertiaVersion(),
      registeredAt: Date.now(),
    };
    const client = this.redis;
    await client.hset(REGISTRY_KEY, this.sweepId, JSON.stringify(registration));
    const aliveKey = `${KEY_PREFIX}:registry:alive:${this.sweepId}`;
    await client.set(aliveKey, '1', 'EX', 3600);
    this.heartbeat ??= setInterval(() => void client.set(aliveKey, '1', 'EX', 3600).catch(() => {}), 60_000);
    this.heartbeat.unref();
  }

  /** Adds the jobs that are not in the queue yet; replaces failed ones and ones of another config. */
  private async enqueue(runs: readonly PlannedRun[]): Promise<void> {
    const toAdd: PlannedRun[] = [];
    for (const run of runs) {
      const job = await Job.fromId<JobPayload>(this.queue, run.id);
      if (job) {
        const state = await job.getState();
        const sameConfig = stableJson(job.data?.config ?? null) === stableJson(JSON.parse(JSON.stringify(run.config)));
        if (state !== 'failed' && (sameConfig || state === 'active')) continue;
        await job.remove();
      }
      toAdd.push(run);
    }
    for (let start = 0; start < toAdd.length; start += 500) {
      await this.queue.addBulk(
        toAdd.slice(start, start + 500).map((run) => ({
          name: 'train',
          data: makePayload(run.id, run.config),
          opts: { ...JOB_OPTIONS, jobId: run.id },
        })),
      );
    }
  }

  /** Writes a completed job's run folder and removes the job; a malformed result is a failed run. */
  private async collect(job: Job, runsDir: string): Promise<RunAttempt> {
    const runId = job.id!;
    const result = job.returnvalue as Partial<JobResult> | null;
    const worker = typeof result?.worker === 'string' ? result.worker : 'unknown';
    try {
      if (typeof result?.archive !== 'string') throw new Error('the job result holds no run folder');
      unpackRunFolder(result.archive, runsDir, runId);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { runId, status: 'failed', worker, error: message, attempts: job.attemptsMade };
    }
    const collectedAt = Date.now();
    await job.remove().catch(() => {});
    return {
      runId,
      status: 'finished',
      worker,
      timings: {
        queuedAt: job.timestamp,
        startedAt: job.processedOn ?? NaN,
        finishedAt: job.finishedOn ?? NaN,
        collectedAt,
      },
    };
  }

  async execute(
    runs: readonly PlannedRun[],
    runsDir: string,
    onEvent: (event: ExecutorEvent) => void = () => {},
  ): Promise<RunAttempt[]> {
    this.notify = onEvent;
    if (runs.length === 0) return [];
    this.finished = false;
    const collection = new Collection(runs, onEvent, (runId) => this.finishedAttempt(runId, runsDir));
    const onCompleted = ({ jobId }: { jobId: string }) => collection.watch(jobId);
    const onFailed = ({ jobId }: { jobId: string }) => collection.watch(jobId);
    const onProgress = ({ jobId, data }: { jobId: string; data: unknown }) => collection.progress(jobId, data);
    this.events.on('completed', onCompleted);
    this.events.on('failed', onFailed);
    this.events.on('progress', onProgress);
    const poll = setInterval(() => collection.pollWhenQuiet(this.pollMs), 1000);
    try {
      await this.events.waitUntilReady();
      await this.register();
      await this.enqueue(runs);
      // Jobs that finished before we listened (a restarted coordinator) are collected now.
      await Promise.all(runs.map((run) => collection.lookUp(run.id)));
      await collection.done;
    } finally {
      clearInterval(poll);
      this.events.off('completed', onCompleted);
      this.events.off('failed', onFailed);
      this.events.off('progress', onProgress);
    }
    this.finished = true;
    return runs.map((run) => collection.attempts.get(run.id)!);
  }

  /** The attempt of a job that has finished for good (collected when it completed), or null. */
  private async finishedAttempt(runId: string, runsDir: string): Promise<RunAttempt | null> {
    const job = await Job.fromId(this.queue, runId);
    if (!job) return null;
    const state = await job.getState();
    if (state === 'completed') return this.collect(job, runsDir);
    if (state !== 'failed') return null;
    return {
      runId,
      status: 'failed',
      worker: 'unknown',
      error: job.failedReason || 'failed without a reason',
      attempts: job.attemptsMade,
    };
  }

  /**
   * Closes the connections. After a sweep whose runs all came in, the sweep's queue (and any
   * job left in it) and its registration are removed; otherwise they stay for a restart.
   */
  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.finished) {
      await this.queue.obliterate({ force: true });
      await this.redis.hdel(REGISTRY_KEY, this.sweepId);
      await this.redis.del(`${KEY_PREFIX}:registry:alive:${this.sweepId}`);
    }
    await this.events.close();
    await this.queue.close();
    this.redis.disconnect();
  }
}

/**
 * One execute() call's bookkeeping: the runs still out, the attempts that came in, and a
 * promise that resolves when every run is in (or rejects when looking a job up fails).
 */
class Collection {
  private readonly pending: Set<string>;
  readonly attempts = new Map<string, RunAttempt>();
  private readonly looking = new Set<string>();
  private lastEvent = Date.now();
  readonly done: Promise<void>;
  private allIn!: () => void;
  private broken!: (error: unknown) => void;

  constructor(
    runs: readonly PlannedRun[],
    private readonly onEvent: (event: ExecutorEvent) => void,
    private readonly finishedAttempt: (runId: string) => Promise<RunAttempt | null>,
  ) {
    this.pending = new Set(runs.map((run) => run.id));
    this.done = new Promise<void>((resolve, reject) => {
      this.allIn = resolve;
      this.broken = reject;
    });
  }

  /** Looks the job up and settles its run when it has finished for good. */
  async lookUp(runId: string): Promise<void> {
    if (!this.pending.has(runId) || this.looking.has(runId)) return;
    this.looking.add(runId);
    try {
      const attempt = await this.finishedAttempt(runId);
      if (attempt) this.settle(attempt);
    } finally {
      this.looking.delete(runId);
    }
  }

  /** A queue event about the job: news for the poll, and a reason to look it up. */
  watch(runId: string): void {
    this.lastEvent = Date.now();
    this.lookUp(runId).catch(this.broken);
  }

  /** Progress does not count as news for the poll: a missed completion is found even while others report progress. */
  progress(runId: string, data: unknown): void {
    if (!this.pending.has(runId) || typeof data !== 'object' || data === null) return;
    const { worker, progress } = data as JobProgress;
    if (progress === null) this.onEvent({ type: 'run-start', runId, worker });
    else this.onEvent({ type: 'progress', worker, progress });
  }

  /** After `quietMs` without news, looks every pending job up (an event may have been missed). */
  pollWhenQuiet(quietMs: number): void {
    if (Date.now() - this.lastEvent < quietMs) return;
    this.lastEvent = Date.now();
    for (const runId of this.pending) this.lookUp(runId).catch(this.broken);
  }

  private settle(attempt: RunAttempt): void {
    if (!this.pending.delete(attempt.runId)) return;
    this.attempts.set(attempt.runId, attempt);
    this.onEvent({ type: 'run-end', attempt });
    if (this.pending.size === 0) this.allIn();
  }
}
