/** A dataset's splits as tensors on the backend, created once per run, and their rows by index. */
import type * as TF from '@tensorflow/tfjs';
import { tf, currentBackend } from '../backend.js';
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

interface NativeBackend {
  binding: { TF_ATTR_INT: number; TF_ATTR_TYPE: number };
  getDTypeInteger(dtype: TF.DataType): number;
  executeSingleOutput(name: string, attrs: object[], inputs: TF.Tensor[]): TF.Tensor;
}

/**
 * The rows `rows` of `x`: `tf.gather(x, rows)`, without a gradient (data rows are not
 * differentiated). On the native backend this launches TensorFlow's GatherV2 itself: tfjs-node's
 * gather kernel first reads the indices back to check their bounds, a synchronous read that a
 * compiled step cannot hold, while TensorFlow's kernel checks them on its own (a row out of
 * range is an error either way).
 */
export function gatherRows<T extends TF.Tensor>(x: T, rows: TF.Tensor1D): T {
  if (currentBackend() !== 'tensorflow') return tf.gather(x, rows);
  const backend = tf.backend() as unknown as NativeBackend;
  const { TF_ATTR_INT, TF_ATTR_TYPE } = backend.binding;
  const type = (name: string, dtype: TF.DataType) => ({
    name,
    type: TF_ATTR_TYPE,
    value: backend.getDTypeInteger(dtype),
  });
  const axis = tf.scalar(0, 'int32');
  try {
    const attrs = [
      { name: 'batch_dims', type: TF_ATTR_INT, value: 0 },
      type('Tparams', x.dtype),
      type('Tindices', rows.dtype),
      type('Taxis', 'int32'),
    ];
    return backend.executeSingleOutput('GatherV2', attrs, [x, rows, axis]) as T;
  } finally {
    axis.dispose();
  }
}
