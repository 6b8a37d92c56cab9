/**
 * `inertia worker`'s engine: finds the sweeps registered on a Redis server, takes their jobs
 * (BullMQ workers, one per sweep) and trains each on a local pool of `concurrency` slots,
 * then returns the finished run folder, compressed, as the job's result. No shared
 * filesystem: runs train in a temporary folder that is removed afterwards.
 *
 * Faults: a job whose payload fails validation (or comes from another inertia version) fails
 * at once, with the same message a bad flag would get (`UnrecoverableError`: no retries); a
 * run that throws is retried by BullMQ (`JOB_ATTEMPTS`, exponential backoff); a worker that
 * dies mid-run stops renewing its lock, and BullMQ's stalled-job check hands the job to
 * another worker. A job whose data does not even parse as JSON fails at once with that reason.
 * Redis going away or refusing the connection is reported in one line per cause and retried
 * with backoff (up to `exitOnUnreachableSeconds` when given); other errors are never reported as
 * an outage. An abort ends the wait for Redis at once.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Job, UnrecoverableError, Worker, type JobJson, type WorkerOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { LocalExecutor } from '../local.js';
import type { ExecutorEvent } from '../executor.js';
import { readRunRecord, writeJsonFile } from '../../runs/runFolder.js';
import { readMetrics } from '../../runs/metrics.js';
import { RedisHealth, parseQueueUrl, type QueueConnection } from './connection.js';
import type { JobProgress } from './coordinator.js';
import {
  JOB_FORMAT,
  KEY_PREFIX,
  REGISTRY_KEY,
  packRunFolder,
  parsePayload,
  type JobPayload,
  type JobResult,
  type SweepRegistration,
} from './protocol.js';
import { inertiaVersion } from '../../util/provenance.js';
import { UserError } from '../../util/errors.js';
import { formatPercent } from '../../util/format.js';

export interface WorkerServiceOptions {
  /** redis://[user:password@]host[:port][/db] */
  url: string;
  /** Runs trained at the same time (worker processes of the local pool). */
  concurrency: number;
  /** Lock of an active job in ms; a job whose worker stops renewing it is retried elsewhere (default 30000). */
  lockMs?: number;
  /** Seconds between looks at the sweep registry (default 2). */
  discoverSeconds?: number;
  /** Exit with an error once Redis has been unreachable (or refusing) this many seconds in a row (default: never). */
  exitOnUnreachableSeconds?: number;
  /** One-line messages: finished runs, refused jobs, Redis trouble. */
  onLine: (text: string) => void;
  /** Progress of the runs trained here. */
  onEvent?: (event: ExecutorEvent) => void;
  /** Stops taking jobs when aborted; active runs finish first. */
  signal?: AbortSignal;
}

export interface WorkerSummary {
  trained: number;
  failed: number;
  refused: number;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function finishedLine(runId: string, dir: string): string {
  const record = readRunRecord(dir);
  const rows = readMetrics(path.join(dir, 'metrics.csv'));
  const last = rows.filter((row) => row.split !== 'train' && row.metric === 'accuracy').at(-1);
  const seconds = Number(record?.summary?.seconds ?? NaN);
  const accuracyText =
    last === undefined ? 'no held-out accuracy' : `${last.split} accuracy ${formatPercent(last.value, 2)}`;
  return `${runId}: ${record?.status ?? 'unknown'}, ${accuracyText}, ${seconds.toFixed(1)} s`;
}

/** Serves jobs until `signal` aborts; resolves with counts once every active job is done. */
export async function runWorkerService(options: WorkerServiceOptions): Promise<WorkerSummary> {
  const connection = parseQueueUrl(options.url);
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
    throw new UserError(`Invalid concurrency value: ${options.concurrency} (expected a positive integer)`);
  }
  checkPositive('lock', options.lockMs, 'milliseconds');
  checkPositive('exit-on-unreachable', options.exitOnUnreachableSeconds, 'seconds');
  const service = new WorkerService(options, connection);
  const tick = (options.discoverSeconds ?? 2) * 1000;
  // One discovery at a time: while Redis is away it waits, and the loop goes on without it.
  let discovery: Promise<void> | null = null;
  try {
    while (!options.signal?.aborted) {
      const started = Date.now();
      discovery ??= service
        .discover()
        .catch(() => {})
        .finally(() => (discovery = null));
      await Promise.race([discovery, pause(tick, options.signal)]);
      service.checkUnreachable();
      await pause(Math.max(0, tick - (Date.now() - started)), options.signal);
    }
  } finally {
    await service.close();
  }
  return service.summary;
}

function checkPositive(name: string, value: number | undefined, unit: string): void {
  if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
    throw new UserError(`Invalid ${name} value: ${value} (expected a number of ${unit} > 0)`);
  }
}

/**
 * A BullMQ worker that fails a job whose data or options do not parse (written by something
 * other than inertia) at once, with that reason, instead of an error in its fetch loop that
 * leaves the job active and started again forever.
 */
class CheckedWorker extends Worker {
  /** `redis`: a plain connection to the same server, for reading and repairing such jobs. */
  constructor(
    name: string,
    processor: (job: Job) => Promise<JobResult>,
    options: WorkerOptions,
    private readonly redis: Redis,
  ) {
    super(name, processor, options);
    // BullMQ reports a job whose options do not parse as an error of its fetch, the job left active.
    this.on('error', (error) => {
      if (error instanceof SyntaxError) void this.failUnreadableActive(error).catch(() => {});
    });
  }

  protected override createJob(data: JobJson, jobId: string): Job {
    try {
      return super.createJob(data, jobId);
    } catch (error) {
      const reason = `Job ${jobId}: its data is not JSON (${message(error)})`;
      return super.createJob({ ...data, data: JSON.stringify({ [MALFORMED]: reason }) }, jobId);
    }
  }

  /**
   * Every active job of this queue whose options do not parse gets readable ones and a data
   * field naming the problem, then fails for good under the lock it holds.
   */
  private async failUnreadableActive(error: Error): Promise<void> {
    for (const jobId of await this.redis.lrange(this.keys.active, 0, -1)) {
      const key = this.toKey(jobId);
      try {
        JSON.parse((await this.redis.hget(key, 'opts')) ?? '{}');
        continue;
      } catch {
        // Repaired below.
      }
      const reason = `Job ${jobId}: its options are not JSON (${message(error)})`;
      await this.redis.hset(key, 'opts', '{}', 'data', JSON.stringify({ [MALFORMED]: reason }));
      const token = await this.redis.get(`${key}:lock`);
      const job = await Job.fromId(this, jobId);
      if (job && token) await job.moveToFailed(new UnrecoverableError(reason), token);
    }
  }
}

/** The data field of a stand-in job for one whose data did not parse. */
const MALFORMED = 'inertia:malformed';

/**
 * Resolves after `ms`, or at once when `signal` aborts. Node's abortable timer removes its abort
 * listener when it fires, so a long-lived signal does not collect one listener per pause.
 */
export function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return sleep(ms, undefined, { signal }).catch((error: unknown) => {
    if (!(error instanceof Error && error.name === 'AbortError')) throw error;
  });
}

/** One worker process: a BullMQ worker per served sweep, all training on one local pool. */
class WorkerService {
  readonly summary: WorkerSummary = { trained: 0, failed: 0, refused: 0 };
  private readonly name = `${os.hostname()}:${process.pid}`;
  private readonly version = inertiaVersion();
  private readonly lockDuration: number;
  /**
   * A pool of processes even for one slot when it is available: training then never blocks
   * this process's event loop, which renews the job locks.
   */
  private readonly local: LocalExecutor;
  private readonly redis: Redis;
  private readonly workers = new Map<string, Worker>();
  private readonly refusedSweeps = new Set<string>();
  private readonly health: RedisHealth;
  /** Errors that are not about the connection, said once each. */
  private readonly saidErrors = new Set<string>();

  constructor(
    private readonly options: WorkerServiceOptions,
    private readonly connection: QueueConnection,
  ) {
    this.lockDuration = options.lockMs ?? 30_000;
    this.local = new LocalExecutor({ workers: options.concurrency, processes: true });
    this.health = new RedisHealth('worker', connection.masked, options.onLine);
    this.redis = new Redis(connection.options);
    this.redis.on('error', this.onError);
    this.redis.on('ready', this.health.onReady);
  }

  private readonly onError = (error: Error, sweepId?: string) => {
    if (this.health.onError(error)) return;
    const text = `${sweepId === undefined ? '' : `sweep ${sweepId}: `}${message(error)}`;
    if (this.saidErrors.has(text)) return;
    this.saidErrors.add(text);
    this.options.onLine(`worker: error: ${text}`);
  };

  /** Throws once Redis has been unreachable for `exitOnUnreachableSeconds`. */
  checkUnreachable(): void {
    const limit = this.options.exitOnUnreachableSeconds;
    const since = this.health.troubledSince;
    if (limit === undefined || since === null || Date.now() - since < limit * 1000) return;
    throw new UserError(
      `worker: gave up on Redis at ${this.connection.masked} after ${limit} s: ${this.health.causes()} (--exit-on-unreachable)`,
    );
  }

  /** Starts serving new sweeps of this version and stops serving the ones that ended. */
  async discover(): Promise<void> {
    const entries = await this.redis.hgetall(REGISTRY_KEY);
    for (const [sweepId, text] of Object.entries(entries)) {
      if (this.workers.has(sweepId) || this.refusedSweeps.has(sweepId)) continue;
      if (!this.sameVersion(sweepId, text)) continue;
      if ((await this.redis.exists(`${KEY_PREFIX}:registry:alive:${sweepId}`)) === 0) continue;
      this.serve(sweepId);
    }
    for (const [sweepId, worker] of this.workers) {
      if (sweepId in entries) continue;
      this.workers.delete(sweepId);
      await worker.close();
    }
  }

  /** Whether the sweep was started by this inertia version (a sweep of another is refused once, with a line). */
  private sameVersion(sweepId: string, registrationText: string): boolean {
    let registration: SweepRegistration;
    try {
      registration = JSON.parse(registrationText) as SweepRegistration;
    } catch {
      return false;
    }
    if (registration.version === this.version) return true;
    this.refusedSweeps.add(sweepId);
    this.options.onLine(
      `worker: not serving sweep ${sweepId}: it was started by inertia ${registration.version}, this worker runs ${this.version}; run the same version everywhere`,
    );
    return false;
  }

  private serve(sweepId: string): void {
    const options = {
      connection: this.connection.options,
      prefix: KEY_PREFIX,
      concurrency: this.options.concurrency,
      lockDuration: this.lockDuration,
      stalledInterval: this.lockDuration,
      maxStalledCount: 2,
      name: this.name,
    };
    const worker = new CheckedWorker(sweepId, (job) => this.processJob(job), options, this.redis);
    worker.on('error', (error) => this.onError(error, sweepId));
    this.workers.set(sweepId, worker);
    this.options.onLine(`worker: serving sweep ${sweepId} (${this.options.concurrency} at a time)`);
  }

  private async processJob(job: Job): Promise<JobResult> {
    let payload;
    try {
      const malformed = (job.data as Record<string, unknown> | null)?.[MALFORMED];
      if (typeof malformed === 'string') throw new UserError(malformed);
      payload = parsePayload(job.data, job.id);
    } catch (error) {
      this.summary.refused += 1;
      this.options.onLine(`worker: refused ${message(error)}`);
      throw new UnrecoverableError(message(error));
    }
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'inertia-worker-'));
    try {
      return await this.train(job, payload, scratch);
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  }

  /** Trains the job's run in `scratch`, reporting progress to the queue; returns the packed run folder. */
  private async train(job: Job, payload: JobPayload, scratch: string): Promise<JobResult> {
    const { runId, config, settings } = payload;
    let lastProgress = 0;
    const report = (data: JobProgress) => job.updateProgress(data as unknown as object).catch(() => {});
    const [attempt] = await this.local.execute([{ id: runId, config, settings }], scratch, (event) => {
      this.options.onEvent?.(event);
      if (event.type === 'run-start') {
        this.options.onLine(`worker: ${runId} started`);
        void report({ worker: `${this.name}/${event.worker}`, progress: null });
      }
      if (event.type === 'progress' && Date.now() - lastProgress > 1000) {
        lastProgress = Date.now();
        void report({ worker: `${this.name}/${event.worker}`, progress: event.progress });
      }
    });
    if (attempt.status === 'failed') {
      this.summary.failed += 1;
      this.options.onLine(`worker: ${runId} failed (attempt ${job.attemptsMade + 1}): ${attempt.error}`);
      throw new Error(attempt.error);
    }
    const dir = path.join(scratch, runId);
    const worker = `${this.name}/${attempt.worker}`;
    writeJsonFile(path.join(dir, 'run.json'), {
      ...readRunRecord(dir),
      executor: { kind: 'queue', queue: this.connection.masked, worker },
    });
    this.summary.trained += 1;
    this.options.onLine(`worker: ${finishedLine(runId, dir)}`);
    return { format: JOB_FORMAT, worker, archive: packRunFolder(dir) };
  }

  async close(): Promise<void> {
    const away = this.health.troubledSince !== null;
    const closing = Promise.all([...this.workers.values()].map((worker) => worker.close(away)));
    // Without Redis a graceful close would wait for it: the jobs' locks lapse and they go elsewhere.
    await (away ? Promise.race([closing, sleep(2000, undefined, { ref: false })]) : closing);
    await this.local.close();
    this.redis.disconnect();
  }
}
