import type * as TF from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { OptimizerSpecError, shown } from './optimizerSpecError.js';

import { BUILTIN_OPTIMIZER_KINDS, type BuiltinOptimizerKind } from './kinds.js';

export { BUILTIN_OPTIMIZER_KINDS, type BuiltinOptimizerKind };

export interface BuiltinOptimizerSpec {
  readonly kind: BuiltinOptimizerKind;
  /** A constant rate: the built-ins take no schedule. */
  readonly learningRate: number;
  /** Required for builtin-momentum/builtin-nesterov, 0 <= momentum < 1. */
  readonly momentum?: number;
}

/** tf.train.sgd(lr), tf.train.momentum(lr, mu) or tf.train.momentum(lr, mu, true). */
export function createBuiltinOptimizer(spec: BuiltinOptimizerSpec): TF.Optimizer {
  const { kind, learningRate, momentum } = spec;
  if (!(BUILTIN_OPTIMIZER_KINDS as readonly string[]).includes(kind)) {
    throw new OptimizerSpecError(
      `Invalid kind value: ${shown(kind)} (expected one of: ${BUILTIN_OPTIMIZER_KINDS.join(', ')})`,
    );
  }
  if (typeof learningRate !== 'number' || !Number.isFinite(learningRate) || learningRate <= 0) {
    throw new OptimizerSpecError(
      `Invalid learningRate value: ${shown(learningRate)} (expected a finite number > 0 for ${kind}; the built-ins take no schedule)`,
    );
  }
  if (kind === 'builtin-sgd') {
    if (momentum !== undefined)
      throw new OptimizerSpecError(`Invalid momentum value: ${shown(momentum)} (builtin-sgd takes no momentum)`);
    return tf.train.sgd(learningRate);
  }
  if (typeof momentum !== 'number' || !Number.isFinite(momentum) || momentum < 0 || momentum >= 1) {
    throw new OptimizerSpecError(`Invalid momentum value: ${shown(momentum)} (expected 0 <= momentum < 1 for ${kind})`);
  }
  return tf.train.momentum(learningRate, momentum, kind === 'builtin-nesterov');
}
