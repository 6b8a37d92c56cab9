import * as tf from '@tensorflow/tfjs-core';
import { NO_VALUES, PrefixedStage } from './chain.js';
import { mapVariables, zerosFor } from './perVariable.js';
import type { GlobalStep, GradientTransformation, StepContext, TensorsByName, TransformationState } from './types.js';

/** The running mean of the micro-steps' updates, then the inner stage's slots as `inner.<slot>`. */
export type MultiStepsState = TransformationState;

/**
 * Gradient accumulation (Optax `MultiSteps` with `use_grad_mean`): the optimizer's steps are
 * micro-steps, and every `everyK`-th one applies `inner` to the mean of the last `everyK`
 * updates. With t the steps already taken, n = t mod everyK the micro-step and
 * a the accumulator (starts at zero):
 *
 *     a = a + (g - a) / (n + 1)               (the running mean of the micro-steps' g)
 *     u = 0                                   when n < everyK - 1 (the weights do not move)
 *     u = inner(a); a = 0                     when n = everyK - 1
 *
 * `inner` sees its own step count floor(t / everyK) (the number of updates it has applied),
 * so its schedules and bias corrections count applied updates, as in Optax; its state changes
 * only on the applying micro-steps. Its scalar keys are prefixed `inner.`, its slots too.
 * An inner `global` phase (clipByGlobalNorm, prodigy) runs on the applying micro-steps over the
 * accumulated means; an inner stage that reads the step's loss sees the last micro-step's.
 * `everyK` is a positive integer (1: `inner` alone, plus the accumulator).
 * The two kinds of micro-step ask for differently named scalars, so a compiled step keeps one
 * function for each.
 */
export function multiSteps(inner: GradientTransformation, everyK: number): GradientTransformation<MultiStepsState> {
  // The inner stage counts the updates it applied: floor(t / everyK).
  const prefixed = new PrefixedStage(inner, 'inner.', (step) => Math.floor(step / everyK));
  const isApplying = (step: number) => step % everyK === everyK - 1;

  /** a + (g - a) / (n + 1) for every variable of `updates`. */
  const means = (updates: TensorsByName, accumulated: TensorsByName, context: StepContext, applying: boolean) => {
    const count = context.scalar(applying ? 'appliedCount' : 'count', (context.step % everyK) + 1);
    return mapVariables(updates, (g, name) => {
      const a = accumulated[name];
      return tf.add(a, tf.div(tf.sub(g, a), count));
    });
  };

  const transformation: GradientTransformation<MultiStepsState> = {
    name: 'multiSteps',
    config: { name: 'multiSteps', everyK, inner: inner.config },
    init(params) {
      const accumulated = tf.tidy(() => zerosFor(params));
      return { accumulated, ...prefixed.init(params) };
    },
    update(updates, state, params, context, global) {
      const applying = isApplying(context.step);
      const mean = means(updates, state.accumulated, context, applying);
      if (!applying) {
        return [zerosFor(updates), { ...state, accumulated: { ...state.accumulated, ...mean } }];
      }
      const [out, next] = prefixed.update(mean, state, params, context, global);
      return [out, { accumulated: { ...state.accumulated, ...zerosFor(mean) }, ...next }];
    },
  };
  if (inner.global === undefined) return transformation;
  return {
    ...transformation,
    global(updates, state, params, context): GlobalStep {
      const applying = isApplying(context.step);
      if (!applying) return { values: NO_VALUES, state: {} };
      const mean = means(updates, state.accumulated, context, applying);
      const step = prefixed.ownGlobal(mean, state, params, context) ?? { values: NO_VALUES, state: {} };
      return { values: step.values, state: prefixed.renamed(step.state) };
    },
  };
}
