/**
 * `inertia compare` on a full disk: one line naming the file that did not fit, and no
 * temporary files left in --out (every output is written to a temporary name and renamed).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compare } from '../../src/compare/compare.js';
import { loadDataset } from '../../src/data/index.js';
import { TRAIN_DEFAULTS } from '../../src/train/config.js';
import { train } from '../../src/train/train.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'inertia-compare-faults-'));
const mounts: string[] = [];
afterAll(() => {
  mounts.forEach((dir) => spawnSync('umount', ['-l', dir]));
  fs.rmSync(root, { recursive: true, force: true });
});

/** A tmpfs of `kilobytes` (root only), or null. */
function tmpfs(kilobytes: number): string | null {
  if (process.getuid?.() !== 0 || process.platform !== 'linux') return null;
  const dir = fs.mkdtempSync(path.join(root, 'tmpfs-'));
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${kilobytes}k`, 'tmpfs', dir]).status !== 0) return null;
  mounts.push(dir);
  return dir;
}

const small = tmpfs(256);

describe('compare on a full disk', () => {
  it.skipIf(small === null)('is one line naming the file; no temporary files are left', async () => {
    const dataset = await loadDataset('synthetic', { trainLimit: 100, testLimit: 50 });
    const runs = path.join(root, 'runs');
    for (const learningRate of [0.05, 0.1]) {
      const config = {
        ...TRAIN_DEFAULTS,
        dataset: 'synthetic' as const,
        hidden: [4],
        optimizer: { kind: 'sgd' as const, learningRate },
        epochs: 1,
        batchSize: 50,
      };
      await train(config, { outRoot: runs, runId: `lr${learningRate}`, dataset, plot: false, tensorboard: false });
    }
    // Room for a few small files, not for the figures.
    const { bavail, bsize } = fs.statfsSync(small!);
    fs.writeFileSync(path.join(small!, 'filler'), Buffer.alloc(Math.max(0, bavail * bsize - 8192)));
    const out = path.join(small!, 'comparison');
    const error = await compare({ runs: [runs], out }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(
      new RegExp(`^No space left on the device holding ${out}/\\S+; free some space or choose another --out$`),
    );
    const left = fs.existsSync(out) ? fs.readdirSync(out) : [];
    expect(left.filter((name) => name.includes('.tmp-'))).toEqual([]);
  });
  if (small === null) it.skip('needs root to mount a small tmpfs (skipped: not root or mount failed)');
});
