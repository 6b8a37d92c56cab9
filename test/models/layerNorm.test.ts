/** LayerNorm (src/models/layerNorm.ts) computes tfjs-layers' layerNormalization, value and gradients. */
import { describe, expect, it } from 'vitest';
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../../src/backend.js';
import { LayerNorm } from '../../src/models/layerNorm.js';

/** max |a - b| over every element. */
const maxDifference = (a: TF.Tensor, b: TF.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

describe('LayerNorm', () => {
  it('gives the output and gradients of tfjs-layers layerNormalization (epsilon 1e-3)', () => {
    const x = tf.randomNormal([16, 64], 0.5, 2, 'float32', 1);
    const ours = new LayerNorm({ name: 'ours' });
    const theirs = tf.layers.layerNormalization({ name: 'theirs' });
    ours.apply(x);
    theirs.apply(x);
    // Scales and offsets away from their starting values (1 and 0), the same in both.
    const gamma = tf.randomUniform([64], 0.5, 1.5, 'float32', 2);
    const beta = tf.randomUniform([64], -1, 1, 'float32', 3);
    ours.setWeights([gamma, beta]);
    theirs.setWeights([gamma, beta]);
    const upstream = tf.randomNormal([16, 64], 0, 1, 'float32', 4);
    // Gradients of sum(upstream * y) with respect to x, gamma and beta.
    const gradients = (layer: TF.layers.Layer) => {
      const objective = (input: TF.Tensor) => tf.sum(tf.mul(layer.apply(input) as TF.Tensor, upstream)) as TF.Scalar;
      const variables = layer.trainableWeights.map((w) => w.read() as TF.Variable);
      const { value, grads } = tf.variableGrads(() => objective(x), variables);
      value.dispose();
      return [tf.grad(objective)(x), ...variables.map((v) => grads[v.name])];
    };
    const [a, b] = [ours.apply(x) as TF.Tensor, theirs.apply(x) as TF.Tensor];
    expect(maxDifference(a, b)).toBeLessThan(1e-5);
    const [ga, gb] = [gradients(ours), gradients(theirs)];
    ga.forEach((g, i) => expect(maxDifference(g, gb[i])).toBeLessThan(1e-4));
    tf.dispose([x, gamma, beta, upstream, a, b, ...ga, ...gb]);
    ours.dispose();
    theirs.dispose();
  });

  it('normalises each example over its features: mean 0, variance 1 / (1 + 1e-3 / variance)', () => {
    const layer = new LayerNorm({ name: 'plain' });
    // Row 1: 1, 2, 3, 4 (mean 2.5, variance 1.25); row 2: constant 7 (variance 0).
    const x = tf.tensor2d([
      [1, 2, 3, 4],
      [7, 7, 7, 7],
    ]);
    const y = Array.from((layer.apply(x) as TF.Tensor).dataSync());
    const scale = 1 / Math.sqrt(1.25 + 1e-3);
    [-1.5, -0.5, 0.5, 1.5].forEach((d, i) => expect(y[i]).toBeCloseTo(d * scale, 6));
    expect(y.slice(4)).toEqual([0, 0, 0, 0]);
    tf.dispose(x);
    layer.dispose();
  });
});
