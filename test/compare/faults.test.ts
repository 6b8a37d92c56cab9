/**
 * `inertia compare` on a full disk: one line naming the file that did not fit, and no
 * temporary files left in --out (every output is written to a temporary name and renamed);
 * stopped by a signal midway: one line saying which files it wrote and that they are not all.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compare } from '../../src/compare/compare.js';
import { loadDataset } from '../../src/data/index.js';
import { TRAIN_DEFAULTS } from '../../src/train/config.js';
import { train } from '../../src/train/train.js';
import { folderWithTmpfs, leaveFree } from '../helpers/disk.js';
import { startCli } from '../helpers/cli.js';

const { root, tmpfs } = folderWithTmpfs('inertia-compare-faults-');
const small = tmpfs(256);

/** Two one-epoch runs on synthetic data (learning rates 0.05 and 0.1) in `<root>/<name>`. */
async function twoRuns(name: string): Promise<string> {
  const dataset = await loadDataset('synthetic', { trainLimit: 100, testLimit: 50 });
  const runs = path.join(root, name);
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
  return runs;
}

describe('compare on a full disk', () => {
  it.skipIf(small === null)('is one line naming the file; no temporary files are left', async () => {
    const runs = await twoRuns('runs');
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

describe('compare stopped by a signal', () => {
  it('says which of its files it wrote and that the comparison is incomplete', async () => {
    const runs = await twoRuns('signal-runs');
    const out = path.join(root, 'stopped');
    fs.mkdirSync(out);
    // A file of an earlier comparison is not counted as this one's.
    fs.writeFileSync(path.join(out, 'old.csv'), 'x\n');
    fs.utimesSync(path.join(out, 'old.csv'), new Date(2020, 0, 1), new Date(2020, 0, 1));
    const metrics = ['train/batch_loss', 'train/loss', 'test/loss', 'test/accuracy'];
    const cli = startCli(['compare', runs, '--out', out, '--metric', metrics.join(','), '--x', 'epoch'], { CI: '1' });
    // Frozen (SIGSTOP) as soon as its first figure exists, so the signal surely arrives midway.
    while (!fs.readdirSync(out).some((name) => name.endsWith('.svg'))) {
      if (cli.child.exitCode !== null) throw new Error(`compare ended early: ${cli.stderr()}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    cli.child.kill('SIGSTOP');
    expect(fs.existsSync(path.join(out, 'final.md'))).toBe(false);
    cli.child.kill('SIGTERM');
    cli.child.kill('SIGCONT');
    expect(await cli.exited).toBe(143);
    const written = fs
      .readdirSync(out)
      .filter((name) => name !== 'old.csv' && !name.includes('.tmp-'))
      .sort();
    expect(written).not.toContain('final.md');
    const line = cli
      .stderr()
      .split('\n')
      .find((text) => text.startsWith('inertia: stopped by SIGTERM'));
    expect(line).toBe(
      `inertia: stopped by SIGTERM; ${out} holds ${written.length} file${written.length > 1 ? 's' : ''} of this comparison (${written.join(', ')}) but not all of them; rerun the same command to write the comparison`,
    );
  }, 120_000);
});
