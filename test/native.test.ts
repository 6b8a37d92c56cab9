/**
 * The native backend: with INERTIA_REQUIRE_NATIVE=1 (as in .ci/run) the suite fails unless
 * TensorFlow's C++ kernels run; wherever they do, the same training runs on `tensorflow`
 * and on the pure-JS `cpu` backend must agree within float32 tolerance.
 */
import type * as TF from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { isNativeAvailable, nativeLoadError, tensorflowVersion, tf, useBackend, type BackendName } from '../src/backend.js';

const requireNative = process.env.INERTIA_REQUIRE_NATIVE === '1';

describe('native backend', () => {
  it.runIf(requireNative)('is tensorflow (INERTIA_REQUIRE_NATIVE=1)', async () => {
    expect(nativeLoadError, 'tfjs-node must load: run `npm install` and see docs/native-backend.md').toBeNull();
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
    out[i] = (state / 2 ** 32 * 2 - 1) * scale;
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
async function trainDense(backend: BackendName, makeOptimizer: () => TF.Optimizer): Promise<{ losses: number[]; weights: Float32Array[] }> {
  await useBackend(backend);
  const x = tf.tensor2d(numbers(BATCH * IN, 1), [BATCH, IN]);
  const y = tf.tensor2d(numbers(BATCH * OUT, 2), [BATCH, OUT]);
  const params = {
    w1: tf.variable(tf.tensor2d(numbers(IN * HIDDEN, 3, 0.5), [IN, HIDDEN]), true, `native-w1-${backend}`),
    b1: tf.variable(tf.tensor1d(numbers(HIDDEN, 4, 0.1)), true, `native-b1-${backend}`),
    w2: tf.variable(tf.tensor2d(numbers(HIDDEN * OUT, 5, 0.5), [HIDDEN, OUT]), true, `native-w2-${backend}`),
    b2: tf.variable(tf.tensor1d(numbers(OUT, 6, 0.1)), true, `native-b2-${backend}`),
  };
  const optimizer = makeOptimizer();
  const loss = () => tf.losses.meanSquaredError(y, tf.relu(x.matMul(params.w1).add(params.b1)).matMul(params.w2).add(params.b2)) as TF.Scalar;
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
});
