import type * as TF from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { learningRateAt, learningRateConfig, type LearningRate } from './learningRate.js';
import { initSlots, updateSlots, zerosFor } from './perVariable.js';
import { sumOverVariables } from './variableSums.js';
import {
  GLOBAL,
  type GlobalStep,
  type GlobalValues,
  type GradientTransformation,
  type StepContext,
  type TensorsByName,
} from './types.js';

/**
 * Per variable: the moving averages of dlr*g and g^2 and the weighted sum of dlr*g. Global
 * ({ [GLOBAL]: scalar }): the distance estimate d and the weighted numerator of its estimate.
 */
export type DAdaptAdamWState = {
  readonly firstMoment: TensorsByName;
  readonly secondMoment: TensorsByName;
  readonly gradientSum: TensorsByName;
  readonly distance: TensorsByName;
  readonly numerator: TensorsByName;
};

export interface DAdaptAdamWOptions {
  /** The rate (or schedule) that multiplies d in each step (default 1: D-Adaptation's base). */
  readonly learningRate?: LearningRate;
  /** Decay of the first moment (default 0.9). */
  readonly beta1?: number;
  /** Decay of the second moment (default 0.999); the estimate's sums decay by sqrt(beta2). */
  readonly beta2?: number;
  /** Added to the root (default 1e-8). */
  readonly epsilon?: number;
  /** The first (under-)estimate of the distance d (default 1e-6). */
  readonly d0?: number;
}

/**
 * D-Adaptation's AdamW (Defazio & Mishchenko 2023), the learning-rate-free Adam, exactly as
 * `optax.contrib.dadapt_adamw` with `estim_lr0 = d0` and no weight decay. With t = steps
 * taken + 1, lambda the rate of the step, b3 = sqrt(beta2), d the estimate before the step:
 *
 *     dlr = d * lambda * sqrt(1 - beta2^t) / (1 - beta1^t)
 *     a = sum g * s / (sqrt(v) + eps)                        (old s, v; one number)
 *     m = beta1 * m + (1 - beta1) * dlr * g;   v = beta2 * v + (1 - beta2) * g^2
 *     s = b3 * s + (1 - b3) * dlr * g                        (per element)
 *     r = b3 * r + (1 - b3) * dlr * a                        (one number)
 *     d' = max(d, r / ((1 - b3) * sum |s|))                  (one number)
 *     u = m / (sqrt(v) + eps)
 *
 * m, v, s, r start at zero, d at d0; the sums run over every element of every variable of
 * the step, in the `global` phase. The rate is inside m (Optax cannot factor it out either),
 * so this stage is the whole optimizer: no scaleByLearningRate after it. The betas and their
 * bias correction are float32 numbers, as Optax's arrays are.
 */
export function dadaptAdamW(options: DAdaptAdamWOptions = {}): GradientTransformation<DAdaptAdamWState> {
  const settings: DAdaptSettings = {
    learningRate: options.learningRate ?? 1,
    beta1: options.beta1 ?? 0.9,
    beta2: options.beta2 ?? 0.999,
    epsilon: options.epsilon ?? 1e-8,
    d0: options.d0 ?? 1e-6,
  };
  return {
    name: 'dadaptAdamW',
    config: { name: 'dadaptAdamW', ...settings, learningRate: learningRateConfig(settings.learningRate) },
    init: (params) => initialState(params, settings.d0),
    global: (updates, state, _params, context) => estimateDistance(scalars(settings, context), updates, state),
    update: (updates, state, _params, context, global) =>
      scaleUpdates(scalars(settings, context), updates, state, global),
  };
}

interface DAdaptSettings {
  readonly learningRate: LearningRate;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly d0: number;
}

const f32 = Math.fround;

/** The step's scalars, each built once (cached) by StepContext.scalar; float32 arithmetic as Optax's. */
function scalars(settings: DAdaptSettings, context: StepContext) {
  const beta1 = f32(settings.beta1);
  const beta2 = f32(settings.beta2);
  const sqrtBeta2 = f32(Math.sqrt(beta2));
  const t = context.step + 1;
  const correction = f32(f32(Math.sqrt(f32(1 - f32(beta2 ** t)))) / f32(1 - f32(beta1 ** t)));
  return {
    beta1: context.scalar('beta1', beta1),
    beta2: context.scalar('beta2', beta2),
    sqrtBeta2: context.scalar('sqrtBeta2', sqrtBeta2),
    oneMinusBeta1: context.scalar('oneMinusBeta1', f32(1 - beta1)),
    oneMinusBeta2: context.scalar('oneMinusBeta2', f32(1 - beta2)),
    oneMinusSqrtBeta2: context.scalar('oneMinusSqrtBeta2', f32(1 - sqrtBeta2)),
    epsilon: context.scalar('epsilon', settings.epsilon),
    learningRate: context.scalar('learningRate', learningRateAt(settings.learningRate, context.step)),
    biasCorrection: context.scalar('biasCorrection', correction),
  };
}
type Scalars = ReturnType<typeof scalars>;

/** s = b3 * s + (1 - b3) * dlr * g: the same kernels in both phases. */
function nextGradientSum(c: Scalars, sum: TF.Tensor, dlr: TF.Tensor, g: TF.Tensor): TF.Tensor {
  return tf.add(tf.mul(c.sqrtBeta2, sum), tf.mul(tf.mul(c.oneMinusSqrtBeta2, dlr), g));
}

function initialState(params: TensorsByName, d0: number): DAdaptAdamWState {
  return initSlots<DAdaptAdamWState>(params, {
    firstMoment: () => zerosFor(params),
    secondMoment: () => zerosFor(params),
    gradientSum: () => zerosFor(params),
    distance: () => ({ [GLOBAL]: tf.scalar(d0) }),
    numerator: () => ({ [GLOBAL]: tf.scalar(0) }),
  });
}

/** The global phase: dlr, and the new distance estimate d from sums over every variable. */
function estimateDistance(c: Scalars, updates: TensorsByName, state: DAdaptAdamWState): GlobalStep {
  const d = state.distance[GLOBAL];
  const dlr = tf.mul(tf.mul(d, c.learningRate), c.biasCorrection);
  const names = Object.keys(updates);
  const accumulated = sumOverVariables(names, (name) =>
    tf.sum(
      tf.mul(updates[name], tf.div(state.gradientSum[name], tf.add(tf.sqrt(state.secondMoment[name]), c.epsilon))),
    ),
  );
  const l1 = sumOverVariables(names, (name) =>
    tf.sum(tf.abs(nextGradientSum(c, state.gradientSum[name], dlr, updates[name]))),
  );
  const numerator = tf.add(
    tf.mul(c.sqrtBeta2, state.numerator[GLOBAL]),
    tf.mul(tf.mul(c.oneMinusSqrtBeta2, dlr), accumulated),
  );
  const distance = tf.maximum(d, tf.div(numerator, tf.mul(c.oneMinusSqrtBeta2, l1)));
  return { values: { dlr }, state: { distance: { [GLOBAL]: distance }, numerator: { [GLOBAL]: numerator } } };
}

/** The per-variable phase: Adam's moments of dlr*g and g, and the step m / (sqrt(v) + eps). */
function scaleUpdates(
  c: Scalars,
  updates: TensorsByName,
  state: DAdaptAdamWState,
  global: GlobalValues,
): [TensorsByName, DAdaptAdamWState] {
  const scaledRate = tf.mul(c.oneMinusBeta1, global.dlr);
  const [out, next] = updateSlots(updates, state, ['firstMoment', 'secondMoment', 'gradientSum'], (g, name) => {
    const m = tf.add(tf.mul(c.beta1, state.firstMoment[name]), tf.mul(scaledRate, g));
    const v = tf.add(tf.mul(c.beta2, state.secondMoment[name]), tf.mul(tf.mul(c.oneMinusBeta2, g), g));
    const gradientSum = nextGradientSum(c, state.gradientSum[name], global.dlr, g);
    return [tf.div(m, tf.add(tf.sqrt(v), c.epsilon)), { firstMoment: m, secondMoment: v, gradientSum }];
  });
  return [out, { ...state, ...next }];
}
