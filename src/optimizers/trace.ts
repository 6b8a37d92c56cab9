import * as tf from '@tensorflow/tfjs-core';
import { slotStage } from './slotStage.js';
import type { GradientTransformation, TensorsByName } from './types.js';

/** The momentum buffer of every variable. */
export type TraceState = {
  readonly velocity: TensorsByName;
};

export interface TraceOptions {
  readonly nesterov?: boolean;
}

/**
 * Heavy-ball momentum without a learning rate (Optax `trace`, the buffer of tf.train.momentum
 * and torch.optim.SGD):
 *
 *     v = mu * v + g        (v starts at zero for every variable)
 *     u = v                 (nesterov: u = g + mu * v, with the new v)
 *
 * The learning rate is NOT applied here: put `scaleByLearningRate` after this stage for
 * the TF.js/PyTorch convention (w -= alpha * v), or before it for the Keras convention
 * (v = mu * v + alpha * g; w -= v). `momentum` is a finite number >= 0 (values >= 1 are
 * allowed on purpose: the study runs undamped and growing momentum); like every stage, trace
 * trusts its inputs (createOptimizer and stageFromConfig check them).
 * Costs 2 kernels per variable (4 with nesterov).
 */
export function trace(momentum: number, options: TraceOptions = {}): GradientTransformation<TraceState> {
  const nesterov = options.nesterov ?? false;
  return slotStage({ name: 'trace', momentum, nesterov }, ['velocity'], (state, context) => {
    const mu = context.scalar('momentum', momentum);
    return (g, name) => {
      const v = tf.add(tf.mul(mu, state.velocity[name]), g);
      return [nesterov ? tf.add(g, tf.mul(mu, v)) : v, { velocity: v }];
    };
  });
}
