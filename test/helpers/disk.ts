/** Full-disk tests: small tmpfs folders (root on Linux only) and a filler file that leaves a set number of bytes free. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll } from 'vitest';
import { tempFolder } from './runs.js';

/**
 * A new temporary folder, and a way to mount a tmpfs of `kilobytes` inside it (null when not
 * root, not on Linux or the mount fails); after the file's tests every tmpfs is unmounted and
 * the folder removed.
 */
export function folderWithTmpfs(prefix: string): { root: string; tmpfs(kilobytes: number): string | null } {
  const root = tempFolder(prefix);
  const mounts: string[] = [];
  // After hooks run in reverse order: the mounts go before tempFolder removes the folder.
  afterAll(() => mounts.forEach((dir) => spawnSync('umount', ['-l', dir])));
  const tmpfs = (kilobytes: number): string | null => {
    if (process.getuid?.() !== 0 || process.platform !== 'linux') return null;
    const dir = fs.mkdtempSync(path.join(root, 'tmpfs-'));
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${kilobytes}k`, 'tmpfs', dir]).status !== 0) return null;
    mounts.push(dir);
    return dir;
  };
  return { root, tmpfs };
}

/** Fills `dir` with the file `filler` until `free` bytes are left on its device. */
export function leaveFree(dir: string, free: number): void {
  fs.rmSync(path.join(dir, 'filler'), { force: true });
  const { bavail, bsize } = fs.statfsSync(dir);
  fs.writeFileSync(path.join(dir, 'filler'), Buffer.alloc(Math.max(0, bavail * bsize - free)));
}
