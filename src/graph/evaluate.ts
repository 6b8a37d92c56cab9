/** Loss and accuracy over a whole split, in batches, with a single read at the end. */
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../backend.js';

export interface Evaluation {
  loss: number;
  accuracy: number;
}

export type Forward = (x: TF.Tensor) => TF.Tensor;

/**
 * [summed loss, correct predictions] over the split, batch by batch, as one tensor (the
 * caller's tidy owns the intermediates). compiledEvaluation.ts runs this as a graph function.
 */
export function evaluationTotals(
  forward: Forward,
  x: TF.Tensor,
  labels: TF.Tensor,
  numClasses: number,
  batchSize: number,
): TF.Tensor1D {
  const count = x.shape[0];
  let lossSum: TF.Tensor = tf.scalar(0);
  let correct: TF.Tensor = tf.scalar(0);
  for (let start = 0; start < count; start += batchSize) {
    const size = Math.min(batchSize, count - start);
    const logits = forward(x.slice(start, size));
    const batchLabels = labels.slice(start, size);
    const logProbabilities = tf.logSoftmax(logits);
    const oneHot = tf.oneHot(batchLabels as TF.Tensor1D, numClasses);
    lossSum = tf.add(lossSum, tf.neg(tf.sum(tf.mul(oneHot, logProbabilities))));
    correct = tf.add(correct, tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), batchLabels), 'float32')));
  }
  return tf.stack([lossSum, correct]) as TF.Tensor1D;
}

/** Reads the totals of {@link evaluationTotals} (and disposes them) as means over `count` examples. */
export function readEvaluation(totals: TF.Tensor, count: number): Evaluation {
  const [lossSum, correct] = totals.dataSync();
  totals.dispose();
  return { loss: lossSum / count, accuracy: correct / count };
}

export function evaluate(
  forward: Forward,
  x: TF.Tensor,
  labels: TF.Tensor1D,
  numClasses: number,
  batchSize: number,
): Evaluation {
  const totals = tf.tidy(() => evaluationTotals(forward, x, labels, numClasses, batchSize));
  return readEvaluation(totals, x.shape[0]);
}
