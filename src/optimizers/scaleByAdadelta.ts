import type * as TF from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { slotStage } from './slotStage.js';
import type { GradientTransformation, TensorsByName } from './types.js';

/** Adadelta's moving averages of the squared gradient and of the squared update, per variable. */
export type ScaleByAdadeltaState = {
  readonly squaredGradients: TensorsByName;
  readonly squaredUpdates: TensorsByName;
};

export interface ScaleByAdadeltaOptions {
  /** Decay of both averages (default 0.9), 0 <= rho < 1. */
  readonly rho?: number;
  /** Added inside both roots (default 1e-6), >= 0. */
  readonly epsilon?: number;
}

/**
 * Adadelta's scaling (Zeiler 2012, Optax `scale_by_adadelta`, in its order of operations):
 *
 *     Eg = (1 - rho) * g^2 + rho * Eg                   (Eg, Ex start at zero)
 *     u  = (sqrt(Ex + eps) / sqrt(Eg + eps)) * g        (Ex as it was before the step)
 *     Ex = (1 - rho) * u^2 + rho * Ex
 *
 * The ratio of the two roots carries the units of the weights (Zeiler's "units" argument),
 * so Adadelta needs no learning rate; chain(scaleByAdadelta(), scaleByLearningRate(alpha))
 * is `optax.adadelta(alpha)`, and alpha = 1 is Zeiler's method. Ex averages the update
 * before the rate is applied. Costs 14 kernels per variable.
 */
export function scaleByAdadelta(options: ScaleByAdadeltaOptions = {}): GradientTransformation<ScaleByAdadeltaState> {
  const rho = options.rho ?? 0.9;
  const epsilon = options.epsilon ?? 1e-6;
  const config = { name: 'scaleByAdadelta', rho, epsilon };
  return slotStage(config, ['squaredGradients', 'squaredUpdates'], (state, context) => {
    const decay = context.scalar('rho', rho);
    const oneMinusDecay = context.scalar('oneMinusRho', 1 - rho);
    const eps = context.scalar('epsilon', epsilon);
    const average = (x: TF.Tensor, previous: TF.Tensor) =>
      tf.add(tf.mul(oneMinusDecay, tf.square(x)), tf.mul(decay, previous));
    return (g, name) => {
      const eg = average(g, state.squaredGradients[name]);
      const u = tf.mul(tf.div(tf.sqrt(tf.add(state.squaredUpdates[name], eps)), tf.sqrt(tf.add(eg, eps))), g);
      return [u, { squaredGradients: eg, squaredUpdates: average(u, state.squaredUpdates[name]) }];
    };
  });
}
