import * as tf from '@tensorflow/tfjs-core';
import { mapVariables } from './perVariable.js';
import { sumOfSquares } from './variableSums.js';
import type { GradientTransformation } from './types.js';

/** No state. */
export type ClipState = Readonly<Record<string, never>>;

/**
 * Clips every element of the updates to [-maxDelta, maxDelta] (Optax `clip`, Keras's
 * `clipvalue`):
 *
 *     u = min(max(g, -maxDelta), maxDelta)
 *
 * `maxDelta` is a finite number > 0. No buffer. Costs 1 kernel per variable.
 */
export function clip(maxDelta: number): GradientTransformation<ClipState> {
  return {
    name: 'clip',
    config: { name: 'clip', maxDelta },
    init: () => ({}),
    update(updates, state) {
      return [mapVariables(updates, (update) => tf.clipByValue(update, -maxDelta, maxDelta)), state];
    },
  };
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
  return {
    name: 'clipByGlobalNorm',
    config: { name: 'clipByGlobalNorm', maxNorm },
    init: () => ({}),
    global(updates, _state, _params, context) {
      const limit = context.scalar('maxNorm', maxNorm);
      const norm = tf.sqrt(sumOfSquares(updates));
      const scale = tf.where(tf.less(norm, limit), tf.onesLike(norm), tf.div(limit, norm));
      return { values: { scale }, state: {} };
    },
    update(updates, state, _params, _context, global) {
      return [mapVariables(updates, (update) => tf.mul(update, global.scale)), state];
    },
  };
}
