/** The training objective and the norms the study records. */
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../backend.js';
import type { LossKind } from './defaults.js';

/** Mean softmax cross-entropy of `logits` against one-hot `labels`. */
export function crossEntropy(labels: TF.Tensor, logits: TF.Tensor): TF.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), -1))) as TF.Scalar);
}

/**
 * Mean squared error of the logits against one-hot `labels`: the mean over classes, then over
 * the batch (Keras's meanSquaredError convention).
 */
export function meanSquaredError(labels: TF.Tensor, logits: TF.Tensor): TF.Scalar {
  return tf.tidy(() => tf.mean(tf.mean(tf.squaredDifference(logits, labels), -1)) as TF.Scalar);
}

/**
 * Keras's label smoothing (CategoricalCrossentropy(label_smoothing=e)): the one-hot `labels`
 * become (1 - e) labels + e / classes; e = 0 returns `labels` itself.
 */
export function smoothLabels(labels: TF.Tensor, smoothing: number): TF.Tensor {
  if (smoothing === 0) return labels;
  const classes = labels.shape[labels.rank - 1];
  return tf.tidy(() => tf.add(tf.mul(labels, 1 - smoothing), smoothing / classes));
}

/** The training loss of a run on (one-hot labels, logits): squared error, or cross-entropy against smoothed labels. */
export function trainingLossOf(
  kind: LossKind,
  labelSmoothing = 0,
): (labels: TF.Tensor, logits: TF.Tensor) => TF.Scalar {
  if (kind === 'mse') return meanSquaredError;
  if (labelSmoothing === 0) return crossEntropy;
  return (labels, logits) => tf.tidy(() => crossEntropy(smoothLabels(labels, labelSmoothing), logits));
}

/** sqrt(sum of squares) over every tensor: the norm of the concatenated vector. */
export function globalNorm(tensors: readonly TF.Tensor[]): TF.Scalar {
  return tf.tidy(() => tf.sqrt(tf.addN(tensors.map((t) => tf.sum(tf.square(t))))) as TF.Scalar);
}
