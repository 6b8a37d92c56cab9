import * as tf from '@tensorflow/tfjs-core';
import { copiesOf, initSlots, scaledBy } from './perVariable.js';
import { squaredDistance, sumOfSquares } from './variableSums.js';
import { GLOBAL, type GradientTransformation, type TensorsByName } from './types.js';

/**
 * Per variable: the parameters when the optimizer first saw the variable. Global
 * ({ [GLOBAL]: scalar }): the estimate of the squared distance to the solution, and the
 * weighted sum of the squared gradient norms.
 */
export type ScaleByDowgState = {
  readonly initialParams: TensorsByName;
  readonly squaredDistance: TensorsByName;
  readonly weightedGradientSquares: TensorsByName;
};

export interface ScaleByDowgOptions {
  /** The first estimate of the squared distance to the solution (default: epsilon), > 0. */
  readonly initSqDist?: number;
  /** Added to the root in the step size (default 1e-4), >= 0. */
  readonly epsilon?: number;
}

/**
 * DoWG, Distance over Weighted Gradients (Khaled et al. 2023), exactly as
 * `optax.contrib.scale_by_dowg`: ONE step size for all variables,
 *
 *     r2 = max(r2, |x0 - x|^2)        (r2 starts at initSqDist, or epsilon without it)
 *     W  = r2 * |g|^2 + W             (W starts at zero)
 *     u  = (r2 / (sqrt(W) + eps)) * g
 *
 * where |.| is the Euclidean norm over every element of every variable, x the parameters
 * before the step and x0 those the optimizer first saw. The norms run in the `global`
 * phase. chain(scaleByDowg(), scaleByLearningRate(alpha)) is `optax.contrib.dowg(alpha)`
 * without weight decay; alpha = 1 is the method itself.
 */
export function scaleByDowg(options: ScaleByDowgOptions = {}): GradientTransformation<ScaleByDowgState> {
  const epsilon = options.epsilon ?? 1e-4;
  const initSqDist = options.initSqDist;
  return {
    name: 'scaleByDowg',
    config: { name: 'scaleByDowg', epsilon, ...(initSqDist === undefined ? {} : { initSqDist }) },
    init: (params) =>
      initSlots<ScaleByDowgState>(params, {
        initialParams: () => copiesOf(params),
        squaredDistance: () => ({ [GLOBAL]: tf.scalar(initSqDist ?? epsilon) }),
        weightedGradientSquares: () => ({ [GLOBAL]: tf.scalar(0) }),
      }),
    global(updates, state, params, context) {
      const estimate = tf.maximum(state.squaredDistance[GLOBAL], squaredDistance(state.initialParams, params));
      const weighted = tf.add(tf.mul(estimate, sumOfSquares(updates)), state.weightedGradientSquares[GLOBAL]);
      const stepSize = tf.div(estimate, tf.add(tf.sqrt(weighted), context.scalar('epsilon', epsilon)));
      return {
        values: { stepSize },
        state: { squaredDistance: { [GLOBAL]: estimate }, weightedGradientSquares: { [GLOBAL]: weighted } },
      };
    },
    update: (updates, state, _params, _context, global) => [scaledBy(global.stepSize, updates), state],
  };
}
