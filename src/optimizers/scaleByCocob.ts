import * as tf from '@tensorflow/tfjs-core';
import { copiesOf, mapVariables, updateSlots, zerosFor } from './perVariable.js';
import type { GradientTransformation, TensorsByName } from './types.js';

/**
 * COCOB's bettor, per variable: the parameters when the optimizer first saw the variable,
 * the sum of the negative gradients, the largest |g| so far, the sum of |g|, and the reward.
 */
export type ScaleByCocobState = {
  readonly initialParams: TensorsByName;
  readonly negativeGradientSum: TensorsByName;
  readonly maxGradient: TensorsByName;
  readonly absoluteGradientSum: TensorsByName;
  readonly reward: TensorsByName;
};

export interface ScaleByCocobOptions {
  /** The fraction-to-bet parameter (default 100), > 0. */
  readonly alpha?: number;
  /** The first value of the largest |g| (default 1e-8), > 0: it is a divisor. */
  readonly epsilon?: number;
}

/**
 * COCOB-Backprop, continuous coin betting (Orabona & Tommasi 2017, Algorithm 2), exactly as
 * `optax.contrib.scale_by_cocob`. Per element, with x the parameter before the step and x0
 * the one the optimizer first saw:
 *
 *     L = max(L, |g|)                 (L starts at eps)
 *     G = G + |g|                     (G, R, C start at zero)
 *     R = max(R - g * (x - x0), 0)
 *     C = C - g
 *     x' = x0 + C / (L * max(G + L, alpha * L)) * (L + R)
 *     u = x - x'                      (the adapter's w -= u lands on x', as Optax's -x + x')
 *
 * The bettor chooses the weights themselves, so there is no step size to tune; a
 * scaleByLearningRate BEFORE this stage scales the gradients it bets on:
 * chain(scaleByLearningRate(alpha), scaleByCocob()) is `optax.contrib.cocob(alpha)` without
 * weight decay. Costs about 17 kernels per variable.
 */
export function scaleByCocob(options: ScaleByCocobOptions = {}): GradientTransformation<ScaleByCocobState> {
  const alpha = options.alpha ?? 100;
  const epsilon = options.epsilon ?? 1e-8;
  return {
    name: 'scaleByCocob',
    config: { name: 'scaleByCocob', alpha, epsilon },
    init: (params) =>
      tf.tidy(() => ({
        initialParams: copiesOf(params),
        negativeGradientSum: zerosFor(params),
        maxGradient: mapVariables(params, (param) => tf.fill(param.shape, epsilon)),
        absoluteGradientSum: zerosFor(params),
        reward: zerosFor(params),
      })),
    update(updates, state, params, context) {
      const bet = context.scalar('alpha', alpha);
      const zero = context.scalar('zero', 0);
      const slots = ['negativeGradientSum', 'maxGradient', 'absoluteGradientSum', 'reward'] as const;
      const [out, next] = updateSlots(updates, state, slots, (g, name) => {
        const x = params[name];
        const x0 = state.initialParams[name];
        const magnitude = tf.abs(g);
        const largest = tf.maximum(state.maxGradient[name], magnitude); // L
        const absoluteSum = tf.add(state.absoluteGradientSum[name], magnitude); // G
        const reward = tf.maximum(tf.sub(state.reward[name], tf.mul(g, tf.sub(x, x0))), zero); // R
        const negativeSum = tf.sub(state.negativeGradientSum[name], g); // C
        const betting = tf.mul(largest, tf.maximum(tf.add(absoluteSum, largest), tf.mul(bet, largest)));
        const target = tf.add(x0, tf.mul(tf.div(negativeSum, betting), tf.add(largest, reward)));
        const values = {
          negativeGradientSum: negativeSum,
          maxGradient: largest,
          absoluteGradientSum: absoluteSum,
          reward,
        };
        return [tf.sub(x, target), values];
      });
      return [out, { initialParams: state.initialParams, ...next }];
    },
  };
}
