/** A dataset's splits as tensors on the backend, created once per run, and their rows by index. */
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../backend.js';
import type { Split } from '../data/index.js';
import { permutation, seededRandom } from '../util/random.js';

export interface DeviceData {
  trainX: TF.Tensor4D;
  trainLabels: TF.Tensor1D;
  trainOneHot: TF.Tensor2D;
  /** The training examples its evaluations use: trainX and trainLabels, or a fixed subset (trainEvalRows). */
  trainEvalX: TF.Tensor4D;
  trainEvalLabels: TF.Tensor1D;
  testX: TF.Tensor4D;
  testLabels: TF.Tensor1D;
  dispose(): void;
}

/** Seeds the permutation whose first rows are the training split's evaluation subset. */
const TRAIN_EVAL_SEED = 11;

/**
 * Rows of the training split evaluated when at most `size` are (config.trainEvalSize): the
 * first `size` of a fixed permutation, ascending; null when every row is.
 */
export function trainEvalRows(count: number, size: number | undefined): Int32Array | null {
  if (size === undefined || size >= count) return null;
  return permutation(count, seededRandom(TRAIN_EVAL_SEED)).slice(0, size).sort();
}

type ImageShape = readonly [number, number, number];

/** A split's images, its labels and its one-hot labels (float32) as tensors. */
export function splitTensors(
  split: Split,
  imageShape: ImageShape,
  numClasses: number,
): { x: TF.Tensor4D; labels: TF.Tensor1D; oneHot: TF.Tensor2D } {
  const labels = tf.tensor1d(split.labels, 'int32');
  return {
    x: tf.tensor4d(split.images, [split.count, ...imageShape]),
    labels,
    oneHot: tf.tidy(() => tf.cast(tf.oneHot(labels, numClasses), 'float32') as TF.Tensor2D),
  };
}

export function deviceData(
  train: Split,
  test: Split,
  imageShape: ImageShape,
  numClasses: number,
  trainEvalSize?: number,
): DeviceData {
  const { x: trainX, labels: trainLabels, oneHot: trainOneHot } = splitTensors(train, imageShape, numClasses);
  const rows = trainEvalRows(train.count, trainEvalSize);
  const subset = rows && {
    trainEvalX: tf.gather(trainX, rows),
    trainEvalLabels: tf.gather(trainLabels, rows),
  };
  const tensors = {
    trainX,
    trainLabels,
    trainOneHot,
    ...subset,
    testX: tf.tensor4d(test.images, [test.count, ...imageShape]),
    testLabels: tf.tensor1d(test.labels, 'int32'),
  };
  return {
    trainEvalX: trainX,
    trainEvalLabels: trainLabels,
    ...tensors,
    dispose: () => tf.dispose(Object.values(tensors)),
  };
}

export { gatherRows } from '../graph/gather.js';
