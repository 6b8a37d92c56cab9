/** `inertia worker`: trains the jobs of every sweep on a Redis queue until interrupted. */
import { runWorkerService, type WorkerSummary } from '../exec/queue/worker.js';

export interface WorkerArgs {
  queue: string;
  concurrency: number;
  quiet?: boolean;
}

/** Runs until SIGINT/SIGTERM; a first signal lets active runs finish, a second one exits at once. */
export async function workerCommand(args: WorkerArgs): Promise<WorkerSummary> {
  const controller = new AbortController();
  const stop = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('worker: stopping after the active runs (again to exit now)\n');
    controller.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    const lockMs = process.env.INERTIA_QUEUE_LOCK_MS ? Number(process.env.INERTIA_QUEUE_LOCK_MS) : undefined;
    return await runWorkerService({
      url: args.queue,
      concurrency: args.concurrency,
      lockMs,
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
