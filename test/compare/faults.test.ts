/**
 * `inertia compare` on a full disk: one line naming the file that did not fit, and no
 * temporary files left in --out (every output is written to a temporary name and renamed).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compare } from '../../src/compare/compare.js';
import { loadDataset } from '../../src/data/index.js';
import { TRAIN_DEFAULTS } from '../../src/train/config.js';
import { train } from '../../src/train/train.js';
import { folderWithTmpfs, leaveFree } from '../helpers/disk.js';

const { root, tmpfs } = folderWithTmpfs('inertia-compare-faults-');
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
    leaveFree(small!, 8192);
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
