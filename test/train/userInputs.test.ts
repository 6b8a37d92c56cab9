import fs from 'node:fs';
import path from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/backend.js';
import { defaultCompileMode } from '../../src/graph/compileMode.js';
import { loadDataset, type Dataset } from '../../src/data/index.js';
import { buildModel } from '../../src/models/index.js';
import { readRun } from '../../src/runs/readRun.js';
import { makeTrainConfig, type TrainConfig } from '../../src/train/config.js';
import { train } from '../../src/train/train.js';
import { UserError } from '../../src/util/errors.js';
import { tempFolder } from '../helpers/runs.js';
import { seededDenseNet } from '../helpers/models.js';

const root = tempFolder('inertia-train-inputs-');

/** Synthetic 8-feature data: the class is the sign of the sum of the first four features minus the last four. */
function twoClassData(count: number, seed: number): { xs: number[][]; labels: number[] } {
  let state = seed;
  const random = () => {
    state = (state * 1664525 + 1013904223) % 4294967296;
    return state / 4294967296 - 0.5;
  };
  const xs: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < count; i++) {
    const x = Array.from({ length: 8 }, random);
    xs.push(x);
    labels.push(x[0] + x[1] + x[2] + x[3] - x[4] - x[5] - x[6] - x[7] > 0 ? 1 : 0);
  }
  return { xs, labels };
}

function batches(count: number, seed: number): TF.data.Dataset<{ xs: TF.Tensor; ys: TF.Tensor }> {
  const { xs, labels } = twoClassData(count, seed);
  const elements = xs.map((x, i) => ({ xs: tf.tensor1d(x), ys: tf.oneHot(labels[i], 2) }));
  return tf.data.array(elements).batch(16) as unknown as TF.data.Dataset<{ xs: TF.Tensor; ys: TF.Tensor }>;
}

function denseNet(): TF.LayersModel {
  return seededDenseNet(8, 16, 2);
}

function customConfig(overrides: Partial<TrainConfig> = {}): TrainConfig {
  return makeTrainConfig(
    {
      model: 'custom',
      optimizer: { kind: 'heavy-ball', learningRate: 0.1, momentum: 0.9 },
      epochs: 2,
      batchSize: 16,
      logEvery: 1,
      ...overrides,
    },
    { userModel: true },
  );
}

describe('train() on a tf.data.Dataset with a model factory', () => {
  it('writes a run folder readRun reads, with a row per epoch and a loss that decreases', async () => {
    const data = { train: batches(256, 1), validation: batches(128, 2) };
    const before = tf.memory().numTensors;
    const result = await train(customConfig(), { outRoot: root, runId: 'tfdata', model: denseNet, data, plot: false });
    // The datasets' own tensors stay; everything the run made is freed.
    expect(tf.memory().numTensors).toBe(before);
    expect(result.status).toBe('completed');
    expect(result.steps).toBe(2 * (256 / 16));
    expect(result.heldOut).toBe('validation');
    expect(result.stepMode.compiled).toBe(false);

    const run = readRun(result.dir);
    expect(run.record.status).toBe('completed');
    expect(run.config.model).toBe('custom');
    expect(run.config.layers).toEqual([
      { className: 'Dense', units: 16 },
      { className: 'Dense', units: 2 },
    ]);
    expect(run.config.dataset).toBe('tf.data.Dataset');
    expect(run.config.data).toEqual({
      source: 'tf.data.Dataset',
      inputShape: [8],
      numClasses: 2,
      heldOut: 'validation',
    });
    const value = (epoch: number, split: string, metric: string) =>
      run.rows.find((r) => r.epoch === epoch && r.split === split && r.metric === metric)?.value;
    for (const epoch of [0, 1, 2]) {
      for (const split of ['train', 'validation']) {
        for (const metric of ['loss', 'accuracy']) expect(value(epoch, split, metric)).toBeTypeOf('number');
      }
    }
    expect(run.rows.filter((r) => r.metric === 'batch_loss')).toHaveLength(32);
    // Cross-entropy of two classes starts near ln 2 = 0.693 and falls; the rule is learnable.
    expect(value(0, 'train', 'loss')).toBeGreaterThan(0.5);
    expect(value(1, 'train', 'loss')!).toBeLessThan(value(0, 'train', 'loss')!);
    expect(value(2, 'train', 'loss')!).toBeLessThan(value(1, 'train', 'loss')!);
    expect(value(2, 'validation', 'accuracy')!).toBeGreaterThan(0.8);
    expect(run.record.summary?.final_validation_accuracy).toBeCloseTo(result.final.validation!.accuracy, 10);
    expect(run.record.summary?.final_train_loss).toBeCloseTo(value(2, 'train', 'loss')!, 10);
  });

  it('trains without a validation dataset', async () => {
    const result = await train(customConfig({ epochs: 1 }), {
      outRoot: root,
      runId: 'no-validation',
      model: denseNet,
      data: { train: batches(64, 3) },
      plot: false,
      tensorboard: false,
    });
    expect(result.final.validation).toBeUndefined();
    expect(readRun(result.dir).rows.some((r) => r.split === 'validation')).toBe(false);
  });

  it('refuses what it cannot train, with the fix, before any folder exists', async () => {
    const options = { outRoot: root, plot: false, tensorboard: false };
    const data = { train: batches(32, 4) };
    const cases: [string, Parameters<typeof train>[1], RegExp][] = [
      ['no-model', { ...options, data }, /options\.data needs options\.model/],
      [
        'not-a-model',
        { ...options, data, model: () => tf.layers.dense({ units: 2 }) as never },
        /not a tf\.LayersModel/,
      ],
      ['not-a-function', { ...options, data, model: denseNet() as never }, /must be a function/],
      [
        'wrong-input',
        { ...options, data, model: () => tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 2 })] }) },
        /inputs of shape \[4\] but the data's examples have shape \[8\]: give the first layer inputShape \[8\]/,
      ],
      [
        'wrong-classes',
        { ...options, data, model: () => tf.sequential({ layers: [tf.layers.dense({ inputShape: [8], units: 3 })] }) },
        /2 classes: end with a dense layer of 2 units/,
      ],
      [
        'softmax',
        {
          ...options,
          data,
          model: () =>
            tf.sequential({ layers: [tf.layers.dense({ inputShape: [8], units: 2, activation: 'softmax' })] }),
        },
        /drop the activation/,
      ],
      [
        'no-xs',
        {
          ...options,
          model: denseNet,
          data: { train: tf.data.array([{ a: tf.zeros([2, 8]) }]) as never },
        },
        /element with a; each element must be \{ xs, ys \}/,
      ],
      [
        'unbatched',
        {
          ...options,
          model: denseNet,
          data: { train: tf.data.array([{ xs: tf.zeros([8]), ys: tf.zeros([2]) }]) as never },
        },
        /batch it: ds\.batch\(32\)/,
      ],
    ];
    for (const [runId, given, message] of cases) {
      const attempt = train(customConfig(), { ...given, runId });
      await expect(attempt).rejects.toThrow(UserError);
      await expect(attempt).rejects.toThrow(message);
      expect(fs.existsSync(path.join(root, runId))).toBe(false);
    }
  });
});

describe('train() with a model factory on a built-in dataset', () => {
  let dataset: Dataset;
  beforeAll(async () => {
    dataset = await loadDataset('synthetic', { trainLimit: 256, testLimit: 128 });
  });

  it("gives the built-in model's numbers when the factory builds the same model with the same seed", async () => {
    const base = {
      dataset: 'synthetic' as const,
      optimizer: { kind: 'heavy-ball' as const, learningRate: 0.05, momentum: 0.9 },
      epochs: 2,
      batchSize: 32,
      seed: 3,
    };
    const options = { outRoot: root, dataset, plot: false, tensorboard: false };
    const builtIn = await train(makeTrainConfig({ ...base, model: 'mlp', hidden: [16] }), {
      ...options,
      runId: 'builtin',
    });
    const factory = () => buildModel({ kind: 'mlp', hidden: [16], seed: 3 });
    const custom = await train(makeTrainConfig({ ...base, model: 'custom' }, { userModel: true }), {
      ...options,
      runId: 'factory',
      model: factory,
    });
    expect(custom.final).toEqual(builtIn.final);
    expect(custom.stepMode).toEqual(builtIn.stepMode);
    expect(custom.rows.filter((r) => r.metric === 'batch_loss')).toEqual(
      builtIn.rows.filter((r) => r.metric === 'batch_loss'),
    );
    expect(custom.final.test!.accuracy).toBeGreaterThan(custom.initial.test!.accuracy + 0.2);
    const config = readRun(custom.dir).config;
    expect(config.model).toBe('custom');
    expect(config.layers).toEqual([
      { className: 'InputLayer' },
      { className: 'Flatten' },
      { className: 'Dense', units: 16 },
      { className: 'Dense', units: 10 },
    ]);
  });

  it('trains a hand-built model on the images, compiled where its steps verify', async () => {
    const model = () =>
      tf.sequential({
        layers: [
          tf.layers.flatten({ inputShape: [28, 28, 1] }),
          tf.layers.dense({ units: 24, activation: 'tanh', kernelInitializer: tf.initializers.heNormal({ seed: 5 }) }),
          tf.layers.dense({ units: 10, kernelInitializer: tf.initializers.heNormal({ seed: 6 }) }),
        ],
      });
    const config = makeTrainConfig(
      {
        model: 'tanh-net',
        optimizer: { kind: 'heavy-ball', learningRate: 0.05, momentum: 0.9 },
        epochs: 2,
        batchSize: 32,
      },
      { userModel: true },
    );
    const result = await train(config, {
      outRoot: root,
      runId: 'hand-built',
      dataset,
      model,
      plot: false,
      tensorboard: false,
    });
    expect(result.status).toBe('completed');
    // Compiled steps need the native backend; elsewhere the eager fallback says why, and with
    // INERTIA_COMPILE=off the steps are eager by request.
    if (defaultCompileMode() === 'off') expect(result.stepMode).toMatchObject({ compiled: false, fallback: null });
    else if (tf.getBackend() === 'tensorflow') {
      expect(result.stepMode).toMatchObject({ compiled: true, fallback: null });
    } else expect(result.stepMode.fallback).toEqual(expect.any(String));
    expect(result.final.test!.accuracy).toBeGreaterThan(result.initial.test!.accuracy + 0.2);
    expect(readRun(result.dir).config.layers).toEqual([
      { className: 'Flatten' },
      { className: 'Dense', units: 24 },
      { className: 'Dense', units: 10 },
    ]);
  });
});
