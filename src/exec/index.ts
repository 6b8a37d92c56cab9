/** Picks the executor of a command: the queue when a Redis URL is given, else the local pool. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeFolder } from '../util/fs.js';
import type { Executor, RunSettings } from './executor.js';
import { LocalExecutor } from './local.js';
import { QueueExecutor } from './queue/coordinator.js';

/** The file of a sweep folder that holds its random queue id. */
export const QUEUE_ID_FILE = 'queue-id';

/**
 * The random id of a sweep folder, made and stored in it (`queue-id`) the first time: the same
 * folder keeps its id across restarts, and another folder (another machine, a folder removed
 * and made again) gets another one even at the same path on a host of the same name.
 */
function folderQueueId(dir: string): string {
  const file = path.join(dir, QUEUE_ID_FILE);
  const stored = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : '';
  if (/^[0-9a-f]{16}$/.test(stored)) return stored;
  makeFolder(dir);
  const id = crypto.randomBytes(8).toString('hex');
  try {
    fs.writeFileSync(file, `${id}\n`, { flag: stored === '' ? 'wx' : 'w' });
    return id;
  } catch (error) {
    // Another coordinator made it first: its id wins.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return folderQueueId(dir);
    throw error;
  }
}

/**
 * The queue name of a sweep folder: its name plus a hash of this machine, its absolute path and
 * the folder's random id, so that a restarted coordinator finds its own jobs and two sweeps never
 * share a queue, even two folders at the same path on hosts of the same name (containers).
 */
export function sweepIdFor(dir: string): string {
  const absolute = path.resolve(dir);
  const slug = path
    .basename(absolute)
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  const hash = crypto
    .createHash('sha256')
    .update(`${os.hostname()}\0${absolute}\0${folderQueueId(absolute)}`)
    .digest('hex')
    .slice(0, 10);
  return `${slug || 'sweep'}-${hash}`;
}

/**
 * `dataDir` (--data-dir) applies to local runs; a queue's workers read their own machine's
 * datasets. `settings` (e.g. --compile) reach every run, in a pool worker or a queue job.
 */
export function createExecutor(options: {
  queue?: string;
  workers?: number;
  dir: string;
  dataDir?: string;
  settings?: RunSettings;
}): Executor {
  const { settings } = options;
  if (options.queue !== undefined) {
    return new QueueExecutor({ url: options.queue, sweepId: sweepIdFor(options.dir), settings });
  }
  return new LocalExecutor({ workers: options.workers, dataDir: options.dataDir, settings });
}
