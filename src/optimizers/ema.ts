import type * as TF from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { zerosFor } from './trace.js';
import type { GradientTransformation, TensorsByName } from './types.js';

/** The exponential moving average of the gradient, per variable. */
export type EmaState = {
  readonly velocity: TensorsByName;
};

/**
 * Exponential moving average of the updates (Optax `ema` with debias=False), the momentum
 * "with its own inertia" of the question:
 *
 *     v = beta * v + (1 - beta) * g     (v starts at zero; NO bias correction)
 *     u = v
 *
 * No learning rate here: chain(ema(beta), scaleByLearningRate(alpha)) is
 * w -= alpha * v; chain(ema(beta)) alone is the question's w -= v.
 * `decay` satisfies 0 <= decay < 1 (checked by createOptimizer and stageFromConfig, not here).
 * Costs 3 kernels per variable.
 */
export function ema(decay: number): GradientTransformation<EmaState> {
  return {
    name: 'ema',
    config: { name: 'ema', decay },
    init: (params) => ({ velocity: tf.tidy(() => zerosFor(params)) }),
    update(updates, state, _params, context) {
      const beta = context.scalar('decay', decay);
      const oneMinusBeta = context.scalar('oneMinusDecay', 1 - decay);
      const velocity = { ...state.velocity };
      const out: Record<string, TF.Tensor> = {};
      for (const name of Object.keys(updates)) {
        const v = tf.add(tf.mul(beta, state.velocity[name]), tf.mul(oneMinusBeta, updates[name]));
        velocity[name] = v;
        out[name] = v;
      }
      return [out, { velocity }];
    },
  };
}
