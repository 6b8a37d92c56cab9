import type * as TF from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { copiesOf, mapVariables, updateSlots } from './perVariable.js';
import { learningRateConfig, rateScalar, type LearningRate } from './learningRate.js';
import { wrappedBase, type PrefixedStage } from './chain.js';
import { GLOBAL, type GlobalStep, type GradientTransformation, type StepContext, type TensorsByName } from './types.js';

/**
 * Per variable: the base optimizer's iterate z, then the base's slots (`base.<slot>`).
 * Global ({ [GLOBAL]: scalar }): the largest rate so far and the sum of the averaging weights.
 */
export type ScheduleFreeState = Readonly<Record<string, TensorsByName>>;

export interface ScheduleFreeOptions {
  /** The rate (or schedule) of the base steps, which also weights the average (required). */
  readonly learningRate: LearningRate;
  /** The interpolation between x and z at which gradients are taken (default 0.9; must be > 0). */
  readonly beta?: number;
  /** The average weights the steps by (largest rate so far)^weightLrPower (default 2). */
  readonly weightLrPower?: number;
}

/** The evaluation point of schedule-free stages, as run records name it. */
const EVALUATION_POINT = 'schedule-free x';

/**
 * Schedule-Free learning (Defazio, Yang, Mehta, Mishchenko, Khaled & Cutkosky 2024), which
 * replaces momentum by averaging, exactly as `optax.contrib.schedule_free(base, ...)`; over
 * chain(scaleByLearningRate(a)) it is `optax.contrib.schedule_free_sgd` without warm-up or
 * weight decay. The variables hold y, the point where gradients are taken; z is the base's
 * iterate and x the average, at which the model is evaluated ({@link evaluationParams}):
 *
 *     x = (y - (1 - beta) z) / beta                       (recomputed from y and the old z)
 *     z' = z - u                                          (u: the base's descent direction)
 *     L = max(L, a_t);  w = L^p;  c = w / (W + w);  W' = W + w      (one number each)
 *     x' = (1 - c) x + c z';   y' = beta x' + (1 - beta) z'
 *
 * and the stage returns y - y' (the adapter applies w -= it). z starts at the parameters,
 * L and W at zero, so the first step sets x' = z'. a_t is the rate of the schedule after
 * t + 1 steps (Optax's step count starts at 1 here, at 0 in the base's own rate).
 */
export function scheduleFree(
  base: GradientTransformation,
  options: ScheduleFreeOptions,
): GradientTransformation<ScheduleFreeState> {
  const settings: ScheduleFreeSettings = {
    learningRate: options.learningRate,
    beta: options.beta ?? 0.9,
    weightLrPower: options.weightLrPower ?? 2,
  };
  const wrapped = wrappedBase(base);
  return {
    name: 'scheduleFree',
    config: {
      name: 'scheduleFree',
      base: base.config,
      ...settings,
      learningRate: learningRateConfig(settings.learningRate),
    },
    evaluationPoint: EVALUATION_POINT,
    init: (params) => initialState(params, wrapped),
    global: wrapped.wrapperGlobal((_updates, state, _params, context) => averageWeight(settings, state, context)),
    update(updates, state, params, context, global) {
      const [baseUpdates, baseState] = wrapped.update(updates, state, params, context, wrapped.valuesOf(global));
      const c = interpolation(settings, context);
      const oneMinusWeight = tf.sub(c.one, global.averageWeight);
      const [out, next] = updateSlots(updates, state, ['iterate'], (_g, name) => {
        const y = params[name];
        const z = tf.sub(state.iterate[name], baseUpdates[name]);
        const x = tf.add(
          tf.mul(oneMinusWeight, averagePoint(c, y, state.iterate[name])),
          tf.mul(global.averageWeight, z),
        );
        return [tf.sub(y, tf.add(tf.mul(c.beta, x), tf.mul(c.oneMinusBeta, z))), { iterate: z }];
      });
      return [out, { ...state, ...baseState, ...next }];
    },
    evaluationParams(state, params) {
      // Outside a step there is no step context: scalars freed here. Optax's
      // schedule_free_eval_params reads beta from its float32 state, so 1 - beta is a float32
      // difference here (the step itself takes 1 - beta in double precision).
      const beta = Math.fround(settings.beta);
      const c = { beta: tf.scalar(beta), oneMinusBeta: tf.scalar(Math.fround(1 - beta)) };
      const x = mapVariables(params, (y, name) => averagePoint(c, y, state.iterate[name]));
      tf.dispose([c.beta, c.oneMinusBeta]);
      return x;
    },
  };
}

interface ScheduleFreeSettings {
  readonly learningRate: LearningRate;
  readonly beta: number;
  readonly weightLrPower: number;
}

/** The step's scalars: beta and 1 - beta in double precision, then float32, as Optax's Python floats. */
function interpolation(settings: ScheduleFreeSettings, context: StepContext) {
  return {
    one: context.scalar('one', 1),
    beta: context.scalar('beta', settings.beta),
    oneMinusBeta: context.scalar('oneMinusBeta', 1 - settings.beta),
  };
}

/** x = (y - (1 - beta) z) / beta. */
function averagePoint(c: { beta: TF.Tensor; oneMinusBeta: TF.Tensor }, y: TF.Tensor, z: TF.Tensor): TF.Tensor {
  return tf.div(tf.sub(y, tf.mul(c.oneMinusBeta, z)), c.beta);
}

/** z first (a per-variable slot: the adapter finds its variables by the first slot), the base's slots, then L and W. */
function initialState(params: TensorsByName, wrapped: PrefixedStage): ScheduleFreeState {
  const names = Object.keys(params);
  if (names.length === 0) return { iterate: {}, ...wrapped.init(params), maxLearningRate: {}, weightSum: {} };
  return tf.tidy(() => ({
    iterate: copiesOf(params),
    ...wrapped.init(params),
    maxLearningRate: { [GLOBAL]: tf.scalar(0) },
    weightSum: { [GLOBAL]: tf.scalar(0) },
  }));
}

/**
 * The global phase: the step's averaging weight c = w / (W + w), w = L^p (NaN when w or W + w
 * is NaN, 0 when w / (W + w) alone is, as Optax guards a tiny rate); it runs after the base's own phase.
 */
function averageWeight(settings: ScheduleFreeSettings, state: ScheduleFreeState, context: StepContext): GlobalStep {
  // The rate after t + 1 steps: Optax's count starts at 1 here.
  const rate = rateScalar(context, 'learningRate', settings.learningRate, 1);
  const maxLearningRate = tf.maximum(state.maxLearningRate[GLOBAL], rate);
  const weight = tf.pow(maxLearningRate, context.scalar('weightLrPower', settings.weightLrPower));
  const weightSum = tf.add(state.weightSum[GLOBAL], weight);
  const ratio = tf.div(weight, weightSum);
  const averageWeight = tf.where(
    tf.logicalOr(tf.isNaN(weight), tf.isNaN(weightSum)),
    tf.fill([], NaN),
    tf.where(tf.isNaN(ratio), tf.zerosLike(ratio), ratio),
  );
  return {
    values: { averageWeight },
    state: {
      maxLearningRate: { [GLOBAL]: maxLearningRate },
      weightSum: { [GLOBAL]: weightSum },
    },
  };
}
