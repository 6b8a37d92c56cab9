/**
 * Two steps by hand for schedule-free and momo, and the wrappers (mechanize, scheduleFree)
 * over bases of every shape: a base with a global phase runs it on the raw gradients, its
 * state lives under `base.`, and the loss reaches a base that needs it.
 */
import { describe, expect, it } from 'vitest';
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../../src/backend.js';
import {
  ChainOptimizer,
  GLOBAL,
  chain,
  createOptimizer,
  ema,
  mechanize,
  scaleByLearningRate,
  scaleByPolyak,
  scaleByProdigy,
  scheduleFree,
} from '../../src/optimizers/index.js';
import { maxAbsDiff, uniquePrefix } from './helpers.js';

function variable(values: number[]): TF.Variable {
  return tf.variable(tf.tensor1d(values), true, `${uniquePrefix('wrap')}/w`);
}

describe('by hand', () => {
  it('schedule-free: y and x after two steps', () => {
    // alpha 0.5, beta 0.5, power 2, w0 = [1, -1], g = [1, -1] both steps (shown for the first entry).
    // Step 1: z = 1 - 0.5 = 0.5; L = 0.5, w = 0.25, W = 0.25, c = 1;
    //   x = (y - 0.5 z_old) / 0.5 = (1 - 0.5) / 0.5 = 1, x' = 0 * 1 + 1 * 0.5 = 0.5; y' = 0.5 * 0.5 + 0.5 * 0.5 = 0.5.
    // Step 2: z = 0.5 - 0.5 = 0; W = 0.5, c = 0.5; x = (0.5 - 0.25) / 0.5 = 0.5,
    //   x' = 0.5 * 0.5 + 0.5 * 0 = 0.25; y' = 0.5 * 0.25 + 0.5 * 0 = 0.125.
    const w = variable([1, -1]);
    const optimizer = createOptimizer({ kind: 'schedule-free', learningRate: 0.5, beta: 0.5 });
    const g = tf.tensor1d([1, -1]);
    optimizer.applyGradients({ [w.name]: g });
    expect(maxAbsDiff(w, [0.5, -0.5])).toBeLessThan(1e-7);
    optimizer.applyGradients({ [w.name]: g });
    expect(maxAbsDiff(w, [0.125, -0.125])).toBeLessThan(1e-7);
    const x = optimizer.evaluationParams()!;
    expect(maxAbsDiff(x[w.name], [0.25, -0.25])).toBeLessThan(1e-7);
    expect(optimizer.evaluationPoint).toBe('schedule-free x');
    expect(createOptimizer({ kind: 'heavy-ball', learningRate: 0.1, momentum: 0.9 }).evaluationParams()).toBeNull();
    tf.dispose([w, g, ...Object.values(x)]);
    optimizer.dispose();
  });

  it('momo: the step size from the averaged loss model, two steps of f = w^2 / 2', () => {
    // alpha 1, beta 0.9, fLow 0, w0 = 1, g = w.
    // Step 1 (b = 0): m = 1, F = 0.5, G = g x = 1; tau = min(1, (0.5 - 1 + m x) / m^2) = 0.5; w = 0.5.
    // Step 2 (b = 0.9): m = 0.9 + 0.05 = 0.95, F = 0.45 + 0.0125 = 0.4625, G = 0.9 + 0.025 = 0.925;
    //   tau = (0.4625 - 0.925 + 0.95 * 0.5) / 0.95^2 = 0.0125 / 0.9025; w = 0.5 - tau * 0.95 = 0.48684210...
    const w = variable([1]);
    const optimizer = createOptimizer({ kind: 'momo' });
    const loss = () => tf.mul(0.5, tf.sum(tf.square(w))) as TF.Scalar;
    optimizer.minimize(loss, false, [w]);
    expect(maxAbsDiff(w, [0.5])).toBeLessThan(1e-7);
    optimizer.minimize(loss, false, [w]);
    expect(maxAbsDiff(w, [0.5 - (0.0125 / 0.9025) * 0.95])).toBeLessThan(1e-7);
    optimizer.dispose();
    w.dispose();
  });
});

describe('wrappers over any base', () => {
  it("run a base's global phase on the raw gradients: after one step its state is the base's alone", async () => {
    const [a, b] = [variable([1, 2, 3]), variable([1, 2, 3])];
    const g = tf.tensor1d([0.3, -0.1, 0.2]);
    const base = () => chain(scaleByProdigy({ d0: 0.01 }), scaleByLearningRate(1));
    const alone = new ChainOptimizer(base());
    const wrapped = new ChainOptimizer(chain(mechanize(base())));
    alone.applyGradients({ [b.name]: g });
    wrapped.applyGradients({ [a.name]: g });
    expect(wrapped.stateSlots()).toEqual([
      '0.mechanize.x0',
      ...alone.stateSlots().map((slot) => `0.mechanize.base.${slot}`),
      '0.mechanize.m',
      '0.mechanize.v',
      '0.mechanize.r',
      '0.mechanize.s',
    ]);
    // Same gradient, same parameters before the step: the same base state.
    const weights = Object.fromEntries((await wrapped.getWeights()).map((w) => [w.name, w.tensor]));
    const own = Object.fromEntries((await alone.getWeights()).map((w) => [w.name, w.tensor]));
    expect(Array.from(weights[`${GLOBAL}/0.mechanize.base.0.scaleByProdigy.distance`].dataSync())).toEqual(
      Array.from(own[`${GLOBAL}/0.scaleByProdigy.distance`].dataSync()),
    );
    expect(Array.from(weights[`${a.name}/0.mechanize.base.0.scaleByProdigy.firstMoment`].dataSync())).toEqual(
      Array.from(own[`${b.name}/0.scaleByProdigy.firstMoment`].dataSync()),
    );
    // Mechanic's own global state: one value per beta.
    expect(weights[`${GLOBAL}/0.mechanize.s`].shape).toEqual([6]);
    tf.dispose([a, b, g]);
    alone.dispose();
    wrapped.dispose();
  });

  it("hand the step's loss to a base that needs it, and wrap the question's EMA form in one line", () => {
    const w = variable([2, -1]);
    const loss = () => tf.mul(0.5, tf.sum(tf.square(w))) as TF.Scalar;
    const initial = loss().dataSync()[0];
    for (const transformation of [
      mechanize(chain(scaleByPolyak({ maxLearningRate: 0.5 })), { sInit: 0.1 }),
      mechanize(chain(ema(0.9))),
      scheduleFree(chain(scaleByPolyak({ maxLearningRate: 0.5 })), { learningRate: 0.5 }),
    ]) {
      w.assign(tf.tensor1d([2, -1]));
      const optimizer = new ChainOptimizer(transformation);
      for (let t = 0; t < 30; t++) optimizer.minimize(loss, false, [w]);
      expect(loss().dataSync()[0], transformation.name).toBeLessThan(initial);
      optimizer.dispose();
    }
    w.dispose();
  });
});
