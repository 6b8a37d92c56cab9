import { afterEach, describe, expect, it } from 'vitest';
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../../src/backend.js';
import { hessianVectorProduct, largestHessianEigenvalue } from '../../src/train/curvature.js';

const live: TF.Tensor[] = [];
afterEach(() => tf.dispose(live.splice(0)));

/**
 * L(a, b) = 1/2 a^T A a + 1/2 sum(d * b^2) with A = Q diag(5, 2, 0.5) Q^T (Q a rotation),
 * d = [3, 1]: the Hessian is block-diagonal with spectrum {5, 3, 2, 1, 0.5}.
 */
function quadratic() {
  const c = Math.cos(0.7);
  const s = Math.sin(0.7);
  const q = tf.tensor2d([
    [c, -s, 0],
    [s, c, 0],
    [0, 0, 1],
  ]);
  const matrix = tf.matMul(tf.matMul(q, tf.diag(tf.tensor1d([5, 2, 0.5]))), q, false, true);
  const a = tf.variable(tf.tensor1d([0.3, -1, 2]), true, 'curvature/a');
  const b = tf.variable(tf.tensor1d([1, -2]), true, 'curvature/b');
  const diagonal = tf.tensor1d([3, 1]);
  live.push(q, matrix, a, b, diagonal);
  const loss = () =>
    tf.tidy(
      () =>
        tf.add(
          tf.mul(0.5, tf.sum(tf.mul(a, tf.squeeze(tf.matMul(matrix, tf.expandDims(a, 1)), [1])))),
          tf.mul(0.5, tf.sum(tf.mul(diagonal, tf.square(b)))),
        ) as TF.Scalar,
    );
  return { matrix, a, b, loss };
}

describe('hessianVectorProduct', () => {
  it('equals A v on a quadratic and leaves the variables where they were', () => {
    const { a, b, loss } = quadratic();
    const direction = [tf.tensor1d([1, 0, 0]), tf.tensor1d([0, 1])];
    live.push(...direction);
    const product = hessianVectorProduct(loss, [a, b], direction, 1e-2);
    live.push(...product);
    // Column 0 of A: A = Q diag(5, 2, 0.5) Q^T, A00 = 5c^2 + 2s^2, A10 = (5 - 2) s c.
    const c = Math.cos(0.7);
    const s = Math.sin(0.7);
    const [ha, hb] = product.map((t) => Array.from(t.dataSync()));
    expect(ha[0]).toBeCloseTo(5 * c * c + 2 * s * s, 3);
    expect(ha[1]).toBeCloseTo(3 * s * c, 3);
    expect(ha[2]).toBeCloseTo(0, 4);
    expect(hb).toEqual([expect.closeTo(0, 4), expect.closeTo(1, 3)]);
    expect(Array.from(a.dataSync())).toEqual([expect.closeTo(0.3, 6), expect.closeTo(-1, 6), expect.closeTo(2, 6)]);
  });
});

describe('largestHessianEigenvalue', () => {
  it('finds the top of a known spectrum {5, 3, 2, 1, 0.5} and frees what it allocates', () => {
    const { a, b, loss } = quadratic();
    const before = tf.memory().numTensors;
    const estimate = largestHessianEigenvalue(loss, [a, b], { tolerance: 1e-6, seed: 3 });
    expect(tf.memory().numTensors).toBe(before);
    expect(estimate.converged).toBe(true);
    expect(estimate.eigenvalue).toBeCloseTo(5, 3);
    // The estimates rise towards 5: the Rayleigh quotient never overshoots the top eigenvalue.
    expect(Math.max(...estimate.history)).toBeLessThanOrEqual(5 + 1e-3);
  });

  it('reports the iteration cap when the tolerance is not reached', () => {
    const { a, b, loss } = quadratic();
    const estimate = largestHessianEigenvalue(loss, [a, b], { maxIterations: 2, tolerance: 0, seed: 3 });
    expect(estimate.converged).toBe(false);
    expect(estimate.iterations).toBe(2);
    expect(estimate.history).toHaveLength(2);
  });
});
