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
