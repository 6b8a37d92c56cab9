/**
 * The queue executor (the coordinator's side): every planned run becomes a BullMQ job whose
 * id is the run id, `inertia worker` processes anywhere train them, and each finished job's
 * result (the compressed run folder) is written into the runs folder here. Jobs live in a
 * queue of their own sweep (`inertia:<sweep id>:*`), registered so that workers find it.
 *
 * Restarting is safe: runs already on disk are never planned again (the caller skips them),
 * a job that already exists is not enqueued twice, and jobs that finished while no
 * coordinator was running are collected from the queue. When Redis comes back without its
 * data, the sweep is registered again and its missing jobs enqueued again. A result is
 * written only when it is the run its job asked for, and the queue is deleted at the end only
 * when every result that came in was written (a full disk leaves them for the next run).
 */
import { Job, Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { beforeStopExit } from '../../runs/stopSignals.js';
import type { Executor, ExecutorEvent, PlannedRun, RunAttempt, RunSettings } from '../executor.js';
import { stableJson } from '../../util/json.js';
import { RedisHealth, connectionProblem, parseQueueUrl, type QueueConnection } from './connection.js';
import {
  JOB_ATTEMPTS,
  KEY_PREFIX,
  REGISTRY_KEY,
  checkResultMatches,
  checkSweepId,
  makePayload,
  removeStagingFolders,
  unpackRunFolder,
  type JobPayload,
  type JobResult,
  type SweepRegistration,
} from './protocol.js';
import { inertiaVersion } from '../../util/provenance.js';

export interface QueueExecutorOptions {
  /** redis://[user:password@]host[:port][/db] */
  url: string;
  /** Names the queue: two sweeps on one Redis never share jobs. */
  sweepId: string;
  /** Seconds without a completion or failure event before pending jobs are looked up directly (default 10). */
  pollSeconds?: number;
  /** How every run is trained (sent in each job; a run's own settings override them). */
  settings?: RunSettings;
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

/** Jobs looked up, or added, per round trip batch: memory and Redis calls stay bounded for any grid. */
const BATCH = 500;

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** An error of the file system (ENOSPC, EIO, EACCES, ...): the result is fine, this machine could not write it. */
function isWriteError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}

export class QueueExecutor implements Executor {
  readonly slots = 0;
  readonly description: string;
  readonly sweepId: string;
  private readonly connection: QueueConnection;
  /** Made once Redis answered (a graceful close of BullMQ's clients waits for a Redis that never came). */
  private queue!: Queue;
  private events!: QueueEvents;
  private connected: Promise<void> | null = null;
  /** A plain connection for the registry. */
  private readonly redis: Redis;
  private readonly pollMs: number;
  private readonly settings: RunSettings;
  private readonly health: RedisHealth;
  private heartbeat?: NodeJS.Timeout;
  /** Where notices go while a sweep executes; before that they wait in `earlyNotices`. */
  private notify: ((event: ExecutorEvent) => void) | null = null;
  private readonly earlyNotices: string[] = [];
  /** The runs of the current execute() call, by id. */
  private planned = new Map<string, PlannedRun>();
  private collection: Collection | null = null;
  private disconnected = false;
  private resyncing = false;
  /** Runs whose result came in but could not be written here: their jobs stay in the queue. */
  private readonly unwritten = new Set<string>();
  private finished = false;

  constructor(options: QueueExecutorOptions) {
    this.sweepId = checkSweepId(options.sweepId);
    this.connection = parseQueueUrl(options.url);
    this.description = `queue ${this.connection.masked}, sweep ${this.sweepId}`;
    this.pollMs = (options.pollSeconds ?? 10) * 1000;
    this.settings = options.settings ?? {};
    this.health = new RedisHealth('queue', this.connection.masked, (message) => this.say(message));
    this.redis = new Redis(this.connection.options);
    this.redis.on('error', this.onError);
    this.redis.on('close', () => (this.disconnected = true));
    this.redis.on('ready', () => {
      this.health.onReady();
      if (!this.disconnected) return;
      this.disconnected = false;
      // Redis may have come back without its data: register and enqueue again what is missing.
      if (this.collection) void this.resync(this.collection);
    });
  }

  private readonly onError = (error: Error) => {
    if (!this.health.onError(error)) this.say(`queue: Redis error: ${errorText(error)}`);
  };

  /** Waits until Redis answers, then makes the sweep's queue and its event stream. */
  private connect(): Promise<void> {
    this.connected ??= (async () => {
      // (events.once would reject on the first connection error, which ioredis retries.)
      if (this.redis.status !== 'ready') await new Promise((resolve) => this.redis.once('ready', resolve));
      const shared = { connection: this.connection.options, prefix: KEY_PREFIX };
      this.queue = new Queue(this.sweepId, shared);
      this.events = new QueueEvents(this.sweepId, shared);
      this.queue.on('error', this.onError);
      this.events.on('error', this.onError);
      await this.events.waitUntilReady();
    })();
    return this.connected;
  }

  /** A notice for the user: shown at once while a sweep executes, else when it starts. */
  private say(message: string): void {
    if (this.notify) this.notify({ type: 'notice', message });
    else this.earlyNotices.push(message);
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

  /** The job of a run, null when there is none, 'malformed' when Redis holds one that does not parse. */
  private async findJob(runId: string): Promise<Job<JobPayload> | null | 'malformed'> {
    try {
      return (await Job.fromId<JobPayload>(this.queue, runId)) ?? null;
    } catch (error) {
      if (error instanceof SyntaxError) return 'malformed';
      throw error;
    }
  }

  /** Adds the jobs that are not in the queue yet; replaces failed ones and ones of another config. */
  private async enqueue(runs: readonly PlannedRun[]): Promise<void> {
    for (let start = 0; start < runs.length; start += BATCH) {
      const batch = runs.slice(start, start + BATCH);
      const keep = await Promise.all(batch.map((run) => this.keepJob(run)));
      await this.addJobs(batch.filter((_, index) => !keep[index]));
    }
  }

  /** Whether the run's job in the queue stands (it is this config and has not failed); removes it otherwise. */
  private async keepJob(run: PlannedRun): Promise<boolean> {
    const job = await this.findJob(run.id);
    if (job === null) return false;
    if (job === 'malformed') {
      await this.queue.remove(run.id);
      return false;
    }
    const state = await job.getState();
    const sameConfig = stableJson(job.data?.config ?? null) === stableJson(JSON.parse(JSON.stringify(run.config)));
    const sameSettings = stableJson(job.data?.settings ?? null) === stableJson(this.settingsOf(run));
    if (state !== 'failed' && ((sameConfig && sameSettings) || state === 'active')) return true;
    await job.remove();
    return false;
  }

  private settingsOf(run: PlannedRun): RunSettings {
    return { ...this.settings, ...run.settings };
  }

  /** Adds jobs (a job id that exists already is left as it is). */
  private async addJobs(runs: readonly PlannedRun[]): Promise<void> {
    for (let start = 0; start < runs.length; start += BATCH) {
      await this.queue.addBulk(
        runs.slice(start, start + BATCH).map((run) => ({
          name: 'train',
          data: makePayload(run.id, run.config, this.settingsOf(run)),
          opts: { ...JOB_OPTIONS, jobId: run.id },
        })),
      );
    }
  }

  /**
   * Writes a completed job's run folder and removes the job. A result that is not the job's run
   * is a failed run (its job is removed, so the next run of the command trains it again); a
   * result that cannot be written here (disk full) is a failed run whose job stays in the queue.
   */
  private async collect(job: Job, runsDir: string): Promise<RunAttempt> {
    const runId = job.id!;
    const result = job.returnvalue as Partial<JobResult> | null;
    const worker = typeof result?.worker === 'string' ? result.worker : 'unknown';
    const planned = this.planned.get(runId)!;
    try {
      if (typeof result?.archive !== 'string') throw new Error('the job result holds no run folder');
      unpackRunFolder(result.archive, runsDir, runId, (files) => checkResultMatches(files, runId, planned.config));
    } catch (error) {
      if (isWriteError(error)) {
        this.unwritten.add(runId);
        const error_ = `its result could not be written here (${errorText(error)}); it stays in the queue: free the space and run the same command again to collect it`;
        return { runId, status: 'failed', worker, error: error_, attempts: job.attemptsMade };
      }
      await job.remove().catch(() => {});
      return { runId, status: 'failed', worker, error: errorText(error), attempts: job.attemptsMade };
    }
    this.unwritten.delete(runId);
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
    for (const message of this.earlyNotices.splice(0)) onEvent({ type: 'notice', message });
    if (runs.length === 0) return [];
    this.finished = false;
    this.planned = new Map(runs.map((run) => [run.id, run]));
    // The sweep or study holds the folder's lock: what a killed coordinator was unpacking is stale.
    removeStagingFolders(runsDir);
    await this.connect();
    const collection = new Collection(runs, onEvent, (runId) => this.finishedAttempt(runId, runsDir));
    this.collection = collection;
    const onCompleted = ({ jobId }: { jobId: string }) => collection.watch(jobId);
    const onFailed = ({ jobId }: { jobId: string }) => collection.watch(jobId);
    const onProgress = ({ jobId, data }: { jobId: string; data: unknown }) => collection.progress(jobId, data);
    this.events.on('completed', onCompleted);
    this.events.on('failed', onFailed);
    this.events.on('progress', onProgress);
    const poll = setInterval(() => {
      if (collection.quietFor(this.pollMs)) void this.resync(collection);
    }, 1000);
    // A stopped sweep takes its waiting jobs off the queue; active ones finish and wait to be collected.
    const unregister = beforeStopExit(() => this.queue.drain(true));
    try {
      await this.register();
      await this.enqueue(runs);
      // Jobs that finished before we listened (a restarted coordinator) are collected now.
      await this.requeueMissing(await collection.lookUpAll());
      await collection.done;
    } finally {
      unregister();
      clearInterval(poll);
      this.collection = null;
      this.events.off('completed', onCompleted);
      this.events.off('failed', onFailed);
      this.events.off('progress', onProgress);
    }
    this.finished = true;
    return runs.map((run) => collection.attempts.get(run.id)!);
  }

  /**
   * Registers the sweep again and looks every pending job up: one that finished is collected,
   * one that Redis no longer holds (restarted without its data) is enqueued again.
   */
  private async resync(collection: Collection): Promise<void> {
    if (this.resyncing) return;
    this.resyncing = true;
    try {
      await this.register();
      await this.requeueMissing(await collection.lookUpAll());
    } catch (error) {
      // Redis trouble is said by the error handlers and retried by the next poll; anything else ends the sweep.
      if (!(error instanceof Error && connectionProblem(error) !== null)) collection.fail(error);
    } finally {
      this.resyncing = false;
    }
  }

  private async requeueMissing(runIds: readonly string[]): Promise<void> {
    if (runIds.length === 0) return;
    await this.addJobs(runIds.map((runId) => this.planned.get(runId)!));
    this.say(
      `queue: ${runIds.length} job${runIds.length > 1 ? 's were' : ' was'} missing from Redis (restarted without its data?); enqueued again`,
    );
  }

  /** The attempt of a job that has finished for good (collected when it completed), 'missing', or null. */
  private async finishedAttempt(runId: string, runsDir: string): Promise<RunAttempt | 'missing' | null> {
    // The state first: a job read before it completes would hold no result yet.
    const state = await this.queue.getJobState(runId);
    if (state === 'unknown') return 'missing';
    if (state !== 'completed' && state !== 'failed') return null;
    const job = await this.findJob(runId);
    if (job === null) return null;
    const failed = (error: string, attempts: number): RunAttempt => ({
      runId,
      status: 'failed',
      worker: 'unknown',
      error,
      attempts,
    });
    if (job === 'malformed') {
      await this.queue.remove(runId);
      return failed('its job in Redis does not parse (the data or options are not JSON)', 1);
    }
    if (state === 'completed') return this.collect(job, runsDir);
    return failed(job.failedReason || 'failed without a reason', job.attemptsMade);
  }

  /**
   * Closes the connections. After a sweep whose runs all came in and were written, the sweep's
   * queue (and any job left in it) and its registration are removed; otherwise they stay for a
   * restart, which collects the results that could not be written.
   */
  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.queue === undefined) {
      // Redis never answered: nothing was made there.
      this.redis.disconnect();
      return;
    }
    if (this.finished && this.unwritten.size === 0) {
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
  readonly fail: (error: unknown) => void;

  constructor(
    runs: readonly PlannedRun[],
    private readonly onEvent: (event: ExecutorEvent) => void,
    private readonly finishedAttempt: (runId: string) => Promise<RunAttempt | 'missing' | null>,
  ) {
    this.pending = new Set(runs.map((run) => run.id));
    let broken!: (error: unknown) => void;
    this.done = new Promise<void>((resolve, reject) => {
      this.allIn = resolve;
      broken = reject;
    });
    this.fail = broken;
  }

  /** Looks the job up and settles its run when it has finished for good; 'missing' when Redis has no such job. */
  async lookUp(runId: string): Promise<'missing' | null> {
    if (!this.pending.has(runId) || this.looking.has(runId)) return null;
    this.looking.add(runId);
    try {
      const attempt = await this.finishedAttempt(runId);
      if (attempt === 'missing') return 'missing';
      if (attempt) this.settle(attempt);
      return null;
    } finally {
      this.looking.delete(runId);
    }
  }

  /** Looks every pending job up, a batch at a time; resolves with the runs whose job is missing. */
  async lookUpAll(): Promise<string[]> {
    this.lastEvent = Date.now();
    const ids = [...this.pending];
    const missing: string[] = [];
    for (let start = 0; start < ids.length; start += BATCH) {
      const batch = ids.slice(start, start + BATCH);
      const found = await Promise.all(batch.map((runId) => this.lookUp(runId)));
      missing.push(...batch.filter((_, index) => found[index] === 'missing'));
    }
    return missing;
  }

  /** A queue event about the job: news for the poll, and a reason to look it up. */
  watch(runId: string): void {
    this.lastEvent = Date.now();
    this.lookUp(runId).catch(this.fail);
  }

  /** Progress does not count as news for the poll: a missed completion is found even while others report progress. */
  progress(runId: string, data: unknown): void {
    if (!this.pending.has(runId) || typeof data !== 'object' || data === null) return;
    const { worker, progress } = data as JobProgress;
    if (progress === null) this.onEvent({ type: 'run-start', runId, worker });
    else this.onEvent({ type: 'progress', worker, progress });
  }

  /** Whether `quietMs` passed without news (an event may have been missed, or Redis lost its data). */
  quietFor(quietMs: number): boolean {
    return Date.now() - this.lastEvent >= quietMs;
  }

  private settle(attempt: RunAttempt): void {
    if (!this.pending.delete(attempt.runId)) return;
    this.attempts.set(attempt.runId, attempt);
    this.onEvent({ type: 'run-end', attempt });
    if (this.pending.size === 0) this.allIn();
  }
}
