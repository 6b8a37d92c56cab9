/**
 * inertiaLogger: a plain tf.sequential trained with model.fit (and fitDataset) and the logger
 * writes a finished run folder like `inertia train`'s, which readRun, `compare` and
 * `export tensorboard` read.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../../src/backend.js';
import { inertiaLogger } from '../../src/train/logger.js';
import { createOptimizer } from '../../src/optimizers/index.js';
import { readRun } from '../../src/runs/readRun.js';
import { verifyRun } from '../../src/runs/runFolder.js';
import { compare } from '../../src/compare/index.js';
import { exportTensorboard } from '../../src/commands/export.js';
import { tempFolder } from '../helpers/runs.js';
import { seededDenseNet } from '../helpers/models.js';

const out = tempFolder('inertia-logger-');

function model(learningRate: number): TF.Sequential {
  const m = seededDenseNet(4, 8, 3);
  m.compile({
    optimizer: createOptimizer({ kind: 'heavy-ball', learningRate, momentum: 0.9 }),
    loss: 'categoricalCrossentropy',
    metrics: ['accuracy'],
  });
  return m;
}

function data(): { x: TF.Tensor; y: TF.Tensor } {
  const x = tf.randomNormal([40, 4], 0, 1, 'float32', 7);
  const y = tf.oneHot(tf.argMax(tf.matMul(x, tf.randomNormal([4, 3], 0, 1, 'float32', 8)), 1), 3);
  return { x, y };
}

describe('inertiaLogger', () => {
  it('writes a run folder from model.fit that compare and export tensorboard read', async () => {
    const { x, y } = data();
    for (const lr of [0.05, 0.2]) {
      const m = model(lr);
      const logger = inertiaLogger({ out, runId: `fit-lr${lr}`, config: { model: 'dense-8', learningRate: lr } });
      await m.fit(x, y, {
        epochs: 3,
        batchSize: 10,
        validationSplit: 0.25,
        shuffle: false,
        verbose: 0,
        callbacks: [logger],
      });
      expect(logger.dir).toBe(path.join(out, `fit-lr${lr}`));
      m.dispose();
    }
    const dir = path.join(out, 'fit-lr0.05');
    expect(verifyRun(dir)).toHaveProperty('record');
    const run = readRun(dir);
    expect(run.record.status).toBe('completed');
    expect(run.record.summary?.steps).toBe(9);
    expect(run.record.backend).toBeTruthy();
    expect(run.config).toMatchObject({
      model: 'dense-8',
      learningRate: 0.05,
      fit: { epochs: 3, batchSize: 10 },
      optimizer: { className: 'InertiaChainOptimizer' },
    });
    // 30 training rows in batches of 10: 3 steps per epoch, a batch loss each, then the epoch's logs.
    const batchLosses = run.rows.filter((row) => row.metric === 'batch_loss');
    expect(batchLosses.map((row) => row.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(batchLosses.every((row) => Number.isFinite(row.value) && row.value > 0)).toBe(true);
    const names = new Set(run.rows.map((row) => `${row.split}/${row.metric}`));
    expect(names).toEqual(
      new Set([
        'train/batch_loss',
        'train/epoch_loss',
        'train/epoch_accuracy',
        'validation/loss',
        'validation/accuracy',
      ]),
    );
    for (const file of ['loss.svg', 'loss.png', 'metrics.csv', 'config.json', 'run.json']) {
      expect(fs.existsSync(path.join(dir, file)), file).toBe(true);
    }
    expect(fs.readdirSync(path.join(dir, 'tensorboard')).some((name) => name.includes('tfevents'))).toBe(true);

    const compared = await compare({
      runs: [out],
      metrics: ['train/batch_loss', 'validation/loss'],
      out: path.join(out, 'cmp'),
    });
    expect(compared.runs.map((r) => r.id).sort()).toEqual(['fit-lr0.05', 'fit-lr0.2']);
    expect(compared.labelFields).toContain('learningRate');
    expect(fs.existsSync(compared.figures[0].svg)).toBe(true);
    const exported = exportTensorboard([dir]);
    expect(exported.skipped).toEqual([]);
    expect(exported.runs).toHaveLength(1);
    tf.dispose([x, y]);
  }, 120_000);

  it('works with fitDataset, and never overwrites a run folder', async () => {
    const { x, y } = data();
    const dataset = tf.data.zip({ xs: tf.data.array(x.unstack()), ys: tf.data.array(y.unstack()) }).batch(8);
    const m = model(0.1);
    await m.fitDataset(dataset as never, {
      epochs: 2,
      verbose: 0,
      callbacks: [inertiaLogger({ out, runId: 'dataset' })],
    });
    const run = readRun(path.join(out, 'dataset'));
    expect(run.record.status).toBe('completed');
    expect(run.rows.filter((row) => row.metric === 'batch_loss')).toHaveLength(10);
    await expect(
      m.fit(x, y, { epochs: 1, verbose: 0, callbacks: [inertiaLogger({ out, runId: 'dataset' })] }),
    ).rejects.toThrow(/already exists and is never overwritten/);
    m.dispose();
    tf.dispose([x, y]);
  }, 120_000);
});
