import * as tf from '@tensorflow/tfjs-core';
import { learningRateConfig, rateScalar, type LearningRate } from './learningRate.js';
import { mapVariables } from './perVariable.js';
import { statelessStage, type NoState } from './statelessStage.js';
import type { GradientTransformation } from './types.js';

/** No state: the step count comes from the optimizer (StepContext.step). */
export type ScaleByLearningRateState = NoState;

/**
 * Multiplies the updates by the learning rate:
 *
 *     u = alpha_t * g        (alpha_t = learningRate, or the schedule's value after t steps)
 *
 * Sign convention: updates are descent directions and the adapter applies w -= u, so
 * this stage multiplies by +alpha (Optax multiplies by -alpha and adds). No buffer.
 * The rate becomes a cached scalar tensor through StepContext.scalar, rebuilt only when
 * the schedule changes value. Costs 1 kernel per variable.
 */
export function scaleByLearningRate(learningRate: LearningRate): GradientTransformation<ScaleByLearningRateState> {
  return statelessStage(
    { name: 'scaleByLearningRate', learningRate: learningRateConfig(learningRate) },
    {
      map(updates, _params, context) {
        const alpha = rateScalar(context, 'learningRate', learningRate);
        return mapVariables(updates, (update) => tf.mul(update, alpha));
      },
    },
  );
}
