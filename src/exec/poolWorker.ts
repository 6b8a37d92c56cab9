/**
 * A pool worker process: trains the runs its parent sends over IPC, one at a time, and
 * reports progress and completion. Results go to the run folders; the parent reads them back.
 */
import { loadDataset, runDataLoad, type Dataset } from '../data/index.js';
import { exitOnStopSignals } from '../runs/stopSignals.js';
import { train } from '../train/train.js';
import type { WorkerReply, WorkerTask } from './pool.js';

const datasets = new Map<string, Promise<Dataset>>();

function send(reply: WorkerReply): void {
  // A parent that is gone or going (stopped, killed) cannot be told anything: the failed write
  // goes to the callback instead of crashing this process, and 'disconnect' below exits.
  if (process.connected) process.send?.(reply, undefined, {}, () => {});
}

process.on('message', async (task: WorkerTask) => {
  try {
    const { key, options } = runDataLoad(task.config);
    if (!datasets.has(key)) datasets.set(key, loadDataset(task.config.dataset, options));
    const dataset = await datasets.get(key)!;
    await train(task.config, {
      outRoot: task.outRoot,
      runId: task.runId,
      dataset,
      plot: false,
      tensorboard: false,
      compile: task.settings.compile,
      tags: task.settings.tags,
      note: task.settings.note,
      onProgress: (progress) => send({ type: 'progress', runId: task.runId, progress }),
    });
    send({ type: 'done', runId: task.runId });
  } catch (error) {
    send({ type: 'error', runId: task.runId, message: error instanceof Error ? error.message : String(error) });
  }
});
// The parent is gone (killed, machine lost): nothing is left to report to.
process.on('disconnect', () => process.exit(0));
// Ctrl-C reaches the workers too (same process group), and the parent passes SIGTERM on:
// the run in progress is marked interrupted before the worker exits.
exitOnStopSignals(() => {}, { secondSignalExits: false });
send({ type: 'ready' });
