import type * as TF from '@tensorflow/tfjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tf } from '../../src/backend.js';
import { defaultCompileMode } from '../../src/graph/compileMode.js';
import { createOptimizer } from '../../src/optimizers/index.js';
import { fit, type FitOptions } from '../../src/train/fit.js';
import { UserError } from '../../src/util/errors.js';

const compiling = defaultCompileMode() !== 'off';

/** Deterministic inputs in [0, 1) and class labels (a fixed linear congruential sequence). */
function data(count: number, shape: number[], classes: number): { x: TF.Tensor; labels: TF.Tensor1D } {
  let state = 12345;
  const next = () => {
    state = (state * 1664525 + 1013904223) % 4294967296;
    return state / 4294967296;
  };
  const size = shape.reduce((a, b) => a * b, 1);
  const x = tf.tensor(Float32Array.from({ length: count * size }, next), [count, ...shape]);
  const labels = tf.tensor1d(
    Int32Array.from({ length: count }, () => Math.floor(next() * classes)),
    'int32',
  );
  return { x, labels };
}

/** A small CNN with BatchNormalization, seeded: conv 4 3x3, batch norm, pool, (dropout,) dense 3 softmax. */
function batchNormCnn(dropout = 0): TF.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [8, 8, 1],
        filters: 4,
        kernelSize: 3,
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
      }),
      tf.layers.batchNormalization(),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      ...(dropout > 0 ? [tf.layers.dropout({ rate: dropout })] : []),
      tf.layers.dense({
        units: 3,
        activation: 'softmax',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
      }),
    ],
  });
}

function dense(units: number, activation: string, loss: string): TF.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [6],
        units: 8,
        activation: 'tanh',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }),
        kernelRegularizer: tf.regularizers.l2({ l2: 0.01 }),
      }),
      tf.layers.dense({
        units,
        activation: activation as 'softmax',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }),
      }),
    ],
  });
  model.compile({ optimizer: tf.train.sgd(0.1), loss, metrics: ['accuracy'] });
  return model;
}

/** Batch losses and the final weights of a training run. */
async function trained(
  model: TF.LayersModel,
  run: (options: FitOptions) => Promise<TF.History>,
): Promise<{ batchLosses: number[]; history: TF.History; weights: Float32Array[] }> {
  const batchLosses: number[] = [];
  const history = await run({
    epochs: 2,
    batchSize: 16,
    shuffle: false,
    verbose: 0,
    callbacks: { onBatchEnd: (_batch, logs) => void batchLosses.push(logs!.loss) },
  });
  return { batchLosses, history, weights: model.getWeights().map((w) => w.dataSync() as Float32Array) };
}

function expectClose(actual: readonly number[], expected: readonly number[], tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((value, i) =>
    expect(Math.abs(value - expected[i])).toBeLessThanOrEqual(tolerance * (1 + Math.abs(expected[i]))),
  );
}

/** Two models with the same initial weights (the second a copy of the first). */
function twins(build: () => TF.LayersModel): [TF.LayersModel, TF.LayersModel] {
  const [a, b] = [build(), build()];
  b.setWeights(a.getWeights());
  return [a, b];
}

const disposables: { dispose(): void }[] = [];
afterEach(() => {
  for (const item of disposables.splice(0)) item.dispose();
  vi.restoreAllMocks();
});

describe('fit', () => {
  it("gives model.fit's batch losses, epoch logs and weights (BatchNormalization's moving statistics too), with tf.train.adam", async () => {
    const { x, labels } = data(72, [8, 8, 1], 3);
    const y = tf.oneHot(labels, 3);
    const [ours, theirs] = twins(() => batchNormCnn());
    ours.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    theirs.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    disposables.push(x, y, labels, ours, theirs);

    const a = await trained(ours, (options) => fit(ours, x, y, options));
    const b = await trained(theirs, (options) => theirs.fit(x, y, options));
    // 72 examples in batches of 16: 5 steps per epoch (the last of 8), two epochs.
    expect(a.batchLosses).toHaveLength(10);
    expectClose(a.batchLosses, b.batchLosses, 1e-5);
    expect(a.history.epoch).toEqual([0, 1]);
    expect(Object.keys(a.history.history).sort()).toEqual(['acc', 'loss']);
    expectClose(a.history.history.loss as number[], b.history.history.loss as number[], 1e-5);
    expectClose(a.history.history.acc as number[], b.history.history.acc as number[], 1e-6);
    // Kernel, bias, gamma, beta, moving mean, moving variance, kernel, bias: all as model.fit left them.
    expect(a.weights).toHaveLength(8);
    a.weights.forEach((w, i) => expectClose(Array.from(w), Array.from(b.weights[i]), 1e-5));
    expect((a.history as Awaited<ReturnType<typeof fit>>).stepMode.compiled).toBe(compiling);
  });

  it.each([
    ['categoricalCrossentropy', 3, 'softmax'],
    ['sparseCategoricalCrossentropy', 3, 'softmax'],
    ['meanSquaredError', 3, 'linear'],
    ['binaryCrossentropy', 1, 'sigmoid'],
  ])(
    'trains with %s and metrics as model.fit does, regularization and validation included',
    async (loss, units, activation) => {
      const { x, labels } = data(50, [6], units === 1 ? 2 : 3);
      const y =
        loss === 'sparseCategoricalCrossentropy'
          ? labels.toFloat()
          : units === 1
            ? labels.toFloat().reshape([-1, 1])
            : tf.oneHot(labels, 3).toFloat();
      const [ours, theirs] = twins(() => dense(units, activation, loss));
      disposables.push(x, y, labels, ours, theirs);
      const options = { validationSplit: 0.2 };
      const a = await trained(ours, (more) => fit(ours, x, y, { ...more, ...options }));
      const b = await trained(theirs, (more) => theirs.fit(x, y, { ...more, ...options }));
      expectClose(a.batchLosses, b.batchLosses, 1e-5);
      expect((a.history as Awaited<ReturnType<typeof fit>>).stepMode.compiled).toBe(compiling);
      expect(Object.keys(a.history.history).sort()).toEqual(Object.keys(b.history.history).sort());
      for (const key of Object.keys(b.history.history)) {
        expectClose(a.history.history[key] as number[], b.history.history[key] as number[], 1e-5);
      }
    },
  );

  it('gives the same losses compiled and eager for the same seed, shuffled; an inertia chain trains the same way', async () => {
    const { x, labels } = data(64, [8, 8, 1], 3);
    const y = tf.oneHot(labels, 3);
    const [compiled, eager] = twins(() => batchNormCnn());
    const chain = () => createOptimizer({ kind: 'heavy-ball', learningRate: 0.05, momentum: 0.9 });
    compiled.compile({ optimizer: chain(), loss: 'categoricalCrossentropy' });
    eager.compile({ optimizer: chain(), loss: 'categoricalCrossentropy' });
    disposables.push(x, y, labels, compiled, eager);
    const run = (model: TF.LayersModel, compile: 'auto' | 'off') =>
      trained(model, (options) => fit(model, x, y, { ...options, shuffle: true, seed: 7, compile }));
    const a = await run(compiled, 'auto');
    const b = await run(eager, 'off');
    expectClose(a.batchLosses, b.batchLosses, 1e-5);
    a.weights.forEach((w, i) => expectClose(Array.from(w), Array.from(b.weights[i]), 1e-5));
    // Shuffled: the first epoch's batches are not the unshuffled ones (which model.fit would give).
    const [plain] = twins(() => batchNormCnn());
    plain.compile({ optimizer: chain(), loss: 'categoricalCrossentropy' });
    disposables.push(plain);
    const unshuffled = await trained(plain, (options) => fit(plain, x, y, { ...options, compile: 'off' }));
    expect(unshuffled.batchLosses[1]).not.toBeCloseTo(a.batchLosses[1], 6);
  });

  it('calls the tfjs callbacks in order, stops on model.stopTraining and evaluates validationData', async () => {
    const { x, labels } = data(40, [6], 3);
    const y = tf.oneHot(labels, 3);
    const model = dense(3, 'softmax', 'categoricalCrossentropy');
    disposables.push(x, y, labels, model);
    const events: string[] = [];
    const history = await fit(model, x, y, {
      epochs: 5,
      batchSize: 16,
      verbose: 0,
      validationData: [x, y],
      callbacks: [
        {
          onTrainBegin: () => void events.push('train begin'),
          onEpochBegin: (epoch) => void events.push(`epoch ${epoch} begin`),
          onBatchBegin: (batch) => void events.push(`batch ${batch} begin`),
          onBatchEnd: (batch, logs) => void events.push(`batch ${batch} end size ${logs!.size}`),
          onEpochEnd: (epoch, logs) => {
            events.push(`epoch ${epoch} end ${Object.keys(logs!).sort().join(',')}`);
            if (epoch === 1) model.stopTraining = true;
          },
          onTrainEnd: () => void events.push('train end'),
        },
      ],
    });
    const epoch = (n: number) => [
      `epoch ${n} begin`,
      ...[0, 1, 2].flatMap((b) => [`batch ${b} begin`, `batch ${b} end size ${b === 2 ? 8 : 16}`]),
      `epoch ${n} end acc,loss,val_acc,val_loss`,
    ];
    expect(events).toEqual(['train begin', ...epoch(0), ...epoch(1), 'train end']);
    expect(history.epoch).toEqual([0, 1]);
    // validationData is the training set: its loss is the evaluation of the weights after the epoch.
    const evaluated = model.evaluate(x, y, { batchSize: 16 }) as TF.Scalar[];
    expect(history.history.val_loss[1]).toBeCloseTo(evaluated[0].dataSync()[0], 5);
    tf.dispose(evaluated);
  });

  it('starts at initialEpoch and takes tf.Callback instances such as tf.callbacks.earlyStopping', async () => {
    const { x, labels } = data(40, [6], 3);
    const y = tf.oneHot(labels, 3);
    const model = dense(3, 'softmax', 'categoricalCrossentropy');
    disposables.push(x, y, labels, model);
    const resumed = await fit(model, x, y, { epochs: 3, initialEpoch: 1, batchSize: 16, verbose: 0 });
    expect(resumed.epoch).toEqual([1, 2]);
    // A validation loss that must fall by 10 every epoch stops the training after the first epoch that fails (patience 0).
    const stopper = tf.callbacks.earlyStopping({ monitor: 'val_loss', minDelta: 10, patience: 0 });
    const stopped = await fit(model, x, y, {
      epochs: 5,
      batchSize: 16,
      verbose: 0,
      validationSplit: 0.25,
      callbacks: [stopper],
    });
    expect(stopped.epoch).toEqual([0, 1]);
  });

  it('leaves no tensors behind', async () => {
    const { x, labels } = data(40, [6], 3);
    const y = tf.oneHot(labels, 3);
    const model = dense(3, 'softmax', 'categoricalCrossentropy');
    disposables.push(x, y, labels, model);
    await fit(model, x, y, { epochs: 2, batchSize: 16, verbose: 0, validationSplit: 0.25 });
    const before = tf.memory().numTensors;
    await fit(model, x, y, { epochs: 2, batchSize: 16, verbose: 0, validationSplit: 0.25 });
    expect(tf.memory().numTensors).toBe(before);
  });

  // Skipped with INERTIA_COMPILE=off: no compiled step is attempted, so there is no fallback to name.
  it.runIf(compiling)('trains eagerly after one line naming a layer the compiled step cannot handle', async () => {
    /** Adds JavaScript-made random noise: a tensor the trace must refuse to freeze into the graph. */
    class Jitter extends tf.layers.Layer {
      static className = 'Jitter';
      call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        return tf.add(x, tf.randomUniform(x.shape, -1e-3, 1e-3));
      }
    }
    const { x, labels } = data(48, [40], 3);
    const y = tf.oneHot(labels, 3);
    const model = tf.sequential({
      layers: [new Jitter({ inputShape: [40], name: 'jitter' }), tf.layers.dense({ units: 3, activation: 'softmax' })],
    });
    model.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' });
    disposables.push(x, y, labels, model);
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (lines.push(String(chunk)), true));
    const history = await fit(model, x, y, { epochs: 2, batchSize: 16, verbose: 0, compile: 'auto' });
    expect(history.stepMode.compiled).toBe(false);
    expect(history.stepMode.fallback).toMatch(/^layer jitter \(Jitter\): the step makes a tensor of shape \[16, 40\]/);
    expect(lines.filter((line) => line.includes('layer jitter (Jitter)'))).toHaveLength(1);
    expect(history.history.loss.every((loss) => Number.isFinite(loss))).toBe(true);
  });

  it('trains a Dropout model compiled, with the eager masks for the same seed and new masks every step', async () => {
    const { x, labels } = data(64, [8, 8, 1], 3);
    const y = tf.oneHot(labels, 3);
    const build = () => batchNormCnn(0.5);
    const [compiled, eager] = twins(build);
    const still = build();
    still.setWeights(compiled.getWeights());
    for (const model of [compiled, eager, still]) {
      model.compile({ optimizer: tf.train.sgd(0), loss: 'categoricalCrossentropy' });
    }
    disposables.push(x, y, labels, compiled, eager, still);
    const run = (model: TF.LayersModel, compile: 'auto' | 'off', seed = 5) =>
      trained(model, (options) => fit(model, x, y, { ...options, seed, compile }));
    // The environment's mode (INERTIA_COMPILE=off: eager both ways).
    const a = await run(compiled, compiling ? 'auto' : 'off');
    const b = await run(eager, 'off');
    expect((a.history as Awaited<ReturnType<typeof fit>>).stepMode.compiled).toBe(compiling);
    // Same seed, same masks: the losses agree eagerly and compiled.
    expectClose(a.batchLosses, b.batchLosses, 1e-5);
    // With a learning rate of 0 and no shuffling, epoch 2 repeats epoch 1's batches on the same
    // weights: only new masks make its losses differ from epoch 1's.
    const steps = a.batchLosses.length / 2;
    expect(a.batchLosses.slice(steps)).not.toEqual(a.batchLosses.slice(0, steps));
    // Another seed, other masks.
    const c = await run(still, compiling ? 'auto' : 'off', 6);
    expect(c.batchLosses).not.toEqual(a.batchLosses);
  });

  it('refuses a model that is not compiled and invalid options, saying what to do', async () => {
    const { x, labels } = data(10, [6], 3);
    const y = tf.oneHot(labels, 3);
    const raw = tf.sequential({ layers: [tf.layers.dense({ inputShape: [6], units: 3 })] });
    const model = dense(3, 'softmax', 'categoricalCrossentropy');
    disposables.push(x, y, labels, raw, model);
    await expect(fit(raw, x, y)).rejects.toThrow(/call model.compile\(\{ optimizer, loss, metrics \}\) first/);
    await expect(fit(model, x, y, { batchSize: 0 })).rejects.toThrow(
      'fit: invalid batchSize 0 (expected an integer >= 1',
    );
    await expect(fit(model, x, y, { validationSplit: 1 })).rejects.toThrow(UserError);
    await expect(fit(model, x, y, { validationSplit: 0.95 })).rejects.toThrow(
      'validationSplit 0.95 of 10 examples leaves no training examples',
    );
    await expect(fit(model, x, y, { verbose: 3 as 1 })).rejects.toThrow('fit: invalid verbose 3 (expected 0, 1 or 2)');
    await expect(fit(model, x, tf.zeros([3, 3]))).rejects.toThrow('have 10 examples and 3 targets');
  });
});
