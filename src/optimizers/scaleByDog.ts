import * as tf from '@tensorflow/tfjs-core';
import { distanceOverGradients, type DistanceOverGradientsState } from './distanceOverGradients.js';
import { sumOfSquares } from './variableSums.js';
import type { GradientTransformation } from './types.js';

/**
 * Per variable: the parameters when the optimizer first saw the variable. Global
 * ({ [GLOBAL]: scalar }): the largest distance from them so far (`maxDistance`), and the sum
 * of the squared gradient norms (`gradientSquares`).
 */
export type ScaleByDogState = DistanceOverGradientsState<'maxDistance', 'gradientSquares'>;

export interface ScaleByDogOptions {
  /** The first distance is rEpsilon * (1 + |x0|) (Optax's "heuristic" initial step; default 1e-6), > 0. */
  readonly rEpsilon?: number;
  /** Added to the sum of squared gradient norms (default 1e-8), >= 0. */
  readonly epsilon?: number;
}

/**
 * DoG, Distance over Gradients (Ivgi et al. 2023), exactly as `optax.contrib.scale_by_dog`
 * with `init_step = ("heuristic", rEpsilon)`: ONE step size for all variables,
 *
 *     r  = max(r, |x0 - x|)          (r starts at rEpsilon * (1 + |x0|))
 *     G  = G + |g|^2                 (G starts at zero)
 *     u  = (r / sqrt(G + eps)) * g
 *
 * where |.| is the Euclidean norm over every element of every variable, x the parameters
 * before the step and x0 those the optimizer first saw. The norms run in the `global`
 * phase. chain(scaleByDog(), scaleByLearningRate(alpha)) is `optax.contrib.dog(alpha)`
 * without weight decay; alpha = 1 is the method itself.
 */
export function scaleByDog(options: ScaleByDogOptions = {}): GradientTransformation<ScaleByDogState> {
  const rEpsilon = options.rEpsilon ?? 1e-6;
  const epsilon = options.epsilon ?? 1e-8;
  return distanceOverGradients(
    { name: 'scaleByDog', rEpsilon, epsilon },
    { distance: 'maxDistance', gradients: 'gradientSquares' },
    (params) => tf.mul(tf.scalar(rEpsilon), tf.add(tf.scalar(1), tf.sqrt(sumOfSquares(params)))),
    (old, squaredDistance, gradientSquares, context) => {
      const maxDistance = tf.maximum(old.distance, tf.sqrt(squaredDistance));
      const sum = tf.add(old.gradients, gradientSquares);
      const stepSize = tf.div(maxDistance, tf.sqrt(tf.add(sum, context.scalar('epsilon', epsilon))));
      return { distance: maxDistance, gradients: sum, stepSize };
    },
  );
}
