import * as tf from '@tensorflow/tfjs-core';
import { distanceOverGradients, type DistanceOverGradientsState } from './distanceOverGradients.js';
import type { GradientTransformation } from './types.js';

/**
 * Per variable: the parameters when the optimizer first saw the variable. Global
 * ({ [GLOBAL]: scalar }): the estimate of the squared distance to the solution
 * (`squaredDistance`), and the weighted sum of the squared gradient norms
 * (`weightedGradientSquares`).
 */
export type ScaleByDowgState = DistanceOverGradientsState<'squaredDistance', 'weightedGradientSquares'>;

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
  return distanceOverGradients(
    { name: 'scaleByDowg', epsilon, ...(initSqDist === undefined ? {} : { initSqDist }) },
    { distance: 'squaredDistance', gradients: 'weightedGradientSquares' },
    () => tf.scalar(initSqDist ?? epsilon),
    (old, squaredDistance, gradientSquares, context) => {
      const estimate = tf.maximum(old.distance, squaredDistance);
      const weighted = tf.add(tf.mul(estimate, gradientSquares), old.gradients);
      const stepSize = tf.div(estimate, tf.add(tf.sqrt(weighted), context.scalar('epsilon', epsilon)));
      return { distance: estimate, gradients: weighted, stepSize };
    },
  );
}
