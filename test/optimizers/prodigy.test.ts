/**
 * Prodigy worked by hand (float64 arithmetic in the comments), the global state read back
 * through getWeights, and the learning-rate-free behaviour: d grows from its tiny d0.
 */
import { describe, expect, it } from 'vitest';
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../../src/backend.js';
import {
  GLOBAL,
  chain,
  ChainOptimizer,
  createOptimizer,
  scaleByLearningRate,
  scaleByProdigy,
} from '../../src/optimizers/index.js';
import { maxAbsDiff, uniquePrefix } from './helpers.js';

/** The optimizer's weights by name, without the variable prefix. */
async function stateOf(optimizer: ChainOptimizer, prefix: string): Promise<Record<string, number[]>> {
  const weights = await optimizer.getWeights();
  return Object.fromEntries(weights.map((w) => [w.name.replace(`${prefix}/`, ''), Array.from(w.tensor.dataSync())]));
}

describe('prodigy', () => {
  it('follows the rule by hand for three steps', async () => {
    const prefix = uniquePrefix('prodigyHand');
    const x = tf.variable(tf.tensor1d([1, 2]), true, `${prefix}/x`);
    // beta1 = 0.5, beta2 = 0.64 (so beta3 = 0.8), eps = 0, d0 = 0.1, rate 1.
    const optimizer = new ChainOptimizer(
      chain(scaleByProdigy({ beta1: 0.5, beta2: 0.64, epsilon: 0, d0: 0.1 }), scaleByLearningRate(1)),
    );
    const step = (g: number[]): void => {
      const gradient = tf.tensor1d(g);
      optimizer.applyGradients({ [x.name]: gradient });
      gradient.dispose();
    };
    // Step 1, g = [1, 1]: bias correction sqrt(1 - 0.64) / (1 - 0.5) = 1.2, dlr = 0.1 * 1.2 = 0.12,
    // dg = [0.1, 0.1]; m = 0.5 dg = [0.05, 0.05]; v = 0.36 dg^2 = [0.0036, 0.0036];
    // s = dlr dg / d0 = [0.12, 0.12]; x = x0 so r = 0 and d stays 0.1;
    // u = 0.12 * 0.05 / 0.06 = 0.1: x = [0.9, 1.9].
    step([1, 1]);
    expect(maxAbsDiff(x, [0.9, 1.9])).toBeLessThan(1e-6);
    // Step 2, g = [2, 1]: correction sqrt(1 - 0.64^2) / 0.75 = 1.0245, dlr = 0.10245; dg = [0.2, 0.1];
    // m = [0.025 + 0.1, 0.025 + 0.05] = [0.125, 0.075]; v = 0.64 * 0.0036 + 0.36 dg^2 = [0.016704, 0.005904];
    // s = 0.8 * 0.12 + 1.0245 dg = [0.3009, 0.19845]; sum g (x0 - x) = 2 * 0.1 + 0.1 = 0.3,
    // r = (0.1 / 0.1) * 0.10245 * 0.3 = 0.030735; r / sum|s| = 0.0616 < 0.1, so d stays 0.1;
    // u = 0.10245 * m / sqrt(v) = [0.099086, 0.1]: x = [0.800914, 1.8].
    step([2, 1]);
    expect(maxAbsDiff(x, [0.8009141, 1.8])).toBeLessThan(1e-6);
    let state = await stateOf(optimizer, prefix);
    expect(maxAbsDiff(state['x/0.scaleByProdigy.gradientSum'], [0.3009, 0.19845])).toBeLessThan(1e-6);
    expect(maxAbsDiff(state['x/0.scaleByProdigy.initialParams'], [1, 2])).toBe(0);
    expect(maxAbsDiff(state[`${GLOBAL}/0.scaleByProdigy.numerator`], [0.030735])).toBeLessThan(1e-7);
    expect(maxAbsDiff(state[`${GLOBAL}/0.scaleByProdigy.distance`], [0.1])).toBeLessThan(1e-8);
    // Step 3, g = [1, 1]: s = [0.338890, 0.256930], r = 0.8 * 0.030735 + 0.098170 * 0.399086 = 0.063766,
    // d = max(0.1, 0.063766 / 0.595820) = 0.107023: the estimate grows; x = [0.708528, 1.7].
    step([1, 1]);
    state = await stateOf(optimizer, prefix);
    expect(maxAbsDiff(state[`${GLOBAL}/0.scaleByProdigy.distance`], [0.1070226])).toBeLessThan(1e-6);
    expect(maxAbsDiff(x, [0.7085282, 1.7])).toBeLessThan(1e-6);
    optimizer.dispose();
    x.dispose();
  });

  it('finds its own step size: from d0 = 1e-6 it reaches a minimum 3 away', async () => {
    const prefix = uniquePrefix('prodigyFree');
    const x = tf.variable(tf.zeros([4]), true, `${prefix}/x`);
    const target = tf.tensor1d([3, -3, 3, -3]);
    const optimizer = createOptimizer({ kind: 'prodigy' });
    const loss = (): TF.Scalar => tf.tidy(() => tf.mul(0.5, tf.sum(tf.square(tf.sub(x, target)))));
    for (let t = 0; t < 300; t++) optimizer.minimize(loss);
    const d = (await stateOf(optimizer, prefix))[`${GLOBAL}/0.scaleByProdigy.distance`][0];
    const distance = Math.sqrt(loss().dataSync()[0] * 2);
    // With d fixed at d0 the weights would move about 300 * 1e-6 in all. The estimate grows
    // by more than five orders of magnitude (to about 1.5, the per-coordinate distance is 3)
    // and the run ends at the minimum (distance 6 at the start).
    expect(d).toBeGreaterThan(0.1);
    expect(distance).toBeLessThan(1e-3);
    optimizer.dispose();
    tf.dispose([x, target]);
  });
});
