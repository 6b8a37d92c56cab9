/**
 * The adapter's per-step protocol: a stage's `global` phase runs once per step over every
 * variable, its values reach each variable's update, its global entries (key GLOBAL) are
 * stored after the step, kept when variables appear, saved and restored; the loss reaches
 * the stages through applyGradients(g, { loss }) and minimize(f).
 */
import { describe, expect, it } from 'vitest';
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../../src/backend.js';
import {
  ChainOptimizer,
  GLOBAL,
  MissingLossError,
  chain,
  scaleByLearningRate,
  scaleByPolyak,
  type GradientTransformation,
} from '../../src/optimizers/index.js';
import { sumOfSquares } from '../../src/optimizers/variableSums.js';
import { maxAbsDiff, uniquePrefix } from './helpers.js';

/** AdaGrad-norm: total = total + sum g^2 over all variables (a global entry); u = g / sqrt(total). */
function adagradNorm(calls: { global: number; seen: number[] }): GradientTransformation {
  return {
    name: 'adagradNorm',
    config: { name: 'adagradNorm' },
    init: (params) => (Object.keys(params).length === 0 ? { total: {} } : { total: { [GLOBAL]: tf.scalar(0) } }),
    global(updates, state) {
      calls.global += 1;
      const total = tf.add(state.total[GLOBAL], sumOfSquares(updates));
      return { values: { total }, state: { total: { [GLOBAL]: total } } };
    },
    update(updates, state, _params, _context, global) {
      calls.seen.push(state.total[GLOBAL].dataSync()[0]);
      const out: Record<string, TF.Tensor> = {};
      for (const name of Object.keys(updates)) out[name] = tf.div(updates[name], tf.sqrt(global.total));
      return [out, state];
    },
  };
}

function twoVariables(label: string): { a: TF.Variable; b: TF.Variable } {
  const prefix = uniquePrefix(label);
  return {
    a: tf.variable(tf.tensor1d([1, 2]), true, `${prefix}/a`),
    b: tf.variable(tf.tensor1d([3]), true, `${prefix}/b`),
  };
}

describe('global phase', () => {
  it('runs once per step over every variable; update sees the state before the step', () => {
    const { a, b } = twoVariables('global');
    const calls = { global: 0, seen: [] as number[] };
    const optimizer = new ChainOptimizer(chain(adagradNorm(calls), scaleByLearningRate(1)));
    const ga = tf.tensor1d([3, 0]);
    const gb = tf.tensor1d([4]);
    // Step 1: total = 9 + 16 = 25, u = g / 5: a = [1 - 0.6, 2] = [0.4, 2], b = 3 - 0.8 = 2.2.
    // Step 2: total = 50, u = g / sqrt(50): a = [0.4 - 3/sqrt(50), 2], b = 2.2 - 4/sqrt(50).
    optimizer.applyGradients({ [a.name]: ga, [b.name]: gb });
    optimizer.applyGradients({ [a.name]: ga, [b.name]: gb });
    expect(calls.global).toBe(2);
    expect(calls.seen).toEqual([0, 0, 25, 25]);
    expect(maxAbsDiff(a, [0.4 - 3 / Math.sqrt(50), 2])).toBeLessThan(1e-6);
    expect(maxAbsDiff(b, [2.2 - 4 / Math.sqrt(50)])).toBeLessThan(1e-6);
    optimizer.dispose();
    tf.dispose([a, b, ga, gb]);
  });

  it('keeps the global entry when a variable appears, saves and restores it', async () => {
    const { a, b } = twoVariables('globalSave');
    const calls = { global: 0, seen: [] as number[] };
    const first = new ChainOptimizer(chain(adagradNorm(calls)));
    const ga = tf.tensor1d([3, 0]);
    const gb = tf.tensor1d([4]);
    first.applyGradients({ [a.name]: ga }); // total 9
    first.applyGradients({ [a.name]: ga, [b.name]: gb }); // b appears: total 9 + 25 = 34
    const weights = await first.getWeights();
    expect(weights.map((w) => w.name)).toEqual(['iter', `${GLOBAL}/0.adagradNorm.total`]);
    expect(weights[1].tensor.dataSync()[0]).toBeCloseTo(34, 5);

    const second = new ChainOptimizer(chain(adagradNorm(calls)));
    await second.setWeights(weights);
    expect(second.iterations).toBe(2);
    // The stage has no per-variable state: the restored total alone continues on copies.
    const copies = twoVariables('globalCopy');
    copies.a.assign(a);
    copies.b.assign(b);
    first.applyGradients({ [a.name]: ga, [b.name]: gb });
    second.applyGradients({ [copies.a.name]: ga, [copies.b.name]: gb });
    // total = 34 + 25 = 59 in both.
    expect(maxAbsDiff(copies.a, Array.from(a.dataSync()))).toBe(0);
    expect(maxAbsDiff(copies.b, Array.from(b.dataSync()))).toBe(0);
    expect(maxAbsDiff(b, [3 - 4 / Math.sqrt(34) - 4 / Math.sqrt(59)])).toBeLessThan(1e-6);
    first.dispose();
    second.dispose();
    tf.dispose([a, b, copies.a, copies.b, ga, gb]);
  });

  it('leaves no tensor behind after the first step and none after dispose', () => {
    const { a, b } = twoVariables('globalMemory');
    const g = { [a.name]: tf.tensor1d([1, 2]), [b.name]: tf.tensor1d([3]) };
    const baseline = tf.memory().numTensors;
    const optimizer = new ChainOptimizer(chain(adagradNorm({ global: 0, seen: [] }), scaleByPolyak()));
    optimizer.applyGradients(g, { loss: 1 });
    const afterFirst = tf.memory().numTensors;
    for (let t = 0; t < 5; t++) {
      optimizer.applyGradients(g, { loss: 2 + t });
      expect(tf.memory().numTensors).toBe(afterFirst);
    }
    optimizer.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
    tf.dispose([a, b, ...Object.values(g)]);
  });
});

describe('loss', () => {
  it('polyak: one step size for all variables from the loss passed to applyGradients', () => {
    const { a, b } = twoVariables('polyak');
    const optimizer = new ChainOptimizer(chain(scaleByPolyak({ maxLearningRate: 1 })));
    const g = { [a.name]: tf.tensor1d([1, 2]), [b.name]: tf.tensor1d([2]) };
    // sum g^2 = 1 + 4 + 4 = 9. Step 1: f = 4.5, gamma = 0.5: a = [0.5, 1], b = [2].
    // Steps 2 and 3: f = 18 (a scalar tensor, then a one-element one), gamma = min(2, 1) = 1:
    // a = [-0.5, -1], b = [0], then a = [-1.5, -3], b = [-2].
    optimizer.applyGradients(g, { loss: 4.5 });
    expect(maxAbsDiff(a, [0.5, 1])).toBeLessThan(1e-6);
    expect(maxAbsDiff(b, [2])).toBeLessThan(1e-6);
    const loss = tf.scalar(18);
    optimizer.applyGradients(g, { loss });
    expect(loss.isDisposed).toBe(false);
    expect(maxAbsDiff(a, [-0.5, -1])).toBeLessThan(1e-6);
    expect(maxAbsDiff(b, [0])).toBeLessThan(1e-6);
    // A one-element tensor of any rank counts as the scalar.
    const oneElement = tf.tensor1d([18]);
    const count = tf.memory().numTensors;
    optimizer.applyGradients(g, { loss: oneElement });
    expect(tf.memory().numTensors).toBe(count);
    expect(oneElement.isDisposed).toBe(false);
    oneElement.dispose();
    expect(maxAbsDiff(a, [-1.5, -3])).toBeLessThan(1e-6);
    expect(maxAbsDiff(b, [-2])).toBeLessThan(1e-6);
    // A zero gradient gives step size 0, not 0/0.
    const zero = { [a.name]: tf.zeros([2]), [b.name]: tf.zeros([1]) };
    optimizer.applyGradients(zero, { loss: 1 });
    expect(maxAbsDiff(a, [-1.5, -3])).toBeLessThan(1e-6);
    optimizer.dispose();
    tf.dispose([a, b, loss, ...Object.values(g), ...Object.values(zero)]);
  });

  it('minimize passes the value of f', () => {
    const w = tf.variable(tf.tensor1d([1, 2]), true, `${uniquePrefix('minimize')}/w`);
    const optimizer = new ChainOptimizer(chain(scaleByPolyak({ maxLearningRate: 10 })));
    // f = 0.5 |w|^2 = 2.5, g = w, sum g^2 = 5: gamma = 0.5, w = [0.5, 1]; f returned as cost.
    const cost = optimizer.minimize(() => tf.mul(0.5, tf.sum(tf.square(w))) as TF.Scalar, true, [w]);
    expect(cost!.dataSync()[0]).toBeCloseTo(2.5, 6);
    expect(maxAbsDiff(w, [0.5, 1])).toBeLessThan(1e-6);
    optimizer.dispose();
    tf.dispose([w, cost!]);
  });

  it('a stage that needs the loss says so when it is missing, and nothing moves', () => {
    const w = tf.variable(tf.tensor1d([1, 2]), true, `${uniquePrefix('noLoss')}/w`);
    const optimizer = new ChainOptimizer(chain(scaleByPolyak()));
    const g = tf.tensor1d([1, 1]);
    const step = (): void => optimizer.applyGradients({ [w.name]: g });
    expect(step).toThrow(MissingLossError);
    expect(step).toThrow(
      'scaleByPolyak needs the loss value of each step: call applyGradients(gradients, { loss }) with the loss (a number or a scalar tensor), or use minimize(f)',
    );
    expect(optimizer.iterations).toBe(0);
    expect(maxAbsDiff(w, [1, 2])).toBe(0);
    expect(() => optimizer.applyGradients({ [w.name]: g }, { loss: tf.ones([2]) })).toThrow(
      'Invalid loss value: a tensor of shape [2] (expected a number or a scalar tensor)',
    );
    optimizer.dispose();
    tf.dispose([w, g]);
  });
});
