/** `inertia worker`: trains the jobs of every sweep on a Redis queue until interrupted. */
import { runWorkerService, type WorkerSummary } from '../exec/queue/worker.js';
import { UserError } from '../util/errors.js';

export interface WorkerArgs {
  queue: string;
  concurrency: number;
  quiet?: boolean;
  /** Exit with an error after this many seconds without Redis (default: wait for it). */
  'exit-on-unreachable'?: number;
}

/** $INERTIA_QUEUE_LOCK_MS: a whole number of milliseconds, or undefined when unset. */
export function lockMsFrom(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const text = env.INERTIA_QUEUE_LOCK_MS;
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(value) || value <= 0) {
    throw new UserError(
      `Invalid INERTIA_QUEUE_LOCK_MS value: ${JSON.stringify(text)} (expected a whole number of milliseconds > 0, e.g. 30000; unset it for the default)`,
    );
  }
  return value;
}

/** Runs until SIGINT/SIGTERM; a first signal lets active runs finish, a second one exits at once. */
export async function workerCommand(args: WorkerArgs): Promise<WorkerSummary> {
  // Checked before anything connects: a bad value is one line at start.
  const lockMs = lockMsFrom();
  const controller = new AbortController();
  const stop = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('worker: stopping after the active runs (again to exit now)\n');
    controller.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    return await runWorkerService({
      url: args.queue,
      concurrency: args.concurrency,
      lockMs,
      exitOnUnreachableSeconds: args['exit-on-unreachable'],
      signal: controller.signal,
      onLine: (text) => {
        if (!args.quiet) process.stderr.write(`${text}\n`);
      },
    });
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

export function formatWorker(summary: WorkerSummary): string {
  return `worker stopped: ${summary.trained} runs trained, ${summary.failed} attempts failed, ${summary.refused} jobs refused`;
}
