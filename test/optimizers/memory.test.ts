/**
 * Tensor bookkeeping: after the first step (which allocates the buffers) a step leaves
 * tf.memory().numTensors unchanged, dispose() returns to the baseline, and state is keyed
 * by variable name, so variables may come and go between steps.
 */
import { describe, expect, it } from 'vitest';
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../../src/backend.js';
import { createOptimizer, type OptimizerSpec } from '../../src/optimizers/index.js';
import { maxAbsDiff, PARAMETER_FREE_SPECS, uniquePrefix } from './helpers.js';

const specs: OptimizerSpec[] = [
  { kind: 'sgd', learningRate: 0.1 },
  { kind: 'heavy-ball', learningRate: 0.1, momentum: 0.9 },
  { kind: 'nesterov', learningRate: 0.1, momentum: 0.9 },
  { kind: 'ema-momentum', learningRate: 0.1, momentum: 0.9 },
  { kind: 'ema-momentum', momentum: 0.9 },
  { kind: 'no-lr-momentum', momentum: 0.9 },
  { kind: 'pure-momentum', learningRate: 0.1, momentum: 0.9, gradientSteps: 2 },
  { kind: 'keras-momentum', learningRate: 0.1, momentum: 0.9 },
  // The rate switches twice during the run: the cached scalar is rebuilt, not added to.
  { kind: 'heavy-ball', learningRate: { values: [0.1, 0.05, 0.01], boundaries: [3, 6] }, momentum: 0.9 },
  // Bias corrections change every step: their cached scalars are rebuilt, not added to.
  { kind: 'adam' },
  { kind: 'rmsprop' },
  { kind: 'polyak' },
  { kind: 'prodigy' },
  // The parameter-free kinds; the bias correction of ema-debiased changes every step: its cached scalar is rebuilt.
  ...PARAMETER_FREE_SPECS,
  { kind: 'dadapt-adamw' },
  // A wrapper: its base heavy-ball's velocity and Mechanic's per-beta vectors.
  { kind: 'mechanic' },
  // The averages start at the first gradient (b = 0), then decay by beta: the scalars switch once.
  { kind: 'momo', learningRate: 0.01 },
  { kind: 'schedule-free', learningRate: { values: [0.1, 0.05], boundaries: [4] } },
];

describe('memory', () => {
  it.each(specs.map((s) => [JSON.stringify(s), s] as const))(
    '%s: constant after the first step, baseline after dispose',
    (_, spec) => {
      const prefix = uniquePrefix('memory');
      const w = tf.variable(tf.ones([3, 2]), true, `${prefix}/w`);
      const b = tf.variable(tf.zeros([2]), true, `${prefix}/b`);
      const loss = (): TF.Scalar => tf.tidy(() => tf.sum(tf.square(tf.add(tf.matMul(tf.ones([4, 3]), w), b))));
      const baseline = tf.memory().numTensors;
      const optimizer = createOptimizer(spec);
      optimizer.minimize(loss, false, [w, b]);
      const afterFirst = tf.memory().numTensors;
      const counts: number[] = [];
      for (let t = 0; t < 9; t++) {
        optimizer.minimize(loss, false, [w, b]);
        counts.push(tf.memory().numTensors);
      }
      expect(counts).toEqual(new Array(9).fill(afterFirst));
      optimizer.dispose();
      expect(tf.memory().numTensors).toBe(baseline);
      tf.dispose([w, b]);
    },
  );

  it("schedule-free's evaluationParams: new tensors the caller owns, none left behind", () => {
    const w = tf.variable(tf.ones([3]), true, `${uniquePrefix('evaluation')}/w`);
    const optimizer = createOptimizer({ kind: 'schedule-free', learningRate: 0.1 });
    const g = tf.tensor1d([1, -2, 3]);
    optimizer.applyGradients({ [w.name]: g });
    optimizer.applyGradients({ [w.name]: g });
    const before = tf.memory().numTensors;
    const points = optimizer.evaluationParams()!;
    expect(Object.keys(points)).toEqual([w.name]);
    expect(tf.memory().numTensors).toBe(before + 1);
    tf.dispose(Object.values(points));
    expect(tf.memory().numTensors).toBe(before);
    optimizer.dispose();
    tf.dispose([g, w]);
  });

  it('keeps its state when stepped inside an outer tf.tidy', () => {
    const w = tf.variable(tf.zeros([2]), true, `${uniquePrefix('tidy')}/w`);
    const optimizer = createOptimizer({ kind: 'heavy-ball', learningRate: 0.1, momentum: 0.5 });
    const g = tf.tensor1d([1, 2]);
    tf.tidy(() => optimizer.applyGradients({ [w.name]: g }));
    tf.tidy(() => optimizer.applyGradients({ [w.name]: g }));
    // v = [1, 2] then 0.5 * v + g = [1.5, 3]; w = -0.1 * ([1, 2] + [1.5, 3]) = [-0.25, -0.5]
    expect(maxAbsDiff(optimizer.velocity()![w.name], [1.5, 3])).toBeLessThan(1e-6);
    expect(maxAbsDiff(w, [-0.25, -0.5])).toBeLessThan(1e-6);
    optimizer.dispose();
    tf.dispose([g, w]);
  });
});

describe('state keyed by variable name', () => {
  it('takes a variable that appears later and leaves absent variables alone', () => {
    const prefix = uniquePrefix('appear');
    const a = tf.variable(tf.zeros([2]), true, `${prefix}/a`);
    const b = tf.variable(tf.zeros([3]), true, `${prefix}/b`);
    const ga = tf.ones([2]);
    const gb = tf.ones([3]);
    const optimizer = createOptimizer({ kind: 'heavy-ball', learningRate: 0.1, momentum: 0.9 });
    // Step 1: only a. Steps 2-3: a and b (b listed first, so list positions change). Step 4: only b.
    optimizer.applyGradients({ [a.name]: ga });
    optimizer.applyGradients([
      { name: b.name, tensor: gb },
      { name: a.name, tensor: ga },
    ]);
    optimizer.applyGradients({ [b.name]: gb, [a.name]: ga });
    optimizer.applyGradients([{ name: b.name, tensor: gb }]);
    const velocity = optimizer.velocity()!;
    // a: v = 1, 1.9, 2.71 (then untouched); w_a = -0.1 * (1 + 1.9 + 2.71) = -0.561
    // b: v = 1, 1.9, 2.71;                    w_b = -0.561 as well, one step later
    expect(maxAbsDiff(velocity[a.name], [2.71, 2.71])).toBeLessThan(1e-6);
    expect(maxAbsDiff(velocity[b.name], [2.71, 2.71, 2.71])).toBeLessThan(1e-6);
    expect(maxAbsDiff(a, [-0.561, -0.561])).toBeLessThan(1e-6);
    expect(maxAbsDiff(b, [-0.561, -0.561, -0.561])).toBeLessThan(1e-6);
    expect(optimizer.iterations).toBe(4);
    optimizer.dispose();
    tf.dispose([a, b, ga, gb]);
  });

  it('names a gradient it cannot place', () => {
    const optimizer = createOptimizer({ kind: 'sgd', learningRate: 0.1 });
    const g = tf.ones([1]);
    expect(() => optimizer.applyGradients({ 'no/such/variable': g })).toThrow(
      'Gradient for unknown variable "no/such/variable": applyGradients needs the names of registered tf.Variables (pass variable.name)',
    );
    g.dispose();
    optimizer.dispose();
  });
});
