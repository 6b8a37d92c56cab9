import * as tf from '@tensorflow/tfjs-core';
import { slotStage } from './slotStage.js';
import type { GradientTransformation, TensorsByName } from './types.js';

/** The exponential moving average of the gradient, per variable. */
export type EmaState = {
  readonly velocity: TensorsByName;
};

export interface EmaOptions {
  /** Divide the average by 1 - beta^t (Optax's `debias`, default false). */
  readonly debias?: boolean;
}

/**
 * Exponential moving average of the updates (Optax `ema`), the momentum "with its own
 * inertia" of the question:
 *
 *     v = beta * v + (1 - beta) * g     (v starts at zero; t = steps taken + 1)
 *     u = v                             (debias: u = v / (1 - beta^t))
 *
 * No learning rate here: chain(ema(beta), scaleByLearningRate(alpha)) is
 * w -= alpha * v; chain(ema(beta)) alone is the question's w -= v, and
 * chain(ema(beta, { debias: true })) is that proposal with Adam's bias correction, Optax's
 * `chain(ema(beta, debias=True), scale(-1))`. The correction is computed as Optax computes
 * it in float32 ({@link float32BiasCorrection}) and reaches the tensors through
 * StepContext.scalar. `decay` satisfies 0 <= decay < 1 (checked by createOptimizer and
 * stageFromConfig, not here). Costs 3 kernels per variable (4 with debias).
 */
export function ema(decay: number, options: EmaOptions = {}): GradientTransformation<EmaState> {
  const debias = options.debias ?? false;
  return slotStage({ name: 'ema', decay, debias }, ['velocity'], (state, context) => {
    const beta = context.scalar('decay', decay);
    const oneMinusBeta = context.scalar('oneMinusDecay', 1 - decay);
    // Without debias the step counter is not read, so a compiled step needs no per-step scalars.
    const correction = debias ? context.scalar('biasCorrection', float32BiasCorrection(decay, context.step + 1)) : null;
    return (g, name) => {
      const v = tf.add(tf.mul(beta, state.velocity[name]), tf.mul(oneMinusBeta, g));
      return [correction === null ? v : tf.div(v, correction), { velocity: v }];
    };
  });
}

/**
 * 1 - beta^t as Optax's `bias_correction` computes it in float32: beta rounded to float32,
 * its power rounded to float32, the difference rounded to float32. (1 - beta^t in double
 * precision differs by up to 1e-5 relative for beta near 1 at the first steps.)
 */
function float32BiasCorrection(beta: number, t: number): number {
  return Math.fround(1 - Math.fround(Math.fround(beta) ** t));
}
