/** Label smoothing (src/train/losses.ts), as Keras's CategoricalCrossentropy(label_smoothing). */
import { describe, expect, it } from 'vitest';
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../../src/backend.js';
import { smoothLabels, trainingLossOf } from '../../src/train/losses.js';
import { fastCrossEntropy } from '../../src/graph/fastForward.js';

describe('label smoothing', () => {
  it('turns one-hot labels into (1 - e) y + e / classes', () => {
    const labels = tf.oneHot(tf.tensor1d([1], 'int32'), 10).toFloat();
    const smoothed = Array.from(smoothLabels(labels, 0.1).dataSync());
    // 0.9 x 1 + 0.01 for the class, 0.01 elsewhere; they still sum to 1.
    smoothed.forEach((v, i) => expect(v).toBeCloseTo(i === 1 ? 0.91 : 0.01, 7));
    expect(smoothLabels(labels, 0)).toBe(labels);
    tf.dispose(labels);
  });

  it('gives the smoothed cross-entropy of a worked example', () => {
    // logits (2, 1, 0), class 0, e = 0.1: log softmax = (2, 1, 0) - log(e^2 + e + 1)
    // = (-0.407606, -1.407606, -2.407606); targets (0.9 + 0.1/3, 0.1/3, 0.1/3), so the loss is
    // 0.933333 x 0.407606 + 0.033333 x (1.407606 + 2.407606) = 0.507606
    // (= 0.9 x 0.407606 plain cross-entropy + 0.1 x the mean of -log p, 1.407606).
    const labels = tf.tensor2d([[1, 0, 0]]);
    const logits = tf.tensor2d([[2, 1, 0]]);
    expect(trainingLossOf('cross-entropy', 0.1)(labels, logits).dataSync()[0]).toBeCloseTo(0.507606, 6);
    expect(trainingLossOf('cross-entropy')(labels, logits).dataSync()[0]).toBeCloseTo(0.407606, 6);
    tf.dispose([labels, logits]);
  });

  it('the fused cross-entropy of the training loop gives the same value and gradient on smoothed labels', () => {
    const labels = tf.oneHot(tf.randomUniform([32], 0, 10, 'int32', 1), 10).toFloat();
    const logits = tf.randomNormal([32, 10], 0, 3, 'float32', 2);
    const plain = (z: TF.Tensor) => trainingLossOf('cross-entropy', 0.1)(labels, z);
    const fused = (z: TF.Tensor) => fastCrossEntropy(smoothLabels(labels, 0.1), z);
    expect(fused(logits).dataSync()[0]).toBeCloseTo(plain(logits).dataSync()[0], 5);
    const [a, b] = [tf.grad(plain)(logits), tf.grad(fused)(logits)];
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeLessThan(1e-6);
    tf.dispose([labels, logits, a, b]);
  });
});
