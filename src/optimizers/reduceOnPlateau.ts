import type * as TF from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { initSlots, scaledBy } from './perVariable.js';
import { requireLoss } from './stepLoss.js';
import { GLOBAL, type GradientTransformation, type StepContext, type TensorsByName } from './types.js';

/** One value for all variables in each slot ({ [GLOBAL]: scalar }), as Optax's ReduceLROnPlateauState. */
export type ReduceOnPlateauState = {
  readonly scale: TensorsByName;
  readonly bestValue: TensorsByName;
  readonly plateauCount: TensorsByName;
  readonly cooldownCount: TensorsByName;
  readonly count: TensorsByName;
  readonly averageValue: TensorsByName;
};

export interface ReduceOnPlateauOptions {
  /** The scale is multiplied by this on a plateau, 0 < factor < 1 (default 0.1). */
  readonly factor?: number;
  /** Evaluations without improvement that make a plateau, an integer >= 1 (default 10). */
  readonly patience?: number;
  /** Relative tolerance of an improvement, 0 <= rtol <= 1 (default 1e-4). */
  readonly rtol?: number;
  /** Absolute tolerance of an improvement, >= 0 (default 0; rtol and atol are not both 0). */
  readonly atol?: number;
  /** Evaluations after a reduction during which plateaus are not counted, an integer >= 0 (default 0). */
  readonly cooldown?: number;
  /** Loss values averaged into one evaluation, an integer >= 1 (default 1). */
  readonly accumulationSize?: number;
  /** The scale never goes below this, >= 0 (default 0). */
  readonly minScale?: number;
}

/**
 * Scales the updates down when the loss stops improving: `optax.contrib.reduce_on_plateau`,
 * operation for operation in float32. f is the step's loss (applyGradients(g, { loss }) or
 * minimize(f), as for momo and polyak); every `accumulationSize` steps the mean of their
 * losses is one evaluation a:
 *
 *     improved = a < (1 - rtol) best - atol;   best = improved ? a : best   (best starts at +inf)
 *     plateau  = improved ? 0 : plateau + 1
 *     in cooldown (cooldownCount > 0):  plateau = 0; cooldownCount -= 1
 *     otherwise, when plateau = patience: scale = max(scale factor, minScale); plateau = 0;
 *                                         cooldownCount = cooldown
 *                (else cooldownCount = 0; scale = max(scale, minScale))
 *     u = scale g                                                        (scale starts at 1)
 *
 * Chain it after the optimizer's stages (its scale multiplies the final updates, as a rate
 * would). All six values are global scalars; counts are held as float32 integers.
 */
export function reduceOnPlateau(options: ReduceOnPlateauOptions = {}): GradientTransformation<ReduceOnPlateauState> {
  const factor = options.factor ?? 0.1;
  const patience = options.patience ?? 10;
  const rtol = options.rtol ?? 1e-4;
  const atol = options.atol ?? 0;
  const cooldown = options.cooldown ?? 0;
  const accumulationSize = options.accumulationSize ?? 1;
  const minScale = options.minScale ?? 0;
  return {
    name: 'reduceOnPlateau',
    config: { name: 'reduceOnPlateau', factor, patience, rtol, atol, cooldown, accumulationSize, minScale },
    init: (params) =>
      initSlots<ReduceOnPlateauState>(params, {
        scale: () => ({ [GLOBAL]: tf.scalar(1) }),
        bestValue: () => ({ [GLOBAL]: tf.scalar(Infinity) }),
        plateauCount: () => ({ [GLOBAL]: tf.scalar(0) }),
        cooldownCount: () => ({ [GLOBAL]: tf.scalar(0) }),
        count: () => ({ [GLOBAL]: tf.scalar(0) }),
        averageValue: () => ({ [GLOBAL]: tf.scalar(0) }),
      }),
    global(_updates, state, _params, context) {
      const c = constants(context, { factor, patience, rtol, atol, cooldown, accumulationSize, minScale });
      const value = requireLoss(context, 'reduceOnPlateau');
      const at = (slot: keyof ReduceOnPlateauState) => state[slot][GLOBAL];
      const count = tf.add(at('count'), c.one);
      const average = tf.div(tf.add(tf.mul(at('count'), at('averageValue')), value), count);
      // The plateau logic on (average, count), used when count reaches accumulationSize.
      const improved = tf.less(average, tf.sub(tf.mul(c.oneMinusRtol, at('bestValue')), c.atol));
      const best = tf.where(improved, average, at('bestValue'));
      const plateau = tf.where(improved, c.zero, tf.add(at('plateauCount'), c.one));
      const inCooldown = tf.greater(at('cooldownCount'), c.zero);
      const reached = tf.equal(plateau, c.patience);
      const reduced = tf.maximum(tf.where(reached, tf.mul(at('scale'), c.factor), at('scale')), c.minScale);
      const next = {
        plateauCount: tf.where(inCooldown, c.zero, tf.where(reached, c.zero, plateau)),
        scale: tf.where(inCooldown, at('scale'), reduced),
        cooldownCount: tf.where(inCooldown, tf.sub(at('cooldownCount'), c.one), tf.where(reached, c.cooldown, c.zero)),
      };
      const evaluate = tf.equal(count, c.accumulationSize);
      const pick = (evaluated: TF.Tensor, accumulating: TF.Tensor) => ({
        [GLOBAL]: tf.where(evaluate, evaluated, accumulating),
      });
      const scale = pick(next.scale, at('scale'));
      return {
        values: { scale: scale[GLOBAL] },
        state: {
          scale,
          bestValue: pick(best, at('bestValue')),
          plateauCount: pick(next.plateauCount, at('plateauCount')),
          cooldownCount: pick(next.cooldownCount, at('cooldownCount')),
          count: pick(c.zero, count),
          averageValue: pick(c.zero, average),
        },
      };
    },
    update: (updates, state, _params, _context, global) => [scaledBy(global.scale, updates), state],
  };
}

/** The stage's numbers as float32 scalars, as Optax's weakly typed Python floats become. */
function constants(context: StepContext, o: Required<ReduceOnPlateauOptions>) {
  const scalar = (key: string, value: number) => context.scalar(key, Math.fround(value));
  return {
    zero: scalar('zero', 0),
    one: scalar('one', 1),
    oneMinusRtol: scalar('oneMinusRtol', 1 - o.rtol),
    atol: scalar('atol', o.atol),
    factor: scalar('factor', o.factor),
    patience: scalar('patience', o.patience),
    cooldown: scalar('cooldown', o.cooldown),
    accumulationSize: scalar('accumulationSize', o.accumulationSize),
    minScale: scalar('minScale', o.minScale),
  };
}
