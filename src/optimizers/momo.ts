import type * as TF from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { learningRateAt, learningRateConfig, type LearningRate } from './learningRate.js';
import { requireLoss } from './stepLoss.js';
import { initSlots, updateSlots, zerosFor } from './perVariable.js';
import { sumOverVariables } from './variableSums.js';
import { GLOBAL, type GlobalStep, type GradientTransformation, type StepContext, type TensorsByName } from './types.js';

/**
 * Per variable: the moving average of the gradients. Global ({ [GLOBAL]: scalar }): the
 * moving averages of the loss values and of sum g * x.
 */
export type MomoState = {
  readonly momentum: TensorsByName;
  readonly lossAverage: TensorsByName;
  readonly gradientDotParams: TensorsByName;
};

export interface MomoOptions {
  /** The largest step size alpha, a number or a schedule (default 1). */
  readonly learningRate?: LearningRate;
  /** Decay of the averages (default 0.9). */
  readonly beta?: number;
  /** A lower bound of the loss, f* in the rule (default 0). */
  readonly lowerBound?: number;
}

/**
 * MoMo (Schaipp, Ohana, Eickenberg, Defazio & Gower 2023): momentum with a Polyak-type step
 * size from a model of the loss, exactly as `optax.contrib.momo` without weight decay and
 * without adapting the lower bound. With b = 0 at the first step and beta afterwards (the
 * averages start at the first gradient and loss), f the loss value of the step:
 *
 *     m = b m + (1 - b) g;   F = b F + (1 - b) f;   G = b G + (1 - b) sum g * x
 *     tau = min(alpha, max(F - fLow - G + sum m * x, 0) / sum m^2)   (one number;
 *           0 when sum m^2 <= 2^-52)
 *     u = tau * m
 *
 * with the sums over every element of every variable, in the `global` phase. f comes from
 * `applyGradients(gradients, { loss })` or `minimize(f)`, as for scaleByPolyak.
 */
export function momo(options: MomoOptions = {}): GradientTransformation<MomoState> {
  const learningRate = options.learningRate ?? 1;
  const beta = options.beta ?? 0.9;
  const lowerBound = options.lowerBound ?? 0;
  return {
    name: 'momo',
    config: { name: 'momo', learningRate: learningRateConfig(learningRate), beta, lowerBound },
    init: (params) =>
      initSlots<MomoState>(params, {
        momentum: () => zerosFor(params),
        lossAverage: () => ({ [GLOBAL]: tf.scalar(0) }),
        gradientDotParams: () => ({ [GLOBAL]: tf.scalar(0) }),
      }),
    global(updates, state, params, context): GlobalStep {
      const c = scalars(context, beta);
      const loss = requireLoss(context, 'momo');
      const names = Object.keys(updates);
      const lossAverage = tf.add(tf.mul(c.decay, state.lossAverage[GLOBAL]), tf.mul(c.oneMinusDecay, loss));
      const gradientDotParams = tf.add(
        tf.mul(c.decay, state.gradientDotParams[GLOBAL]),
        tf.mul(
          c.oneMinusDecay,
          sumOverVariables(names, (name) => tf.sum(tf.mul(updates[name], params[name]))),
        ),
      );
      const next = (name: string) => nextMomentum(c, state.momentum[name], updates[name]);
      const norm = sumOverVariables(names, (name) => tf.sum(tf.square(next(name))));
      const product = sumOverVariables(names, (name) => tf.sum(tf.mul(next(name), params[name])));
      const alpha = context.scalar('learningRate', learningRateAt(learningRate, context.step));
      const gap = tf.add(
        tf.sub(tf.sub(lossAverage, context.scalar('lowerBound', lowerBound)), gradientDotParams),
        product,
      );
      const polyak = tf.where(
        tf.lessEqual(norm, context.scalar('zeroThreshold', Number.EPSILON)),
        tf.zerosLike(norm),
        tf.div(tf.relu(gap), norm),
      );
      return {
        values: { stepSize: tf.minimum(alpha, polyak) },
        state: { lossAverage: { [GLOBAL]: lossAverage }, gradientDotParams: { [GLOBAL]: gradientDotParams } },
      };
    },
    update(updates, state, _params, context, global) {
      const c = scalars(context, beta);
      const [out, next] = updateSlots(updates, state, ['momentum'], (g, name) => {
        const m = nextMomentum(c, state.momentum[name], g);
        return [tf.mul(global.stepSize, m), { momentum: m }];
      });
      return [out, { ...state, ...next }];
    },
  };
}

/** b and 1 - b of the step (b = 0 at the first step); float32 arithmetic as Optax's. */
function scalars(context: StepContext, beta: number) {
  const decay = context.step === 0 ? 0 : Math.fround(beta);
  return {
    decay: context.scalar('decay', decay),
    oneMinusDecay: context.scalar('oneMinusDecay', Math.fround(1 - decay)),
  };
}

/** m = b m + (1 - b) g: the same kernels in both phases. */
function nextMomentum(c: ReturnType<typeof scalars>, m: TF.Tensor, g: TF.Tensor): TF.Tensor {
  return tf.add(tf.mul(c.decay, m), tf.mul(c.oneMinusDecay, g));
}
