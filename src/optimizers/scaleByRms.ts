import * as tf from '@tensorflow/tfjs-core';
import { slotStage } from './slotStage.js';
import type { GradientTransformation, TensorsByName } from './types.js';

/** The moving average of the squared gradient, per variable. */
export type ScaleByRmsState = {
  readonly secondMoment: TensorsByName;
};

export interface ScaleByRmsOptions {
  /** Decay of the average (default 0.9), 0 <= decay < 1. */
  readonly decay?: number;
  /** Added to the root (default 1e-8), >= 0. */
  readonly epsilon?: number;
}

/**
 * RMSprop's scaling (Optax `scale_by_rms` with eps_in_sqrt=False, as torch.optim.RMSprop):
 *
 *     v = (1 - decay) * g^2 + decay * v        (v starts at zero; no bias correction)
 *     u = g / (sqrt(v) + eps)                  (eps outside the root)
 *
 * No learning rate here: chain(scaleByRms(), scaleByLearningRate(alpha)) is RMSprop,
 * w -= alpha * u. Costs 7 kernels per variable.
 */
export function scaleByRms(options: ScaleByRmsOptions = {}): GradientTransformation<ScaleByRmsState> {
  const decay = options.decay ?? 0.9;
  const epsilon = options.epsilon ?? 1e-8;
  return slotStage({ name: 'scaleByRms', decay, epsilon }, ['secondMoment'], (state, context) => {
    const d = context.scalar('decay', decay);
    const oneMinusD = context.scalar('oneMinusDecay', 1 - decay);
    const eps = context.scalar('epsilon', epsilon);
    return (g, name) => {
      const v = tf.add(tf.mul(oneMinusD, tf.square(g)), tf.mul(d, state.secondMoment[name]));
      return [tf.div(g, tf.add(tf.sqrt(v), eps)), { secondMoment: v }];
    };
  });
}
