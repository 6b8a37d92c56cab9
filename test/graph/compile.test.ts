/**
 * Compiled steps (src/graph/compile.ts): a traced step called as one TensorFlow function gives
 * the same numbers as the eager step, bit for bit, for the MLP and CNN with inertia's chains and
 * the built-in tf.train optimizers, and for the models without a fast forward pass (the CNN with
 * BatchNormalization, whose moving statistics the function updates, and the residual MLP); scheduled and step-dependent hyperparameters stay inputs;
 * optimizer state swapped back into its variables keeps getWeights/setWeights working; what a
 * graph cannot hold is refused; and a binding without graph functions trains eagerly after one
 * warning line.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type * as TF from '@tensorflow/tfjs';
import { tf, currentBackend } from '../../src/backend.js';
import { buildModel, type ModelKind } from '../../src/models/index.js';
import { fastCrossEntropy, fastForward } from '../../src/graph/fastForward.js';
import { makeOptimizer, type TrainOptimizerSpec } from '../../src/train/config.js';
import { applyGradientsWithLoss, type ChainOptimizer } from '../../src/optimizers/index.js';
import { compileStep, optimizerCompileOptions, TraceError, type CompiledStep } from '../../src/graph/compile.js';
import type { NodeBackend } from '../../src/graph/graphBinding.js';
import { train } from '../../src/train/train.js';
import { loadSynthetic } from '../../src/data/synthetic.js';

const native = currentBackend() === 'tensorflow';
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'inertia-compile-'));
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

interface Setup {
  model: TF.LayersModel;
  optimizer: TF.Optimizer;
  variables: TF.Variable[];
  step: (inputs: TF.Tensor[]) => TF.Tensor[];
}

function setup(kind: ModelKind, spec: TrainOptimizerSpec, lossScale = 1): Setup {
  const model = buildModel({ kind, seed: 5, ...(kind === 'mlp' ? { hidden: [32, 16] } : {}) });
  // The session's forward pass: the fast one where the layers allow, else model.apply in training.
  const forward = fastForward(model) ?? ((x: TF.Tensor) => model.apply(x, { training: true }) as TF.Tensor);
  const optimizer = makeOptimizer(spec);
  const variables = model.trainableWeights.map((w) => w.read() as TF.Variable);
  const step = ([x, y]: TF.Tensor[]) => {
    const { value, grads } = tf.variableGrads(() => {
      const loss = fastCrossEntropy(y, forward(x));
      return lossScale === 1 ? loss : (tf.mul(loss, lossScale) as TF.Scalar);
    }, variables);
    applyGradientsWithLoss(optimizer, grads, value);
    return [value];
  };
  return { model, optimizer, variables, step };
}

function batches(count: number, rows: number): [TF.Tensor, TF.Tensor][] {
  return Array.from({ length: count }, (_, i) => [
    tf.randomUniform([rows, 28, 28, 1], 0, 1, 'float32', 11 + i),
    tf.oneHot(tf.randomUniform([rows], 0, 10, 'int32', 50 + i), 10).toFloat(),
  ]);
}

/** Losses of `steps` steps (the first eager, as the training loop does, then `run`). */
function losses(s: Setup, data: [TF.Tensor, TF.Tensor][], run: (inputs: TF.Tensor[]) => TF.Tensor[]): number[] {
  return data.map(([x, y], i) => tf.tidy(() => (i === 0 ? s.step([x, y]) : run([x, y]))[0].dataSync()[0]));
}

function stateOf(s: Setup): Float32Array[] {
  const velocity = (s.optimizer as Partial<ChainOptimizer>).velocity?.() ?? {};
  // By variable name: setWeights rebuilds the state in name order.
  const buffers = Object.keys(velocity)
    .sort()
    .map((name) => velocity[name]);
  // Every weight of the model: BatchNormalization's moving statistics too.
  const weights = s.model.weights.map((w) => w.read());
  return [...weights, ...buffers].map((t) => t.dataSync() as Float32Array);
}

const disposeAll = (...setups: Setup[]) => {
  for (const s of setups) {
    s.optimizer.dispose();
    s.model.dispose();
  }
};

describe.skipIf(!native)('compiled steps', () => {
  const open: CompiledStep[] = [];
  afterEach(() => {
    for (const c of open.splice(0)) c.dispose();
  });
  const compiled = (s: Setup) => {
    const c = compileStep(s.step, optimizerCompileOptions(s.optimizer));
    open.push(c);
    return c;
  };

  const cases: [ModelKind, TrainOptimizerSpec, number][] = [
    ['mlp', { kind: 'heavy-ball', learningRate: 0.05, momentum: 0.9 }, 1],
    ['mlp', { kind: 'nesterov', learningRate: 0.05, momentum: 0.9 }, 1],
    ['mlp', { kind: 'ema-momentum', learningRate: 0.1, momentum: 0.9 }, 1],
    ['mlp', { kind: 'sgd', learningRate: { values: [0.1, 0.01], boundaries: [3] } }, 1],
    ['mlp', { kind: 'pure-momentum', learningRate: 0.05, momentum: 0.9, gradientSteps: 3 }, 1],
    ['mlp', { kind: 'builtin-momentum', learningRate: 0.05, momentum: 0.9 }, 1],
    ['mlp', { kind: 'adam', learningRate: 0.01 }, 1],
    ['mlp', { kind: 'rmsprop', learningRate: 0.01 }, 1],
    ['mlp', { kind: 'polyak' }, 1],
    ['mlp', { kind: 'prodigy' }, 1],
    // Bias corrections that change every step, a wrapped base chain, the loss with the
    // first-step switch of the averages, a schedule read at step + 1.
    ['mlp', { kind: 'dadapt-adamw' }, 1],
    ['mlp', { kind: 'mechanic', baseLearningRate: 0.05 }, 1],
    ['mlp', { kind: 'momo', learningRate: 0.5 }, 1],
    ['mlp', { kind: 'schedule-free', learningRate: { values: [0.1, 0.05], boundaries: [4] } }, 1],
    ['mlp', { kind: 'heavy-ball', learningRate: 0.05, momentum: 0.9 }, 1024],
    ['logreg', { kind: 'heavy-ball', learningRate: 0.05, momentum: 0.9 }, 1],
    ['cnn', { kind: 'heavy-ball', learningRate: 0.05, momentum: 0.9 }, 1],
    ['cnn-bn', { kind: 'heavy-ball', learningRate: 0.05, momentum: 0.9 }, 1],
    ['cnn-bn', { kind: 'adam', learningRate: 0.01 }, 1],
    ['res-mlp', { kind: 'heavy-ball', learningRate: 0.05, momentum: 0.9 }, 1],
    ['deep-mlp', { kind: 'no-lr-momentum', momentum: 0.9 }, 1],
  ];
  for (const [kind, spec, lossScale] of cases) {
    it(`${kind} ${JSON.stringify(spec)} loss scale ${lossScale}: bit-identical to eager for 7 steps`, () => {
      const data = batches(7, 32);
      const eager = setup(kind, spec, lossScale);
      const eagerLosses = losses(eager, data, eager.step);
      const graph = setup(kind, spec, lossScale);
      const c = compiled(graph);
      const graphLosses = losses(graph, data, (inputs) => c.run(inputs));
      expect(graphLosses).toEqual(eagerLosses);
      expect(stateOf(graph)).toEqual(stateOf(eager));
      expect(graph.optimizer.iterations).toBe(eager.optimizer.iterations);
      // One trace, calls for the rest; a stage that changes course (pure momentum stops feeding
      // the gradient after 3 steps) gets a second function.
      expect(c.traces).toBe(spec.kind === 'pure-momentum' ? 2 : 1);
      expect(c.calls).toBe(6 - c.traces);
      disposeAll(eager, graph);
      tf.dispose(data.flat());
    });
  }

  it('leaves no tensors behind: the count is flat across compiled calls', () => {
    const s = setup('mlp', { kind: 'heavy-ball', learningRate: 0.05, momentum: 0.9 });
    const data = batches(2, 16);
    const c = compiled(s);
    tf.dispose(tf.tidy(() => s.step(data[0])));
    tf.dispose(tf.tidy(() => c.run(data[1])));
    tf.dispose(tf.tidy(() => c.run(data[0])));
    const count = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) tf.dispose(tf.tidy(() => c.run(data[i % 2])));
    expect(tf.memory().numTensors).toBe(count);
    disposeAll(s);
    tf.dispose(data.flat());
  });

  it('gives the last partial batch its own function, and retraces after setWeights replaces the state', async () => {
    const spec: TrainOptimizerSpec = { kind: 'heavy-ball', learningRate: 0.05, momentum: 0.9 };
    const [full, partial] = [batches(1, 32)[0], batches(1, 7)[0]];
    const eager = setup('mlp', spec);
    const graph = setup('mlp', spec);
    const c = compiled(graph);
    const sequence = [full, full, partial, full, partial];
    losses(eager, sequence, eager.step);
    losses(graph, sequence, (inputs) => c.run(inputs));
    expect(c.traces).toBe(2);
    // Save and restore the optimizer between compiled steps: same weights as eager's.
    const saved = await graph.optimizer.getWeights();
    expect(saved.map((w) => Array.from(w.tensor.dataSync()))).toEqual(
      (await eager.optimizer.getWeights()).map((w) => Array.from(w.tensor.dataSync())),
    );
    await graph.optimizer.setWeights(saved.map((w) => ({ name: w.name, tensor: w.tensor.clone() })));
    const after = [tf.tidy(() => eager.step(full)[0].dataSync()[0]), tf.tidy(() => c.run(full)[0].dataSync()[0])];
    expect(after[1]).toBe(after[0]);
    expect(c.traces).toBe(3);
    expect(stateOf(graph)).toEqual(stateOf(eager));
    disposeAll(eager, graph);
    tf.dispose([...full, ...partial]);
  });

  it('refuses reading data back, JavaScript-made tensors and outside tensors during a trace, and leaves the weights as they were', () => {
    const s = setup('mlp', { kind: 'heavy-ball', learningRate: 0.05, momentum: 0.9 });
    const [x, y] = batches(1, 8)[0];
    tf.dispose(tf.tidy(() => s.step([x, y])));
    const before = s.variables.map((v) => Array.from(v.dataSync()));
    const refuse = (step: (inputs: TF.Tensor[]) => TF.Tensor[], message: RegExp) => {
      const c = compileStep(step);
      expect(() => tf.tidy(() => c.run([x, y]))).toThrow(TraceError);
      expect(() => tf.tidy(() => c.run([x, y]))).toThrow(message);
      c.dispose();
      expect(s.variables.map((v) => Array.from(v.dataSync()))).toEqual(before);
    };
    refuse((inputs) => {
      const [value] = s.step(inputs);
      value.dataSync();
      return [value];
    }, /reads a tensor back/);
    refuse((inputs) => {
      const noise = tf.randomNormal(inputs[0].shape, 0, 1, 'float32', 3);
      return s.step([tf.add(inputs[0], noise), inputs[1]]);
    }, /makes a tensor of shape \[8, 28, 28, 1\] in JavaScript/);
    const outside = tf.randomUniform([8, 28, 28, 1]);
    tf.tidy(() => tf.add(outside, 0)); // on the device before the trace
    refuse((inputs) => s.step([tf.add(inputs[0], outside), inputs[1]]), /neither one of its inputs nor a variable/);
    outside.dispose();
    disposeAll(s);
    tf.dispose([x, y]);
  });
});

describe.skipIf(!native)('BatchNormalization in compiled steps', () => {
  /** The moving statistics of every BatchNormalization layer, by variable name. */
  const movingStatistics = (model: TF.LayersModel) =>
    Object.fromEntries(
      model.weights
        .filter((w) => /moving_/.test(w.name))
        // A second live model's variables carry tfjs's suffix (buildModel.ts): compare by layer.
        .map((w) => [w.name.replace(/_\d+$/, ''), Array.from(w.read().dataSync())]),
    );

  it('moves the moving statistics as model.fit does: m <- m - 0.01 (m - batch mean), from m = 0', async () => {
    const [x, y] = batches(1, 32)[0];
    const fitted = buildModel({ kind: 'cnn-bn', seed: 5 });
    fitted.compile({
      optimizer: tf.train.sgd(0.05),
      loss: (labels: TF.Tensor, logits: TF.Tensor) => fastCrossEntropy(labels, logits),
    });
    // conv1's output on the batch at the initial weights: bn1 normalises it by its batch moments.
    const conv1 = fitted.getLayer('conv1');
    const batchMean = tf.tidy(() => Array.from(tf.mean(conv1.apply(x) as TF.Tensor, [0, 1, 2]).dataSync()));
    await fitted.fit(x, y, { batchSize: 32, epochs: 1, shuffle: false, verbose: 0 });
    const custom = setup('cnn-bn', { kind: 'sgd', learningRate: 0.05 });
    tf.tidy(() => custom.step([x, y]));
    const [byFit, byStep] = [movingStatistics(fitted), movingStatistics(custom.model)];
    // Moving mean and variance of bn1, bn2, bn3.
    expect(Object.keys(byStep)).toHaveLength(6);
    expect(byStep).toEqual(byFit);
    // From 0: m = 0.01 x the batch mean of conv1's 16 channels (float32 rounding).
    byStep['bn1/moving_mean'].forEach((m, i) => expect(m).toBeCloseTo(0.01 * batchMean[i], 7));
    expect(batchMean.some((m) => Math.abs(m) > 1e-3)).toBe(true);
    fitted.dispose();
    disposeAll(custom);
    tf.dispose([x, y]);
  });

  it('a compiled call updates the moving statistics bit for bit as an eager step does', () => {
    const data = batches(3, 32);
    const spec: TrainOptimizerSpec = { kind: 'heavy-ball', learningRate: 0.05, momentum: 0.9 };
    const eager = setup('cnn-bn', spec);
    const graph = setup('cnn-bn', spec);
    const c = compileStep(graph.step, optimizerCompileOptions(graph.optimizer));
    losses(eager, data.slice(0, 2), eager.step);
    losses(graph, data.slice(0, 2), (inputs) => c.run(inputs));
    const afterTrace = movingStatistics(graph.model);
    // Step 3: the first call of the function (steps 1 and 2 were eager, the second recorded).
    losses(eager, [data[2]], eager.step);
    tf.tidy(() => c.run(data[2]));
    expect(c.calls).toBe(1);
    const afterCall = movingStatistics(graph.model);
    expect(afterCall).toEqual(movingStatistics(eager.model));
    expect(afterCall['bn1/moving_mean']).not.toEqual(afterTrace['bn1/moving_mean']);
    c.dispose();
    disposeAll(eager, graph);
    tf.dispose(data.flat());
  });
});

describe.skipIf(!native)('compiled training runs', () => {
  it('give the same metrics as eager runs, model by model', async () => {
    const dataset = loadSynthetic({ seed: 3, trainLimit: 400, testLimit: 100 });
    const runs: [ModelKind, TrainOptimizerSpec][] = [
      ['mlp', { kind: 'heavy-ball', learningRate: 0.05, momentum: 0.9 }],
      ['cnn', { kind: 'heavy-ball', learningRate: 0.05, momentum: 0.9 }],
      // Reads its step counter: the scalar probe runs before every compiled call.
      ['mlp', { kind: 'pure-momentum', learningRate: 0.05, momentum: 0.9, gradientSteps: 1 }],
      // Evaluated with the moving statistics its compiled steps update.
      ['cnn-bn', { kind: 'heavy-ball', learningRate: 0.05, momentum: 0.9 }],
      ['res-mlp', { kind: 'heavy-ball', learningRate: 0.05, momentum: 0.9 }],
    ];
    for (const [model, optimizer] of runs) {
      const config = {
        dataset: 'synthetic' as const,
        model,
        optimizer,
        epochs: 1,
        batchSize: 64,
        seed: 2,
        lossScale: 1,
        mode: 'custom' as const,
        logEvery: 5,
        normEvery: 7,
        divergenceBound: 100,
        evalBatchSize: 500,
        trainLimit: 400,
        testLimit: 100,
      };
      const run = (compile: 'on' | 'off') =>
        train(config, {
          outRoot: out,
          runId: `${model}-${optimizer.kind}-${compile}`,
          dataset,
          compile,
          plot: false,
          tensorboard: false,
        });
      const eager = await run('off');
      const compiled = await run('on');
      expect(compiled.stepMode).toEqual({ compile: 'on', compiled: true, fallback: null });
      expect(eager.stepMode.compiled).toBe(false);
      const values = (r: typeof eager) =>
        r.rows.filter((row) => !/second/.test(row.metric)).map((row) => [row.step, row.metric, row.value]);
      expect(values(compiled)).toEqual(values(eager));
    }
  });

  it('falls back to eager steps with one warning line when the binding has no graph functions', async () => {
    const backend = tf.backend() as unknown as NodeBackend;
    const real = backend.binding;
    // tfjs-node's own binding, as its prebuilt download gives it: no buildFunction/removeFunction.
    backend.binding = Object.create(real, {
      buildFunction: { value: undefined },
      removeFunction: { value: undefined },
    });
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const dataset = loadSynthetic({ seed: 3, trainLimit: 400, testLimit: 100 });
      const config = {
        dataset: 'synthetic' as const,
        model: 'mlp' as const,
        optimizer: { kind: 'heavy-ball', learningRate: 0.05, momentum: 0.9 } as TrainOptimizerSpec,
        epochs: 1,
        batchSize: 100,
        seed: 2,
        lossScale: 1,
        mode: 'custom' as const,
        logEvery: 5,
        normEvery: 0,
        divergenceBound: 100,
        evalBatchSize: 500,
        trainLimit: 400,
        testLimit: 100,
      };
      const result = await train(config, { outRoot: out, runId: 'fallback', dataset, compile: 'auto', plot: false });
      const lines = write.mock.calls.map(([text]) => String(text));
      write.mockRestore();
      expect(result.status).toBe('completed');
      expect(result.steps).toBe(4);
      expect(result.stepMode).toMatchObject({ compile: 'auto', compiled: false });
      expect(result.stepMode.fallback).toMatch(/no graph functions/);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^inertia: warning: training with eager steps: .*no graph functions.*\n$/);
      await expect(
        train(config, { outRoot: out, runId: 'fallback-on', dataset, compile: 'on', plot: false }),
      ).rejects.toThrow(/--compile on: compiled steps cannot run: .*no graph functions/);
    } finally {
      write.mockRestore();
      backend.binding = real;
    }
  });
});
