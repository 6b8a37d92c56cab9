import * as tf from '@tensorflow/tfjs-core';
import { mapVariables } from './perVariable.js';
import { statelessStage, type NoState } from './statelessStage.js';
import { sumOfSquares } from './variableSums.js';
import type { GradientTransformation } from './types.js';

/** No state. */
export type ClipState = NoState;

/**
 * Clips every element of the updates to [-maxDelta, maxDelta] (Optax `clip`, Keras's
 * `clipvalue`):
 *
 *     u = min(max(g, -maxDelta), maxDelta)
 *
 * `maxDelta` is a finite number > 0. No buffer. Costs 1 kernel per variable.
 */
export function clip(maxDelta: number): GradientTransformation<ClipState> {
  return statelessStage(
    { name: 'clip', maxDelta },
    { map: (updates) => mapVariables(updates, (update) => tf.clipByValue(update, -maxDelta, maxDelta)) },
  );
}

/**
 * Rescales the updates so that their norm over ALL variables is at most maxNorm (Optax
 * `clip_by_global_norm`, Keras's `global_clipnorm`):
 *
 *     n = sqrt(sum g^2)        (over every element of every variable)
 *     u = g                    when n < maxNorm
 *     u = g * maxNorm / n      otherwise
 *
 * The norm is computed once per step in the `global` phase, over every variable of the step.
 * `maxNorm` is a finite number > 0. No buffer.
 */
export function clipByGlobalNorm(maxNorm: number): GradientTransformation<ClipState> {
  return statelessStage(
    { name: 'clipByGlobalNorm', maxNorm },
    {
      values(updates, _params, context) {
        const limit = context.scalar('maxNorm', maxNorm);
        const norm = tf.sqrt(sumOfSquares(updates));
        return { scale: tf.where(tf.less(norm, limit), tf.onesLike(norm), tf.div(limit, norm)) };
      },
      map: (updates, _params, _context, global) => mapVariables(updates, (update) => tf.mul(update, global.scale)),
    },
  );
}
