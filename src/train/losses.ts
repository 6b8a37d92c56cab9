/** The training objective and the norms the study records. */
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../backend.js';

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

/** sqrt(sum of squares) over every tensor: the norm of the concatenated vector. */
export function globalNorm(tensors: readonly TF.Tensor[]): TF.Scalar {
  return tf.tidy(() => tf.sqrt(tf.addN(tensors.map((t) => tf.sum(tf.square(t))))) as TF.Scalar);
}
