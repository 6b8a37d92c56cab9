import type * as TF from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { learningRateAt, learningRateConfig, type LearningRate } from './learningRate.js';
import { copiesOf, initSlots, updateSlots, zerosFor } from './perVariable.js';
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
 * Per variable: the moving averages of d*g and (d*g)^2, the weighted sum of d*g, and the
 * parameters when the optimizer first saw the variable. Global ({ [GLOBAL]: scalar }): the
 * distance estimate d and the weighted numerator of its estimate.
 */
export type ScaleByProdigyState = {
  readonly firstMoment: TensorsByName;
  readonly secondMoment: TensorsByName;
  readonly gradientSum: TensorsByName;
  readonly initialParams: TensorsByName;
  readonly distance: TensorsByName;
  readonly numerator: TensorsByName;
};

export interface ScaleByProdigyOptions {
  /** Decay of the first moment (default 0.9). */
  readonly beta1?: number;
  /** Decay of the second moment (default 0.999). */
  readonly beta2?: number;
  /** Decay of the estimate's sums (default sqrt(beta2)). */
  readonly beta3?: number;
  /** Added to the root, times d (default 1e-8). */
  readonly epsilon?: number;
  /** The first (under-)estimate of the distance d (default 1e-6). */
  readonly d0?: number;
  /**
   * The rate that weights each step in the estimate of d (Optax's `sched` inside `dlr`),
   * default 1. The step itself is scaled by a scaleByLearningRate placed after this stage:
   * give both the same rate. A constant rate cancels out of d (numerator and denominator
   * both scale with it); a schedule does not.
   */
  readonly learningRate?: LearningRate;
}

/**
 * Prodigy's scaling (Mishchenko & Defazio 2023), the learning-rate-free Adam, exactly as
 * `optax.contrib.prodigy` without weight decay or safeguard warm-up, estim_lr_coef = 1.
 * With t = steps taken + 1, lambda the rate of the step, d the estimate before the step:
 *
 *     dlr = d * lambda * sqrt(1 - beta2^t) / (1 - beta1^t)
 *     m = beta1 * m + (1 - beta1) * d g;   v = beta2 * v + (1 - beta2) * (d g)^2
 *     s = beta3 * s + dlr * d g / d0                                    (per element)
 *     r = beta3 * r + (d / d0) * dlr * sum g * (x0 - x)                 (one number)
 *     d' = max(d, r / sum |s|)                                          (one number)
 *     u = (dlr / lambda) * m / (sqrt(v) + d' * eps)
 *
 * m, v, s, r start at zero, d at d0, x0 is the parameter when the optimizer first saw it;
 * the sums run over every element of every variable of the step, in the `global` phase.
 * The learning rate is applied by a scaleByLearningRate after this stage:
 * chain(scaleByProdigy(), scaleByLearningRate(1)) is Optax's prodigy at its defaults.
 * Costs about 20 kernels per variable (s is computed in both phases).
 */
export function scaleByProdigy(options: ScaleByProdigyOptions = {}): GradientTransformation<ScaleByProdigyState> {
  const beta2 = options.beta2 ?? 0.999;
  const settings: ProdigySettings = {
    beta1: options.beta1 ?? 0.9,
    beta2,
    beta3: options.beta3 ?? Math.sqrt(beta2),
    epsilon: options.epsilon ?? 1e-8,
    d0: options.d0 ?? 1e-6,
    learningRate: options.learningRate ?? 1,
  };
  return {
    name: 'scaleByProdigy',
    config: { name: 'scaleByProdigy', ...settings, learningRate: learningRateConfig(settings.learningRate) },
    init: (params) => initialState(params, settings.d0),
    global: (updates, state, params, context) => estimateDistance(scalars(settings, context), updates, state, params),
    update: (updates, state, _params, context, global) =>
      scaleUpdates(scalars(settings, context), updates, state, global),
  };
}

interface ProdigySettings {
  readonly beta1: number;
  readonly beta2: number;
  readonly beta3: number;
  readonly epsilon: number;
  readonly d0: number;
  readonly learningRate: LearningRate;
}

/** The step's scalars, each built once (cached) by StepContext.scalar. */
function scalars(settings: ProdigySettings, context: StepContext) {
  const { beta1, beta2, beta3, epsilon, d0 } = settings;
  const t = context.step + 1;
  return {
    beta1: context.scalar('beta1', beta1),
    beta2: context.scalar('beta2', beta2),
    beta3: context.scalar('beta3', beta3),
    oneMinusBeta1: context.scalar('oneMinusBeta1', 1 - beta1),
    oneMinusBeta2: context.scalar('oneMinusBeta2', 1 - beta2),
    epsilon: context.scalar('epsilon', epsilon),
    d0: context.scalar('d0', d0),
    learningRate: context.scalar('learningRate', learningRateAt(settings.learningRate, context.step)),
    biasCorrection: context.scalar('biasCorrection', Math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)),
  };
}
type Scalars = ReturnType<typeof scalars>;

/** s = beta3 * s + dlr * (d g) / d0: the same kernels in both phases. */
function nextGradientSum(c: Scalars, sum: TF.Tensor, dlr: TF.Tensor, dg: TF.Tensor): TF.Tensor {
  return tf.add(tf.mul(c.beta3, sum), tf.div(tf.mul(dlr, dg), c.d0));
}

/** Zero moments and sums, a copy of the parameters, d = d0 and a zero numerator. */
function initialState(params: TensorsByName, d0: number): ScaleByProdigyState {
  return initSlots<ScaleByProdigyState>(params, {
    firstMoment: () => zerosFor(params),
    secondMoment: () => zerosFor(params),
    gradientSum: () => zerosFor(params),
    initialParams: () => copiesOf(params),
    distance: () => ({ [GLOBAL]: tf.scalar(d0) }),
    numerator: () => ({ [GLOBAL]: tf.scalar(0) }),
  });
}

/** The global phase: the new distance estimate d from sums over every variable. */
function estimateDistance(
  c: Scalars,
  updates: TensorsByName,
  state: ScaleByProdigyState,
  params: TensorsByName,
): GlobalStep {
  const d = state.distance[GLOBAL];
  const dlr = tf.mul(tf.mul(d, c.learningRate), c.biasCorrection);
  const names = Object.keys(updates);
  // <g, x0 - x> and |s|_1 (s after this step's update), each over every element of every variable.
  const innerProduct = sumOverVariables(names, (name) =>
    tf.sum(tf.mul(updates[name], tf.sub(state.initialParams[name], params[name]))),
  );
  const l1 = sumOverVariables(names, (name) =>
    tf.sum(tf.abs(nextGradientSum(c, state.gradientSum[name], dlr, tf.mul(d, updates[name])))),
  );
  const numerator = tf.add(
    tf.mul(c.beta3, state.numerator[GLOBAL]),
    tf.mul(tf.mul(tf.div(d, c.d0), dlr), innerProduct),
  );
  const distance = tf.maximum(d, tf.div(numerator, l1));
  return {
    values: { dlr, stepScale: tf.mul(d, c.biasCorrection), distance },
    state: { distance: { [GLOBAL]: distance }, numerator: { [GLOBAL]: numerator } },
  };
}

/** The per-variable phase: Adam's moments of d*g, scaled by the global phase's step scale. */
function scaleUpdates(
  c: Scalars,
  updates: TensorsByName,
  state: ScaleByProdigyState,
  global: GlobalValues,
): [TensorsByName, ScaleByProdigyState] {
  const d = state.distance[GLOBAL];
  const epsilonTimesD = tf.mul(global.distance, c.epsilon);
  const [out, next] = updateSlots(updates, state, ['firstMoment', 'secondMoment', 'gradientSum'], (g, name) => {
    const dg = tf.mul(d, g);
    const m = tf.add(tf.mul(c.beta1, state.firstMoment[name]), tf.mul(c.oneMinusBeta1, dg));
    const v = tf.add(tf.mul(c.beta2, state.secondMoment[name]), tf.mul(tf.mul(c.oneMinusBeta2, dg), dg));
    const gradientSum = nextGradientSum(c, state.gradientSum[name], global.dlr, dg);
    const u = tf.div(tf.mul(global.stepScale, m), tf.add(tf.sqrt(v), epsilonTimesD));
    return [u, { firstMoment: m, secondMoment: v, gradientSum }];
  });
  return [out, { ...state, ...next }];
}
