import * as tf from '@tensorflow/tfjs-core';
import { scaledBy } from './perVariable.js';
import { statelessStage, type NoState } from './statelessStage.js';
import { requireLoss } from './stepLoss.js';
import { sumOfSquares } from './variableSums.js';
import type { GradientTransformation } from './types.js';

/** No state: the step size is recomputed from the loss and the gradient every step. */
export type ScaleByPolyakState = NoState;

export interface ScaleByPolyakOptions {
  /** The largest step size gamma (default 1). */
  readonly maxLearningRate?: number;
  /** A lower bound of the loss, f* in the rule (default 0: models that can interpolate). */
  readonly fMin?: number;
  /** Added to the squared gradient norm (default 0). */
  readonly epsilon?: number;
}

/**
 * Polyak's step size (Optax `scale_by_polyak`, variant 'sps'; `optax.polyak_sgd` is this
 * stage alone), ONE step size for all variables:
 *
 *     gamma = min((f - fMin) / (sum g^2 + eps), maxLearningRate)   (sum over every element
 *     u = gamma * g                                                 of every variable)
 *
 * and gamma = 0 when sum g^2 + eps <= 2^-52 (Optax's guard against dividing by zero).
 * f is the loss value of the step, so the optimizer must be given it
 * (`applyGradients(gradients, { loss })` or `minimize(f)`). No buffer; the learning rate is
 * gamma itself. The sum runs in the `global` phase, once per step over all variables.
 */
export function scaleByPolyak(options: ScaleByPolyakOptions = {}): GradientTransformation<ScaleByPolyakState> {
  const maxLearningRate = options.maxLearningRate ?? 1;
  const fMin = options.fMin ?? 0;
  const epsilon = options.epsilon ?? 0;
  return statelessStage(
    { name: 'scaleByPolyak', maxLearningRate, fMin, epsilon },
    {
      values(updates, _params, context) {
        const loss = requireLoss(context, 'scaleByPolyak');
        const denominator = tf.add(sumOfSquares(updates), context.scalar('epsilon', epsilon));
        const gap = tf.sub(loss, context.scalar('fMin', fMin));
        const stepSize = tf.where(
          tf.lessEqual(denominator, context.scalar('zeroThreshold', Number.EPSILON)),
          tf.zerosLike(denominator),
          tf.minimum(tf.div(gap, denominator), context.scalar('maxLearningRate', maxLearningRate)),
        );
        return { stepSize };
      },
      map: (updates, _params, _context, global) => scaledBy(global.stepSize, updates),
    },
  );
}
