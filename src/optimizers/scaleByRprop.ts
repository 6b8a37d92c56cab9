import * as tf from '@tensorflow/tfjs-core';
import { mapVariables, updateSlots, zerosFor } from './perVariable.js';
import type { GradientTransformation, TensorsByName } from './types.js';

/** Rprop's step size per weight, and the signed step it stored at the last step. */
export type ScaleByRpropState = {
  readonly stepSizes: TensorsByName;
  readonly previousUpdates: TensorsByName;
};

export interface ScaleByRpropOptions {
  /** The step size every weight starts with (Optax's `learning_rate`), > 0. */
  readonly initialStep: number;
  /** Factor applied to a step when its gradient changes sign (default 0.5), 0 < etaMinus < 1. */
  readonly etaMinus?: number;
  /** Factor applied to a step when its gradient keeps its sign (default 1.2), > 1. */
  readonly etaPlus?: number;
  /** Smallest step size (default 1e-6), >= 0. */
  readonly minStep?: number;
  /** Largest step size (default 50), >= minStep. */
  readonly maxStep?: number;
}

/**
 * Rprop (Riedmiller & Braun 1993), exactly as Optax `scale_by_rprop`: a step size per weight
 * that adapts to the signs of the gradient alone. With p the signed step stored at the last
 * step (zero at first) and s = g * p:
 *
 *     step = step                                           where s == 0
 *            clip(step * (s > 0 ? etaPlus : etaMinus), minStep, maxStep)   elsewhere
 *     p'   = s < 0 ? 0 : step * sign(g)
 *     u    = s < 0 ? 0 : p                                  (p as stored at the last step)
 *
 * Note the last line, which is Optax's (0.2.8): the step applied is the one stored at the
 * previous step, so the first step moves nothing and every later step moves by the previous
 * step's signed size, unless the gradient changed sign. The adapter applies w -= u, which is
 * `optax.rprop` (= this stage followed by scale(-1)). No learning rate after it: the initial
 * step is the rate. Costs about 29 kernels per variable (the selects broadcast their scalars).
 */
export function scaleByRprop(options: ScaleByRpropOptions): GradientTransformation<ScaleByRpropState> {
  const settings = {
    initialStep: options.initialStep,
    etaMinus: options.etaMinus ?? 0.5,
    etaPlus: options.etaPlus ?? 1.2,
    minStep: options.minStep ?? 1e-6,
    maxStep: options.maxStep ?? 50,
  };
  return {
    name: 'scaleByRprop',
    config: { name: 'scaleByRprop', ...settings },
    init: (params) =>
      tf.tidy(() => ({
        stepSizes: mapVariables(params, (param) => tf.fill(param.shape, settings.initialStep)),
        previousUpdates: zerosFor(params),
      })),
    update(updates, state, _params, context) {
      const etaPlus = context.scalar('etaPlus', settings.etaPlus);
      const etaMinus = context.scalar('etaMinus', settings.etaMinus);
      const minStep = context.scalar('minStep', settings.minStep);
      const maxStep = context.scalar('maxStep', settings.maxStep);
      const zero = context.scalar('zero', 0);
      return updateSlots(updates, state, ['stepSizes', 'previousUpdates'], (g, name) => {
        const previous = state.previousUpdates[name];
        const agreement = tf.mul(g, previous);
        const flipped = tf.less(agreement, zero);
        const factor = tf.where(tf.greater(agreement, zero), etaPlus, etaMinus);
        const adapted = tf.minimum(tf.maximum(tf.mul(state.stepSizes[name], factor), minStep), maxStep);
        const step = tf.where(tf.equal(agreement, zero), state.stepSizes[name], adapted);
        const nextPrevious = tf.where(flipped, tf.zerosLike(g), tf.mul(step, tf.sign(g)));
        return [
          tf.where(flipped, tf.zerosLike(previous), previous),
          { stepSizes: step, previousUpdates: nextPrevious },
        ];
      });
    },
  };
}
