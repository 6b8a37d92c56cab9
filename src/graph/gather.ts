/**
 * Gathering rows on the native backend without reading the indices back: tfjs-node's gather
 * kernel checks their bounds in JavaScript (a synchronous read a compiled step cannot hold),
 * while TensorFlow's own GatherV2 checks them itself (a row out of range is an error either way).
 */
import type * as TF from '@tensorflow/tfjs';
import { tf, currentBackend } from '../backend.js';

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

/**
 * `tf.gather(table, indices)` along axis 0 with its gradient (the rows' upstream gradients
 * summed into a table-shaped tensor by unsortedSegmentSum, as tfjs's own gather gradient does),
 * through {@link gatherRows}: an Embedding lookup a compiled step can hold.
 */
export function gatherWithGradient(table: TF.Tensor, indices: TF.Tensor1D): TF.Tensor {
  const gather = tf.customGrad((...args: (TF.Tensor | TF.GradSaveFunc)[]) => {
    const [params, rows, save] = args as [TF.Tensor, TF.Tensor, TF.GradSaveFunc];
    save([rows]);
    return {
      value: gatherRows(params, rows as TF.Tensor1D),
      gradFunc: (dy: TF.Tensor | TF.Tensor[], [saved]: TF.Tensor[]) => [
        tf.unsortedSegmentSum(dy as TF.Tensor, saved as TF.Tensor1D, params.shape[0]),
        tf.zerosLike(saved),
      ],
    };
  });
  return gather(table, indices);
}
