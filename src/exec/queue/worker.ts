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
 * another worker. Redis going away is reported in one line and retried with backoff.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { LocalExecutor } from '../local.js';
import type { ExecutorEvent } from '../executor.js';
import { readRunRecord, writeJsonFile } from '../../runs/runFolder.js';
import { readMetrics } from '../../runs/metrics.js';
import { parseQueueUrl } from './connection.js';
import type { JobProgress } from './coordinator.js';
import {
  JOB_FORMAT,
  KEY_PREFIX,
  REGISTRY_KEY,
  inertiaVersion,
  packRunFolder,
  parsePayload,
  type JobResult,
  type SweepRegistration,
} from './protocol.js';
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
  const accuracy = rows.filter((row) => row.split === 'test' && row.metric === 'accuracy').at(-1)?.value;
  const seconds = Number(record?.summary?.seconds ?? NaN);
  const accuracyText = accuracy === undefined ? 'no test accuracy' : `test accuracy ${formatPercent(accuracy, 2)}`;
  return `${runId}: ${record?.status ?? 'unknown'}, ${accuracyText}, ${seconds.toFixed(1)} s`;
}

/** Serves jobs until `signal` aborts; resolves with counts once every active job is done. */
export async function runWorkerService(options: WorkerServiceOptions): Promise<WorkerSummary> {
  const connection = parseQueueUrl(options.url);
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
    throw new UserError(`Invalid concurrency value: ${options.concurrency} (expected a positive integer)`);
  }
  const name = `${os.hostname()}:${process.pid}`;
  const version = inertiaVersion();
  const lockDuration = options.lockMs ?? 30_000;
  // A pool of processes even for one slot when it is available: training then never blocks
  // this process's event loop, which renews the job locks.
  const local = new LocalExecutor({ workers: options.concurrency, processes: true });
  const redis = new Redis(connection.options);
  const workers = new Map<string, Worker>();
  const refusedSweeps = new Set<string>();
  const summary: WorkerSummary = { trained: 0, failed: 0, refused: 0 };
  let unreachable = false;
  const onError = (error: Error) => {
    if (unreachable) return;
    unreachable = true;
    const code = (error as NodeJS.ErrnoException).code ?? error.message;
    options.onLine(`worker: Redis at ${connection.masked} unreachable (${code}); retrying with backoff`);
  };
  redis.on('error', onError);
  redis.on('ready', () => {
    if (unreachable) options.onLine(`worker: Redis at ${connection.masked} reachable again`);
    unreachable = false;
  });

  const processJob = async (job: Job): Promise<JobResult> => {
    let payload;
    try {
      payload = parsePayload(job.data, job.id);
    } catch (error) {
      summary.refused += 1;
      options.onLine(`worker: refused ${message(error)}`);
      throw new UnrecoverableError(message(error));
    }
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'inertia-worker-'));
    try {
      let lastProgress = 0;
      const report = (data: JobProgress) => job.updateProgress(data as unknown as object).catch(() => {});
      const [attempt] = await local.execute([{ id: payload.runId, config: payload.config }], scratch, (event) => {
        options.onEvent?.(event);
        if (event.type === 'run-start') {
          options.onLine(`worker: ${payload.runId} started`);
          void report({ worker: `${name}/${event.worker}`, progress: null });
        }
        if (event.type === 'progress' && Date.now() - lastProgress > 1000) {
          lastProgress = Date.now();
          void report({ worker: `${name}/${event.worker}`, progress: event.progress });
        }
      });
      if (attempt.status === 'failed') {
        summary.failed += 1;
        options.onLine(`worker: ${payload.runId} failed (attempt ${job.attemptsMade + 1}): ${attempt.error}`);
        throw new Error(attempt.error);
      }
      const dir = path.join(scratch, payload.runId);
      const record = readRunRecord(dir);
      writeJsonFile(path.join(dir, 'run.json'), {
        ...record,
        executor: { kind: 'queue', queue: connection.masked, worker: `${name}/${attempt.worker}` },
      });
      summary.trained += 1;
      options.onLine(`worker: ${finishedLine(payload.runId, dir)}`);
      return { format: JOB_FORMAT, worker: `${name}/${attempt.worker}`, archive: packRunFolder(dir) };
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  };

  const serve = (sweepId: string) => {
    const worker = new Worker(sweepId, processJob, {
      connection: connection.options,
      prefix: KEY_PREFIX,
      concurrency: options.concurrency,
      lockDuration,
      stalledInterval: lockDuration,
      maxStalledCount: 2,
      name,
    });
    worker.on('error', onError);
    workers.set(sweepId, worker);
    options.onLine(`worker: serving sweep ${sweepId} (${options.concurrency} at a time)`);
  };

  /** Starts serving new sweeps of this version and stops serving the ones that ended. */
  const discover = async () => {
    const entries = await redis.hgetall(REGISTRY_KEY);
    for (const [sweepId, text] of Object.entries(entries)) {
      if (workers.has(sweepId) || refusedSweeps.has(sweepId)) continue;
      let registration: SweepRegistration;
      try {
        registration = JSON.parse(text) as SweepRegistration;
      } catch {
        continue;
      }
      if (registration.version !== version) {
        refusedSweeps.add(sweepId);
        options.onLine(
          `worker: not serving sweep ${sweepId}: it was started by inertia ${registration.version}, this worker runs ${version}; run the same version everywhere`,
        );
        continue;
      }
      if ((await redis.exists(`${KEY_PREFIX}:registry:alive:${sweepId}`)) === 0) continue;
      serve(sweepId);
    }
    for (const [sweepId, worker] of workers) {
      if (sweepId in entries) continue;
      workers.delete(sweepId);
      await worker.close();
    }
  };

  try {
    while (!options.signal?.aborted) {
      await discover().catch(() => {});
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, (options.discoverSeconds ?? 2) * 1000);
        options.signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  } finally {
    await Promise.all([...workers.values()].map((worker) => worker.close()));
    await local.close();
    redis.disconnect();
  }
  return summary;
}
