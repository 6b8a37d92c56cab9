import * as tf from '@tensorflow/tfjs-core';
import { learningRateConfig, rateScalar, type LearningRate } from './learningRate.js';
import { mapVariables } from './perVariable.js';
import { statelessStage, type NoState } from './statelessStage.js';
import type { GradientTransformation } from './types.js';

/** No state: a scheduled decay reads the step count from the optimizer (StepContext.step). */
export type AddDecayedWeightsState = NoState;

/**
 * Decoupled weight decay (Optax `add_decayed_weights`, Loshchilov & Hutter's AdamW):
 *
 *     u = g + lambda_t * w        (lambda_t = weightDecay, or its schedule's value after t steps)
 *
 * Put it after the adaptive stage and before the learning rate:
 * chain(scaleByAdam(), addDecayedWeights(0.01), scaleByLearningRate(1e-3)) is AdamW
 * (w -= alpha (m_hat / (sqrt(v_hat) + eps) + lambda w), = `optax.adamw`); before the
 * adaptive stage it is L2 regularisation instead. `weightDecay` is a finite number >= 0 or a
 * schedule (learningRate.ts); 0 adds nothing and costs nothing. No buffer. Costs 2 kernels per
 * variable.
 */
export function addDecayedWeights(weightDecay: LearningRate): GradientTransformation<AddDecayedWeightsState> {
  return statelessStage(
    { name: 'addDecayedWeights', weightDecay: weightDecay === 0 ? 0 : learningRateConfig(weightDecay) },
    {
      map(updates, params, context) {
        if (weightDecay === 0) return updates;
        const lambda = rateScalar(context, 'weightDecay', weightDecay);
        return mapVariables(updates, (update, name) => tf.add(update, tf.mul(lambda, params[name])));
      },
    },
  );
}
