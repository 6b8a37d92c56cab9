/**
 * A run folder always ends in a status that says what happened: a failure while setting up
 * marks it `failed` with the message; a plot that cannot be written is a warning, never an
 * unfinished run; a full disk is one line naming the file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataset, type Dataset } from '../../src/data/index.js';
import { readRunRecord, verifyRun } from '../../src/runs/runFolder.js';
import type { TrainConfig } from '../../src/train/config.js';
import { train } from '../../src/train/train.js';
import { folderWithTmpfs, leaveFree } from '../helpers/disk.js';
import { syntheticConfig } from '../helpers/runs.js';

let dataset: Dataset;
const { root, tmpfs } = folderWithTmpfs('inertia-lifecycle-');

beforeAll(async () => {
  dataset = await loadDataset('synthetic', { trainLimit: 300, testLimit: 100 });
});

function config(overrides: Partial<TrainConfig> = {}): TrainConfig {
  // This file's small run: only the fields that differ from the defaults, written out.
  return syntheticConfig({
    hidden: [8],
    optimizer: { kind: 'heavy-ball', learningRate: 0.05, momentum: 0.9 },
    epochs: 2,
    batchSize: 50,
    logEvery: 2,
    normEvery: 0,
    ...overrides,
  });
}

describe('run lifecycle', () => {
  it('a failure while setting up marks the run failed with the message', async () => {
    // Training images one pixel short of `count` images: the folder exists, then the images'
    // tensor cannot be built (a model too large to train is refused before any folder exists).
    const short = { ...dataset, train: { ...dataset.train, images: dataset.train.images.subarray(1) } };
    await expect(train(config(), { outRoot: root, runId: 'short', dataset: short, plot: false })).rejects.toThrow();
    const record = readRunRecord(path.join(root, 'short'))!;
    expect(record.status).toBe('failed');
    expect(record.stoppedAt).not.toBeNull();
    expect(record.error).toMatch(/values|shape/i);
  });

  it('invalid configs and names fail before any folder exists', async () => {
    await expect(train(config({ seed: 4294967296 }), { outRoot: root, runId: 'seed', dataset })).rejects.toThrow(
      /Invalid seed.*4294967296/,
    );
    await expect(
      train(config(), { outRoot: path.join(root, 'a', 'b'), runId: '../../../escaped', dataset }),
    ).rejects.toThrow('Invalid run id "../../../escaped": it contains "/"');
    await expect(train(config({ trainLimit: 301 }), { outRoot: root, runId: 'limit', dataset })).rejects.toThrow(
      'Invalid trainLimit: 301 (synthetic has 300 examples in that split; use at most 300 or leave it unset)',
    );
    for (const name of ['seed', 'escaped', 'limit', 'a']) expect(fs.existsSync(path.join(root, name))).toBe(false);
  });

  it('a plot that cannot be written is a warning in run.json; the run is completed and verifies', async () => {
    // A folder where loss.svg should go makes the plot fail: it is made while the run trains
    // (its first progress report), after the run folder exists and before the plot is drawn.
    const runId = 'plot-fails';
    const outRoot = path.join(root, 'plots');
    const blocker = path.join(outRoot, runId, 'loss.svg');
    const result = await train(config(), {
      outRoot,
      runId,
      dataset,
      tensorboard: false,
      onProgress: () => fs.mkdirSync(blocker, { recursive: true }),
    });
    const record = readRunRecord(result.dir)!;
    expect(record.status).toBe('completed');
    expect(record.stoppedAt).not.toBeNull();
    expect(record.warnings).toEqual([expect.stringMatching(/^not written: .*loss\.svg/)]);
    expect(Object.keys(record.files!).sort()).toEqual(['config.json', 'metrics.csv']);
    expect('record' in verifyRun(result.dir)).toBe(true);
    expect(fs.readdirSync(result.dir).filter((name) => name.includes('.tmp-') || name === 'loss.png')).toEqual([]);
  });

  const small = tmpfs(1024);
  it.skipIf(small === null)(
    'on a nearly full disk the plot gives way: the run is completed, with a warning',
    async () => {
      const reference = await train(config(), {
        outRoot: path.join(root, 'reference'),
        runId: 'r',
        dataset,
        plot: false,
      });
      const needed = fs
        .readdirSync(reference.dir)
        .reduce((sum, name) => sum + fs.statSync(path.join(reference.dir, name)).size, 0);
      const plotted = await train(config(), { outRoot: path.join(root, 'reference'), runId: 'p', dataset });
      const plotBytes = ['loss.svg', 'loss.png'].reduce(
        (sum, name) => sum + fs.statSync(path.join(plotted.dir, name)).size,
        0,
      );
      expect(plotBytes).toBeGreaterThan(16_384);
      // Room for the run's files (in 4 KiB pages, with run.json twice while it is replaced), not for its plot.
      leaveFree(small!, 4096 * (Math.ceil(needed / 4096) + 6));
      const result = await train(config(), { outRoot: small!, runId: 'full', dataset, tensorboard: false });
      const record = readRunRecord(result.dir)!;
      expect(record.status).toBe('completed');
      expect(record.warnings?.[0]).toMatch(/not written|loss plot/);
      expect(fs.readdirSync(result.dir).filter((name) => name.includes('.tmp-') || name.startsWith('loss'))).toEqual(
        [],
      );
      expect('record' in verifyRun(result.dir)).toBe(true);
    },
  );

  it.skipIf(small === null)('a full disk is one line naming the file; no temporary files are left', async () => {
    fs.rmSync(path.join(small!, 'full'), { recursive: true, force: true });
    leaveFree(small!, 4096);
    const error = await train(config(), { outRoot: small!, runId: 'no-room', dataset, tensorboard: false }).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toMatch(
      /^No space left on the device holding \S+no-room\S*; free some space or choose another --out$/,
    );
    const dir = path.join(small!, 'no-room');
    if (fs.existsSync(dir)) expect(fs.readdirSync(dir).filter((name) => name.includes('.tmp-'))).toEqual([]);
  });
  if (small === null) it.skip('disk-full cases need root to mount a small tmpfs (skipped: not root or mount failed)');
});
