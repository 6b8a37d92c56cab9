/** Picks the executor of a command: the queue when a Redis URL is given, else the local pool. */
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { Executor } from './executor.js';
import { LocalExecutor } from './local.js';
import { QueueExecutor } from './queue/coordinator.js';

/**
 * The queue name of a sweep folder: its name plus a hash of this machine and its absolute
 * path, so that a restarted coordinator finds its own jobs and two sweeps never share a queue.
 */
export function sweepIdFor(dir: string): string {
  const absolute = path.resolve(dir);
  const slug = path
    .basename(absolute)
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  const hash = crypto.createHash('sha256').update(`${os.hostname()}\0${absolute}`).digest('hex').slice(0, 10);
  return `${slug || 'sweep'}-${hash}`;
}

/** `dataDir` (--data-dir) applies to local runs; a queue's workers read their own machine's datasets. */
export function createExecutor(options: { queue?: string; workers?: number; dir: string; dataDir?: string }): Executor {
  if (options.queue !== undefined) return new QueueExecutor({ url: options.queue, sweepId: sweepIdFor(options.dir) });
  return new LocalExecutor({ workers: options.workers, dataDir: options.dataDir });
}
