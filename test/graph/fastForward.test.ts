/**
 * The lean forward pass gives the same loss and gradients as model.apply + crossEntropy
 * (float32 rounding apart) for every model kind, with fewer kernel launches.
 */
import { describe, expect, it } from 'vitest';
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../../src/backend.js';
import { buildModel, type ModelKind } from '../../src/models/index.js';
import { crossEntropy } from '../../src/train/losses.js';
import { fastCrossEntropy, fastForward } from '../../src/graph/fastForward.js';

function maxAbs(t: TF.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(t)).dataSync()[0]);
}

describe('fastForward', () => {
  for (const kind of ['logreg', 'mlp', 'cnn'] as ModelKind[]) {
    it(`matches model.apply + crossEntropy for ${kind}: loss and every gradient`, async () => {
      const model = buildModel({ kind, seed: 3 });
      const forward = fastForward(model);
      expect(forward).not.toBeNull();
      const variables = model.trainableWeights.map((w) => w.read() as TF.Variable);
      const x = tf.randomUniform([16, 28, 28, 1], 0, 1, 'float32', 5);
      const y = tf.tidy(() =>
        tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5], 'int32'), 10).toFloat(),
      );
      const reference = tf.variableGrads(
        () => crossEntropy(y, model.apply(x, { training: true }) as TF.Tensor),
        variables,
      );
      const lean = tf.variableGrads(() => fastCrossEntropy(y, forward!(x)), variables);
      expect(lean.value.dataSync()[0]).toBeCloseTo(reference.value.dataSync()[0], 6);
      for (const name of Object.keys(reference.grads)) {
        const scale = maxAbs(reference.grads[name]);
        expect(scale).toBeGreaterThan(0);
        expect(tf.tidy(() => maxAbs(tf.sub(reference.grads[name], lean.grads[name])))).toBeLessThan(
          1e-6 * Math.max(1, scale),
        );
      }
      const kernels = async (f: () => TF.Tensor) =>
        (
          await tf.profile(() =>
            tf.tidy(() => {
              const g = tf.variableGrads(f as () => TF.Scalar, variables);
              return g.value;
            }),
          )
        ).kernels.length;
      const before = await kernels(() => crossEntropy(y, model.apply(x, { training: true }) as TF.Tensor));
      const after = await kernels(() => fastCrossEntropy(y, forward!(x)));
      expect(after).toBeLessThan(before);
      tf.dispose([x, y, reference.value, lean.value, ...Object.values(reference.grads), ...Object.values(lean.grads)]);
      model.dispose();
    });
  }
});
