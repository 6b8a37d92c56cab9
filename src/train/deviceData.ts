/** A dataset's splits as tensors on the backend, created once per run, and their rows by index. */
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../backend.js';
import type { Split } from '../data/index.js';

export interface DeviceData {
  trainX: TF.Tensor4D;
  trainLabels: TF.Tensor1D;
  trainOneHot: TF.Tensor2D;
  testX: TF.Tensor4D;
  testLabels: TF.Tensor1D;
  dispose(): void;
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

export function deviceData(train: Split, test: Split, imageShape: ImageShape, numClasses: number): DeviceData {
  const { x: trainX, labels: trainLabels, oneHot: trainOneHot } = splitTensors(train, imageShape, numClasses);
  const tensors = {
    trainX,
    trainLabels,
    trainOneHot,
    testX: tf.tensor4d(test.images, [test.count, ...imageShape]),
    testLabels: tf.tensor1d(test.labels, 'int32'),
  };
  return { ...tensors, dispose: () => tf.dispose(Object.values(tensors)) };
}

export { gatherRows } from '../graph/gather.js';
