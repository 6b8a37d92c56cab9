/** A dataset's splits as tensors on the backend, created once per run. */
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

export function deviceData(
  train: Split,
  test: Split,
  imageShape: readonly [number, number, number],
  numClasses: number,
): DeviceData {
  const trainLabels = tf.tensor1d(train.labels, 'int32');
  const tensors = {
    trainX: tf.tensor4d(train.images, [train.count, ...imageShape]),
    trainLabels,
    trainOneHot: tf.tidy(() => tf.cast(tf.oneHot(trainLabels, numClasses), 'float32') as TF.Tensor2D),
    testX: tf.tensor4d(test.images, [test.count, ...imageShape]),
    testLabels: tf.tensor1d(test.labels, 'int32'),
  };
  return { ...tensors, dispose: () => tf.dispose(Object.values(tensors)) };
}
