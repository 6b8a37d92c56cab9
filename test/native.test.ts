/**
 * The native backend: with INERTIA_REQUIRE_NATIVE=1 (as in .ci/run) the suite fails unless
 * TensorFlow's C++ kernels run; wherever they do, the same training runs on `tensorflow`
 * and on the pure-JS `cpu` backend must agree within float32 tolerance.
 */
import type * as TF from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  isNativeAvailable,
  nativeLoadError,
  tensorflowVersion,
  tf,
  useBackend,
  type BackendName,
} from '../src/backend.js';
import { createOptimizer, type OptimizerSpec } from '../src/optimizers/index.js';
import {
  loadFixture,
  makeVariables,
  maxAbsDiff,
  maxRelDiff,
  namedGradients,
  trainClosedCase,
  uniquePrefix,
  type ClosedCase,
  type OpenCase,
} from './optimizers/helpers.js';

const requireNative = process.env.INERTIA_REQUIRE_NATIVE === '1';

describe('native backend', () => {
  it.runIf(requireNative)('is tensorflow (INERTIA_REQUIRE_NATIVE=1)', async () => {
    expect(nativeLoadError(), 'tfjs-node must load: run `npm install` and see docs/native-backend.md').toBeNull();
    expect(await useBackend('tensorflow')).toBe('tensorflow');
    expect(tf.getBackend()).toBe('tensorflow');
    expect(tensorflowVersion()).toMatch(/^2\.\d+\.\d+/);
  });
});

/** Deterministic numbers in [-scale, scale) (an LCG), identical for both backends. */
function numbers(count: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = ((state / 2 ** 32) * 2 - 1) * scale;
  }
  return out;
}

const IN = 8;
const HIDDEN = 16;
const OUT = 3;
const BATCH = 32;
const STEPS = 25;

/**
 * Trains relu(x W1 + b1) W2 + b2 with mean squared error for STEPS full-batch steps on
 * `backend` and returns the loss before every step and all weights at the end.
 */
async function trainDense(
  backend: BackendName,
  makeOptimizer: () => TF.Optimizer,
): Promise<{ losses: number[]; weights: Float32Array[] }> {
  await useBackend(backend);
  const x = tf.tensor2d(numbers(BATCH * IN, 1), [BATCH, IN]);
  const y = tf.tensor2d(numbers(BATCH * OUT, 2), [BATCH, OUT]);
  const prefix = uniquePrefix(`native-${backend}`);
  const params = {
    w1: tf.variable(tf.tensor2d(numbers(IN * HIDDEN, 3, 0.5), [IN, HIDDEN]), true, `${prefix}/w1`),
    b1: tf.variable(tf.tensor1d(numbers(HIDDEN, 4, 0.1)), true, `${prefix}/b1`),
    w2: tf.variable(tf.tensor2d(numbers(HIDDEN * OUT, 5, 0.5), [HIDDEN, OUT]), true, `${prefix}/w2`),
    b2: tf.variable(tf.tensor1d(numbers(OUT, 6, 0.1)), true, `${prefix}/b2`),
  };
  const optimizer = makeOptimizer();
  const loss = () =>
    tf.losses.meanSquaredError(
      y,
      tf.relu(x.matMul(params.w1).add(params.b1)).matMul(params.w2).add(params.b2),
    ) as TF.Scalar;
  const losses: number[] = [];
  for (let step = 0; step < STEPS; step++) {
    const value = optimizer.minimize(loss, true)!;
    losses.push(value.dataSync()[0]);
    value.dispose();
  }
  const weights = Object.values(params).map((v) => v.dataSync() as Float32Array);
  optimizer.dispose();
  tf.dispose([x, y, ...Object.values(params)]);
  return { losses, weights };
}

/** Largest |a - b| / (1 + |b|) over all entries. */
function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  return worst;
}

/** Each study kind with a tf.train twin: [built-in, createOptimizer] on the same hyperparameters. */
const PAIRS: Record<string, [() => TF.Optimizer, () => TF.Optimizer]> = {
  sgd: [() => tf.train.sgd(0.1), () => createOptimizer({ kind: 'sgd', learningRate: 0.1 })],
  'heavy-ball': [
    () => tf.train.momentum(0.05, 0.9),
    () => createOptimizer({ kind: 'heavy-ball', learningRate: 0.05, momentum: 0.9 }),
  ],
  nesterov: [
    () => tf.train.momentum(0.05, 0.9, true),
    () => createOptimizer({ kind: 'nesterov', learningRate: 0.05, momentum: 0.9 }),
  ],
};

/** The largest disagreement between two runs, over the losses and every weight. */
function disagreement(
  a: { losses: number[]; weights: Float32Array[] },
  b: { losses: number[]; weights: Float32Array[] },
): number {
  return Math.max(maxRelativeError(a.losses, b.losses), ...a.weights.map((w, i) => maxRelativeError(w, b.weights[i])));
}

const fixture = loadFixture();
const label = (c: { kind: string; seed: number; hyperparameters: object }): string =>
  `${c.kind} seed ${c.seed} ${JSON.stringify(c.hyperparameters)}`;

/** An open-loop reference case on `backend`: the parameters after every step, flattened. */
async function openTrajectory(backend: BackendName, c: OpenCase): Promise<number[]> {
  await useBackend(backend);
  const prefix = uniquePrefix(`native-open-${backend}`);
  const variables = makeVariables(prefix, c.initial);
  const optimizer = createOptimizer({ kind: c.kind, ...c.hyperparameters } as OptimizerSpec);
  const trajectory: number[] = [];
  let worstVsReference = 0;
  for (let t = 0; t < c.steps; t++) {
    const gradients = namedGradients(prefix, c.gradients[t]);
    optimizer.applyGradients(gradients);
    tf.dispose(gradients);
    for (const name of Object.keys(c.initial)) {
      worstVsReference = Math.max(worstVsReference, maxAbsDiff(variables[name], c.trajectory[t][name]));
      trajectory.push(...variables[name].dataSync());
    }
  }
  optimizer.dispose();
  tf.dispose(Object.values(variables));
  expect(worstVsReference, `${backend} vs reference`).toBeLessThan(1e-5);
  return trajectory;
}

/** A closed-loop reference case (two-layer net, softmax cross-entropy) on `backend`: losses then final weights. */
async function closedRun(backend: BackendName, c: ClosedCase): Promise<number[]> {
  await useBackend(backend);
  const { losses, weights: w } = trainClosedCase(c, uniquePrefix(`native-closed-${backend}`));
  expect(maxRelDiff(losses, c.losses), `${backend} losses vs reference`).toBeLessThan(1e-4);
  const finals = Object.keys(c.final).flatMap((name) => {
    expect(maxRelDiff(w[name], c.final[name]), `${backend} ${name} vs reference`).toBeLessThan(1e-4);
    return Array.from(w[name].dataSync());
  });
  tf.dispose(Object.values(w));
  return [...losses, ...finals];
}

const OPTIMIZERS: Record<string, () => TF.Optimizer> = {
  'tf.train.sgd(0.1)': () => tf.train.sgd(0.1),
  'tf.train.momentum(0.05, 0.9)': () => tf.train.momentum(0.05, 0.9),
  'tf.train.momentum(0.05, 0.9, nesterov)': () => tf.train.momentum(0.05, 0.9, true),
};

describe.runIf(isNativeAvailable())('tensorflow and cpu backends agree', () => {
  afterAll(async () => {
    await useBackend();
  });

  for (const [name, makeOptimizer] of Object.entries(OPTIMIZERS)) {
    it(`${name}: ${STEPS} steps of a ${IN}-${HIDDEN}-${OUT} dense model`, async () => {
      const native = await trainDense('tensorflow', makeOptimizer);
      const cpu = await trainDense('cpu', makeOptimizer);
      // float32 kernels with different summation orders (and oneDNN); measured about 5e-8 here.
      expect(maxRelativeError(native.losses, cpu.losses)).toBeLessThan(1e-6);
      native.weights.forEach((w, i) => expect(maxRelativeError(w, cpu.weights[i])).toBeLessThan(1e-6));
      // The run must actually train, or agreement would prove nothing.
      expect(native.losses[STEPS - 1]).toBeLessThan(0.9 * native.losses[0]);
    });
  }

  for (const [kind, [builtin, custom]] of Object.entries(PAIRS)) {
    it(`createOptimizer ${kind} matches its tf.train twin on both backends`, async () => {
      const reference = await trainDense('tensorflow', builtin);
      expect(disagreement(await trainDense('tensorflow', custom), reference)).toBeLessThan(1e-6);
      expect(disagreement(await trainDense('cpu', custom), reference)).toBeLessThan(1e-6);
    });
  }

  const openCases = fixture.cases.filter((c): c is OpenCase => c.mode === 'open');
  const closedCases = fixture.cases.filter((c): c is ClosedCase => c.mode === 'closed');

  it.each(openCases.map((c) => [label(c), c] as const))('reference open loop: %s', async (_, c) => {
    const native = await openTrajectory('tensorflow', c);
    const cpu = await openTrajectory('cpu', c);
    expect(maxRelativeError(native, cpu)).toBeLessThan(1e-6);
  });

  it.each(closedCases.map((c) => [label(c), c] as const))('reference closed loop: %s', async (_, c) => {
    const native = await closedRun('tensorflow', c);
    const cpu = await closedRun('cpu', c);
    expect(maxRelativeError(native, cpu)).toBeLessThan(1e-6);
  });
});
