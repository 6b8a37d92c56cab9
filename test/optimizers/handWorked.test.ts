/**
 * Two steps of every kind worked out by hand, asserted to 1e-6.
 *
 * Every case starts from w0 = [0, 0] and feeds g0 = [1, -2], then g1 = [3, 0.5];
 * alpha = 0.1, mu = beta = 0.9, v starts at 0.
 *
 * sgd:            w1 = -0.1*g0 = [-0.1, 0.2];  w2 = w1 - 0.1*g1 = [-0.4, 0.15]
 * heavy-ball:     v1 = g0 = [1, -2];  w1 = [-0.1, 0.2]
 *                 v2 = 0.9*v1 + g1 = [3.9, -1.3];  w2 = w1 - 0.1*v2 = [-0.49, 0.33]
 * nesterov:       v1 = [1, -2];  u1 = g0 + 0.9*v1 = [1.9, -3.8];  w1 = [-0.19, 0.38]
 *                 v2 = [3.9, -1.3];  u2 = g1 + 0.9*v2 = [6.51, -0.67];  w2 = [-0.841, 0.447]
 * ema-momentum:   v1 = 0.1*g0 = [0.1, -0.2];  w1 = -0.1*v1 = [-0.01, 0.02]
 *                 v2 = 0.9*v1 + 0.1*g1 = [0.39, -0.13];  w2 = w1 - 0.1*v2 = [-0.049, 0.033]
 * no-lr-momentum: same v;  w1 = -v1 = [-0.1, 0.2];  w2 = w1 - v2 = [-0.49, 0.33]
 *                 (= heavy-ball with alpha = 1 - beta: the EMA hides a learning rate of 1 - beta)
 * ema-momentum without learningRate: identical to no-lr-momentum.
 * pure-momentum (k = 1): v1 = g0;  w1 = [-0.1, 0.2];  v2 = 0.9*v1 = [0.9, -1.8] (g1 ignored);
 *                 w2 = [-0.19, 0.38]
 * pure-momentum (k = 2): both gradients enter: as heavy-ball, w2 = [-0.49, 0.33]
 * keras-momentum: v1 = 0.1*g0 = [0.1, -0.2];  w1 = -v1 = [-0.1, 0.2]
 *                 v2 = 0.9*v1 + 0.1*g1 = [0.39, -0.13];  w2 = [-0.49, 0.33] (= heavy-ball)
 *
 * ema-debiased:   v1 = 0.1*g0 = [0.1, -0.2];  u1 = v1 / (1 - 0.9) = g0;  w1 = [-1, 2]
 *                 v2 = [0.39, -0.13];  u2 = v2 / (1 - 0.81) = [2.0526316, -0.6842105];
 *                 w2 = [-3.0526316, 2.6842105]  (the first step is the gradient itself, as in Adam)
 * rprop (initial step 0.1, eta- 0.5, eta+ 1.2): p (the signed step stored) starts at 0.
 *                 step 1: g0 * p = 0, steps stay 0.1;  p = 0.1*sign(g0) = [0.1, -0.1];  u1 = old p = 0;
 *                 w1 = [0, 0] (Optax applies the step stored at the previous step)
 *                 step 2: g1 * p = [0.3, -0.05]: first keeps its sign, step 0.1*1.2 = 0.12,
 *                 p = [0.12, 0];  second flips, step 0.1*0.5 = 0.05, p = 0 and u = 0;
 *                 u2 = [0.1, 0] (the old p where no flip);  w2 = [-0.1, 0]
 * cocob (alpha 100, x0 = 0; L = max|g|, G = sum|g|, R reward, C = -sum g):
 *                 step 1: L = G = [1, 2], R = 0, C = [-1, 2];
 *                 w1 = C / (L * max(G + L, 100 L)) * (L + R) = C / (100 L) = [-0.01, 0.01]
 *                 step 2: L = [3, 2], G = [4, 2.5], R = max(-g1 * w1, 0) = [0.03, 0], C = [-4, 1.5];
 *                 w2 = [-4 / (3 * 300) * 3.03, 1.5 / (2 * 200) * 2] = [-0.0134667, 0.0075]
 *
 * With the rate halved after one step (schedule { values: [0.1, 0.05], boundaries: [1] }):
 * heavy-ball:     w1 = [-0.1, 0.2];  v2 = [3.9, -1.3];  w2 = w1 - 0.05*v2 = [-0.295, 0.265]
 * keras-momentum: v1 = [0.1, -0.2];  v2 = 0.9*v1 + 0.05*g1 = [0.24, -0.155];  w2 = [-0.34, 0.355]
 */
import { describe, expect, it } from 'vitest';
import { tf } from '../../src/backend.js';
import { createOptimizer, type OptimizerSpec } from '../../src/optimizers/index.js';
import { maxAbsDiff, uniquePrefix } from './helpers.js';

const g0 = [1, -2];
const g1 = [3, 0.5];
const halved = { values: [0.1, 0.05], boundaries: [1] };

const cases: [string, OptimizerSpec, number[], number[], number[] | null][] = [
  // label, spec, w1, w2, velocity after step 2 (null: no buffer)
  ['sgd', { kind: 'sgd', learningRate: 0.1 }, [-0.1, 0.2], [-0.4, 0.15], null],
  ['heavy-ball', { kind: 'heavy-ball', learningRate: 0.1, momentum: 0.9 }, [-0.1, 0.2], [-0.49, 0.33], [3.9, -1.3]],
  ['nesterov', { kind: 'nesterov', learningRate: 0.1, momentum: 0.9 }, [-0.19, 0.38], [-0.841, 0.447], [3.9, -1.3]],
  [
    'ema-momentum',
    { kind: 'ema-momentum', learningRate: 0.1, momentum: 0.9 },
    [-0.01, 0.02],
    [-0.049, 0.033],
    [0.39, -0.13],
  ],
  ['no-lr-momentum', { kind: 'no-lr-momentum', momentum: 0.9 }, [-0.1, 0.2], [-0.49, 0.33], [0.39, -0.13]],
  [
    'ema-momentum without learningRate',
    { kind: 'ema-momentum', momentum: 0.9 },
    [-0.1, 0.2],
    [-0.49, 0.33],
    [0.39, -0.13],
  ],
  [
    'pure-momentum k=1',
    { kind: 'pure-momentum', learningRate: 0.1, momentum: 0.9 },
    [-0.1, 0.2],
    [-0.19, 0.38],
    [0.9, -1.8],
  ],
  [
    'pure-momentum k=2',
    { kind: 'pure-momentum', learningRate: 0.1, momentum: 0.9, gradientSteps: 2 },
    [-0.1, 0.2],
    [-0.49, 0.33],
    [3.9, -1.3],
  ],
  [
    'keras-momentum',
    { kind: 'keras-momentum', learningRate: 0.1, momentum: 0.9 },
    [-0.1, 0.2],
    [-0.49, 0.33],
    [0.39, -0.13],
  ],
  [
    'heavy-ball, rate halved',
    { kind: 'heavy-ball', learningRate: halved, momentum: 0.9 },
    [-0.1, 0.2],
    [-0.295, 0.265],
    [3.9, -1.3],
  ],
  [
    'keras-momentum, rate halved',
    { kind: 'keras-momentum', learningRate: halved, momentum: 0.9 },
    [-0.1, 0.2],
    [-0.34, 0.355],
    [0.24, -0.155],
  ],
  [
    'ema-debiased',
    { kind: 'ema-debiased', momentum: 0.9 },
    [-1, 2],
    [-1 - 0.39 / 0.19, 2 + 0.13 / 0.19],
    [0.39, -0.13],
  ],
  ['rprop', { kind: 'rprop', learningRate: 0.1 }, [0, 0], [-0.1, 0], null],
  ['cocob', { kind: 'cocob' }, [-0.01, 0.01], [(-4 / 900) * 3.03, 0.0075], null],
];

describe('two steps by hand', () => {
  it.each(cases)('%s', (_, spec, w1, w2, velocity) => {
    const w = tf.variable(tf.zeros([2]), true, `${uniquePrefix('hand')}/w`);
    const optimizer = createOptimizer(spec);
    const step = (g: number[]): void => {
      const gradient = tf.tensor1d(g);
      optimizer.applyGradients({ [w.name]: gradient });
      gradient.dispose();
    };
    step(g0);
    expect(maxAbsDiff(w, w1)).toBeLessThan(1e-6);
    step(g1);
    expect(maxAbsDiff(w, w2)).toBeLessThan(1e-6);
    const buffers = optimizer.velocity();
    if (velocity === null) {
      expect(buffers).toBeNull();
    } else {
      expect(Object.keys(buffers!)).toEqual([w.name]);
      expect(maxAbsDiff(buffers![w.name], velocity)).toBeLessThan(1e-6);
    }
    optimizer.dispose();
    w.dispose();
  });
});

describe('pure momentum', () => {
  // After one gradient g0, v_t = mu^(t-1) g0 and the weights move by
  // alpha * g0 * (1 + mu + ... + mu^(T-1)) = alpha * g0 * (1 - mu^T) / (1 - mu), whatever the later gradients.
  it.each([
    [0.9, 50],
    [0.5, 20],
    [0.99, 200],
  ])('moves by alpha*g0*(1 - mu^T)/(1 - mu) with mu = %s, T = %s', (mu, steps) => {
    const alpha = 0.1;
    const first = [1, -2, 0.5];
    const w = tf.variable(tf.zeros([3]), true, `${uniquePrefix('pure')}/w`);
    const optimizer = createOptimizer({ kind: 'pure-momentum', learningRate: alpha, momentum: mu });
    for (let t = 0; t < steps; t++) {
      // Later gradients are large and varied: they must not matter.
      const gradient = t === 0 ? tf.tensor1d(first) : tf.tensor1d([100 * Math.sin(t), -50, 7 * t]);
      optimizer.applyGradients([{ name: w.name, tensor: gradient }]);
      gradient.dispose();
    }
    const expected = first.map((g) => -alpha * g * ((1 - mu ** steps) / (1 - mu)));
    expect(maxAbsDiff(w, expected)).toBeLessThan(1e-4 * Math.max(...expected.map(Math.abs)));
    optimizer.dispose();
    w.dispose();
  });

  it('takes mu = 1 (constant velocity: moves alpha*g0 each step) and mu > 1 (grows as mu^t)', () => {
    const w = tf.variable(tf.zeros([1]), true, `${uniquePrefix('pure')}/w`);
    const undamped = createOptimizer({ kind: 'pure-momentum', learningRate: 0.5, momentum: 1 });
    const growing = createOptimizer({ kind: 'pure-momentum', learningRate: 0.5, momentum: 1.5 });
    const g = tf.tensor1d([2]);
    for (let t = 0; t < 10; t++) undamped.applyGradients({ [w.name]: g });
    expect(w.dataSync()[0]).toBeCloseTo(-0.5 * 2 * 10, 5); // -10
    w.assign(tf.zeros([1]));
    for (let t = 0; t < 4; t++) growing.applyGradients({ [w.name]: g });
    // -0.5 * 2 * (1 + 1.5 + 2.25 + 3.375) = -8.125
    expect(w.dataSync()[0]).toBeCloseTo(-8.125, 5);
    tf.dispose([g, w]);
    undamped.dispose();
    growing.dispose();
  });
});

describe('rprop step sizes', () => {
  /** Steps of one-element gradients; returns the weight after each step and the step sizes at the end. */
  async function rpropRun(spec: OptimizerSpec, gradients: number[]): Promise<{ weights: number[]; stepSize: number }> {
    const w = tf.variable(tf.zeros([1]), true, `${uniquePrefix('rprop')}/w`);
    const optimizer = createOptimizer(spec);
    const weights: number[] = [];
    for (const g of gradients) {
      const gradient = tf.tensor1d([g]);
      optimizer.applyGradients({ [w.name]: gradient });
      gradient.dispose();
      weights.push(w.dataSync()[0]);
    }
    const state = await optimizer.getWeights();
    const stepSize = state.find((s) => s.name === `${w.name}/0.scaleByRprop.stepSizes`)!.tensor.dataSync()[0];
    optimizer.dispose();
    tf.dispose([w, ...state.map((s) => s.tensor)]);
    return { weights, stepSize };
  }

  it('grows the step by etaPlus while the sign holds, up to maxStep', async () => {
    // g = 1 every step; stored step p: 0.1, then min(0.2, 0.15) = 0.15, then 0.15 again.
    // u (the p stored one step before): 0, 0.1, 0.15, 0.15;  w = 0, -0.1, -0.25, -0.4
    const { weights, stepSize } = await rpropRun(
      { kind: 'rprop', learningRate: 0.1, etaPlus: 2, maxStep: 0.15 },
      [1, 1, 1, 1],
    );
    expect(maxAbsDiff(weights, [0, -0.1, -0.25, -0.4])).toBeLessThan(1e-6);
    expect(stepSize).toBeCloseTo(0.15, 6);
  });

  it('halves the step where the sign flips, down to minStep, and does not move on alternating signs', async () => {
    // g = 1, -1, 1, -1: step 2 flips (step 0.05, p = 0); step 3 finds p = 0 (s = 0: step kept,
    // p = 0.05); step 4 flips (0.025, clipped to minStep 0.04). u is 0 at every step: either
    // the first step, a flip, or the p = 0 a flip stored.
    const { weights, stepSize } = await rpropRun({ kind: 'rprop', learningRate: 0.1, minStep: 0.04 }, [1, -1, 1, -1]);
    expect(weights).toEqual([0, 0, 0, 0]);
    expect(stepSize).toBeCloseTo(0.04, 6);
  });
});
