import * as tf from '@tensorflow/tfjs-core';
import { slotStage } from './slotStage.js';
import type { GradientTransformation, TensorsByName } from './types.js';

/** Adam's moving averages of the gradient and of its square, per variable. */
export type ScaleByAdamState = {
  readonly firstMoment: TensorsByName;
  readonly secondMoment: TensorsByName;
};

export interface ScaleByAdamOptions {
  /** Decay of the first moment (default 0.9), 0 <= beta1 < 1. */
  readonly beta1?: number;
  /** Decay of the second moment (default 0.999), 0 <= beta2 < 1. */
  readonly beta2?: number;
  /** Added to the root of the second moment (default 1e-8), >= 0. */
  readonly epsilon?: number;
}

/**
 * Adam's scaling (Optax `scale_by_adam`, in its order of operations):
 *
 *     m = (1 - beta1) * g + beta1 * m          (m, v start at zero; t = steps taken + 1)
 *     v = (1 - beta2) * g^2 + beta2 * v
 *     u = (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)
 *
 * No learning rate here: chain(scaleByAdam(), scaleByLearningRate(alpha)) is Adam
 * (optax.adam, torch.optim.Adam): w -= alpha * u. The bias corrections depend on the step,
 * so they reach the tensors through StepContext.scalar. Costs 12 kernels per variable.
 */
export function scaleByAdam(options: ScaleByAdamOptions = {}): GradientTransformation<ScaleByAdamState> {
  const beta1 = options.beta1 ?? 0.9;
  const beta2 = options.beta2 ?? 0.999;
  const epsilon = options.epsilon ?? 1e-8;
  const config = { name: 'scaleByAdam', beta1, beta2, epsilon };
  return slotStage(config, ['firstMoment', 'secondMoment'], (state, context) => {
    const t = context.step + 1;
    const b1 = context.scalar('beta1', beta1);
    const b2 = context.scalar('beta2', beta2);
    const oneMinusB1 = context.scalar('oneMinusBeta1', 1 - beta1);
    const oneMinusB2 = context.scalar('oneMinusBeta2', 1 - beta2);
    const correction1 = context.scalar('firstBiasCorrection', 1 - beta1 ** t);
    const correction2 = context.scalar('secondBiasCorrection', 1 - beta2 ** t);
    const eps = context.scalar('epsilon', epsilon);
    return (g, name) => {
      const m = tf.add(tf.mul(oneMinusB1, g), tf.mul(b1, state.firstMoment[name]));
      const v = tf.add(tf.mul(oneMinusB2, tf.square(g)), tf.mul(b2, state.secondMoment[name]));
      const u = tf.div(tf.div(m, correction1), tf.add(tf.sqrt(tf.div(v, correction2)), eps));
      return [u, { firstMoment: m, secondMoment: v }];
    };
  });
}
