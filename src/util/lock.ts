/**
 * One writer per folder: a study or sweep holds an exclusive lock on its folder while it runs
 * (proper-lockfile: an atomic `mkdir` of `<folder>/.lock`, refreshed while held). Beside it,
 * `.lock-owner.json` names the holder (pid, host, command, time), so a lock left by a process
 * that died on this host is recognised at once and taken over, and a second live process is
 * refused with one line naming the holder. A lock of another host is stale when it has not
 * been refreshed for {@link STALE_MS}.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { UserError } from './errors.js';
import { errorCode, makeFolder, writeFileAtomic } from './fs.js';

/** A folder another live process is writing. */
export class FolderLockedError extends UserError {}

/** A lock not refreshed for this long is stale (the holder refreshes it every STALE_MS / 4). */
export const STALE_MS = 120_000;

interface LockOwner {
  pid: number;
  host: string;
  command: string;
  since: string;
}

export interface FolderLock {
  readonly dir: string;
  release(): Promise<void>;
}

const lockDir = (dir: string) => path.join(dir, '.lock');
const ownerFile = (dir: string) => path.join(dir, '.lock-owner.json');

function readOwner(dir: string): LockOwner | null {
  try {
    return JSON.parse(fs.readFileSync(ownerFile(dir), 'utf8')) as LockOwner;
  } catch {
    return null;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === 'EPERM';
  }
}

/** Removes a lock whose recorded holder is a dead process of this host. */
function clearDeadOwner(dir: string): void {
  const owner = readOwner(dir);
  if (!fs.existsSync(lockDir(dir)) || owner === null) return;
  if (owner.host !== os.hostname() || owner.pid === process.pid || processAlive(owner.pid)) return;
  fs.rmSync(lockDir(dir), { recursive: true, force: true });
  fs.rmSync(ownerFile(dir), { force: true });
}

function describeHolder(dir: string): string {
  const owner = readOwner(dir);
  if (owner === null) return 'another process';
  return `${owner.command || 'inertia'} (pid ${owner.pid} on ${owner.host}, since ${owner.since})`;
}

/**
 * Takes the exclusive lock on `dir` (created if needed) for `command`, or throws a
 * {@link FolderLockedError} naming the live holder. The lock is released by `release()`
 * and, if the process exits first, on exit.
 */
export async function lockFolder(dir: string, command: string): Promise<FolderLock> {
  makeFolder(dir);
  clearDeadOwner(dir);
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(dir, {
      lockfilePath: lockDir(dir),
      realpath: false,
      stale: STALE_MS,
      update: STALE_MS / 4,
      retries: 0,
      // A lost lock (its folder removed, or taken over as stale) cannot be won back mid-run;
      // the run folders keep their own owner records, so the holder carries on.
      onCompromised: () => {},
    });
  } catch (error) {
    if (errorCode(error) === 'ELOCKED') {
      throw new FolderLockedError(
        `${dir} is in use by ${describeHolder(dir)}; wait for it to finish or stop it, or choose another --out`,
      );
    }
    throw error;
  }
  const owner: LockOwner = { pid: process.pid, host: os.hostname(), command, since: new Date().toISOString() };
  writeFileAtomic(ownerFile(dir), `${JSON.stringify(owner)}\n`);
  return {
    dir,
    async release() {
      if (readOwner(dir)?.pid === process.pid) fs.rmSync(ownerFile(dir), { force: true });
      await release().catch(() => {});
    },
  };
}
