import type * as TF from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import type { TensorsByName } from './types.js';

/**
 * sum over `names` of `perVariable(name)` (each a scalar, e.g. a sum over the variable's
 * elements): the sums over every element of every variable that global phases take. Each
 * variable's temporaries are freed as soon as its scalar is taken.
 */
export function sumOverVariables(names: readonly string[], perVariable: (name: string) => TF.Tensor): TF.Scalar {
  const sums = names.map((name) => tf.tidy(() => perVariable(name)));
  return (sums.length === 1 ? sums[0] : tf.addN(sums)) as TF.Scalar;
}

/** sum g^2 over every element of every tensor, as a scalar. */
export function sumOfSquares(tensors: TensorsByName): TF.Scalar {
  return sumOverVariables(Object.keys(tensors), (name) => tf.sum(tf.square(tensors[name])));
}

/** sum (from - to)^2 over every element of every variable of `to`, as a scalar. */
export function squaredDistance(from: TensorsByName, to: TensorsByName): TF.Scalar {
  return sumOverVariables(Object.keys(to), (name) => tf.sum(tf.square(tf.sub(from[name], to[name]))));
}
