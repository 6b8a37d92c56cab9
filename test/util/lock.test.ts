import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FolderLockedError, lockFolder } from '../../src/util/lock.js';
import { tempFolder } from '../helpers/runs.js';

const root = tempFolder('inertia-lock-');

describe('lockFolder', () => {
  it('refuses a second holder, naming the first, and is free again after release', async () => {
    const dir = path.join(root, 'one');
    const lock = await lockFolder(dir, 'inertia study --preset quick');
    const error = await lockFolder(dir, 'inertia study --preset quick').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FolderLockedError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^${dir} is in use by inertia study --preset quick \\(pid ${process.pid} on ${os.hostname()}, since \\S+\\); wait for it to finish or stop it, or choose another --out$`,
      ),
    );
    await lock.release();
    const again = await lockFolder(dir, 'x');
    await again.release();
  });

  it('takes over the lock of a process of this host that died', async () => {
    const dir = path.join(root, 'dead');
    const child = spawn(process.execPath, ['-e', '']);
    const pid = await new Promise<number>((resolve) => child.on('exit', () => resolve(child.pid!)));
    fs.mkdirSync(path.join(dir, '.lock'), { recursive: true });
    fs.writeFileSync(
      path.join(dir, '.lock-owner.json'),
      JSON.stringify({ pid, host: os.hostname(), command: 'inertia study', since: new Date().toISOString() }),
    );
    const lock = await lockFolder(dir, 'inertia study');
    expect(JSON.parse(fs.readFileSync(path.join(dir, '.lock-owner.json'), 'utf8')).pid).toBe(process.pid);
    await lock.release();
  });

  it('keeps the lock of a live process of another host (until it goes stale)', async () => {
    const dir = path.join(root, 'remote');
    fs.mkdirSync(path.join(dir, '.lock'), { recursive: true });
    fs.writeFileSync(
      path.join(dir, '.lock-owner.json'),
      JSON.stringify({ pid: 1, host: 'elsewhere', command: 'inertia study', since: 'then' }),
    );
    await expect(lockFolder(dir, 'inertia study')).rejects.toThrow('is in use by inertia study (pid 1 on elsewhere');
  });
});
