import * as tf from '@tensorflow/tfjs-core';
import { copiesOf, mapVariables } from './perVariable.js';
import { sumOfSquares, sumOverVariables } from './variableSums.js';
import { wrappedBase, type PrefixedStage } from './chain.js';
import { GLOBAL, type GlobalStep, type GradientTransformation, type StepContext, type TensorsByName } from './types.js';

/**
 * Per variable: the parameters when the optimizer first saw the variable (x0), then the base
 * optimizer's slots (`base.<slot>`). Global ({ [GLOBAL]: vector of numBetas }): Mechanic's
 * max |h| (m), sum of squares (v) and reward (r) per beta, and the scale per beta (s).
 */
export type MechanizeState = Readonly<Record<string, TensorsByName>>;

export interface MechanizeOptions {
  /** Mechanic's own weight decay on the gradients it sees (default 0.01; not the base's). */
  readonly weightDecay?: number;
  /** Added to norms and roots (default 1e-8). */
  readonly epsilon?: number;
  /** The initial scale, split over the betas (default 1e-6). */
  readonly sInit?: number;
  /** How many betas, 1 - 0.1^i for i = 1..numBetas (default 6). */
  readonly numBetas?: number;
}

/**
 * Mechanic (Cutkosky, Defazio & Mehta 2023), a learned scale on top of ANY base chain,
 * exactly as `optax.contrib.mechanize(base)`. With u the base chain's descent direction for
 * the raw gradient g, x0 the parameters at the first step, s the scales (one per beta
 * b_i = 1 - 0.1^i), S = sum s before the step, and the sums over every element of every
 * variable:
 *
 *     g~ = g + wd * S * |g| / (|x| + eps) * x                  (|.|: global l2 norms)
 *     D  = (x0 - x) / (S + eps);   h = sum g~ * D              (h: one number)
 *     m' = max(b m, |h| + eps);    v' = b^2 v + h^2;   r' = b r + clamp(h, -m, m) s
 *     s' = ((sInit / numBetas) m' + max(0, r')) / (sqrt(v') + eps)       (per beta)
 *     x' = x0 - sum(s') * (D + u);   the stage returns x - x' (the adapter applies w -= it)
 *
 * m, v, r start at zero, s at sInit. The base chain's learning rate sets the scale of its
 * steps that Mechanic learns to multiply: createOptimizer's `mechanic` wraps heavy-ball
 * (chain(trace(mu), scaleByLearningRate(a)), Optax's sgd with momentum); mechanize(chain(
 * scaleByAdam(), scaleByLearningRate(1))) is Mechanic over Adam. The sums and the scales are
 * taken in the `global` phase (which also runs the base's own global phase, if any).
 */
export function mechanize(
  base: GradientTransformation,
  options: MechanizeOptions = {},
): GradientTransformation<MechanizeState> {
  const settings: MechanicSettings = {
    weightDecay: options.weightDecay ?? 0.01,
    epsilon: options.epsilon ?? 1e-8,
    sInit: options.sInit ?? 1e-6,
    numBetas: options.numBetas ?? 6,
  };
  const wrapped = wrappedBase(base);
  return {
    name: 'mechanize',
    config: { name: 'mechanize', base: base.config, ...settings },
    init: (params) => initialState(params, wrapped, settings),
    global: wrapped.wrapperGlobal((updates, state, params, context) =>
      learnScale(settings, updates, state, params, context),
    ),
    update(updates, state, params, context, global) {
      const [baseUpdates, baseState] = wrapped.update(updates, state, params, context, wrapped.valuesOf(global));
      const epsilon = context.scalar('epsilon', settings.epsilon);
      const out = mapVariables(updates, (_g, name) => {
        const x = params[name];
        const x0 = state.x0[name];
        const deltaPrevious = tf.div(tf.sub(x0, x), tf.add(global.scaleSumBefore, epsilon));
        const next = tf.sub(x0, tf.mul(global.scaleSum, tf.add(deltaPrevious, baseUpdates[name])));
        return tf.sub(x, next);
      });
      return [out, { ...state, ...baseState }];
    },
  };
}

interface MechanicSettings {
  readonly weightDecay: number;
  readonly epsilon: number;
  readonly sInit: number;
  readonly numBetas: number;
}

/** x0 first (a per-variable slot: the adapter finds its variables by the first slot), the base's slots, then the per-beta vectors. */
function initialState(params: TensorsByName, wrapped: PrefixedStage, settings: MechanicSettings): MechanizeState {
  const names = Object.keys(params);
  if (names.length === 0) return { x0: {}, ...wrapped.init(params), m: {}, v: {}, r: {}, s: {} };
  return tf.tidy(() => {
    const x0 = copiesOf(params);
    const zeros = () => ({ [GLOBAL]: tf.zeros([settings.numBetas]) });
    return {
      x0,
      ...wrapped.init(params),
      m: zeros(),
      v: zeros(),
      r: zeros(),
      s: { [GLOBAL]: tf.mul(tf.ones([settings.numBetas]), tf.scalar(settings.sInit)) },
    };
  });
}

/** The global phase (after the base's): h from the decayed gradients, the new per-beta sums and scales. */
function learnScale(
  settings: MechanicSettings,
  updates: TensorsByName,
  state: MechanizeState,
  params: TensorsByName,
  context: StepContext,
): GlobalStep {
  const epsilon = context.scalar('epsilon', settings.epsilon);
  const names = Object.keys(updates);
  const [m, v, r, s] = [state.m[GLOBAL], state.v[GLOBAL], state.r[GLOBAL], state.s[GLOBAL]];
  const scaleSumBefore = tf.sum(s);
  const gradientNorm = tf.sqrt(sumOfSquares(updates));
  const paramNorm = tf.sqrt(sumOverVariables(names, (name) => tf.sum(tf.square(params[name]))));
  const decay = tf.div(
    tf.mul(tf.mul(context.scalar('weightDecay', settings.weightDecay), scaleSumBefore), gradientNorm),
    tf.add(paramNorm, epsilon),
  );
  const h = sumOverVariables(names, (name) => {
    const decayed = tf.add(updates[name], tf.mul(decay, params[name]));
    const deltaPrevious = tf.div(tf.sub(state.x0[name], params[name]), tf.add(scaleSumBefore, epsilon));
    return tf.sum(tf.mul(decayed, deltaPrevious));
  });
  const clipped = tf.minimum(tf.maximum(h, tf.neg(m)), m);
  const betas = tf.tensor1d(betaValues(settings.numBetas));
  const nextM = tf.maximum(tf.mul(betas, m), tf.add(tf.abs(h), epsilon));
  const nextV = tf.add(tf.mul(tf.square(betas), v), tf.square(h));
  const nextR = tf.add(tf.mul(betas, r), tf.mul(clipped, s));
  const wealth = tf.add(
    tf.mul(context.scalar('initialScalePerBeta', settings.sInit / settings.numBetas), nextM),
    tf.relu(nextR),
  );
  const nextS = tf.div(wealth, tf.add(tf.sqrt(nextV), epsilon));
  return {
    values: { scaleSumBefore, scaleSum: tf.sum(nextS) },
    state: {
      m: { [GLOBAL]: nextM },
      v: { [GLOBAL]: nextV },
      r: { [GLOBAL]: nextR },
      s: { [GLOBAL]: nextS },
    },
  };
}

/** b_i = 1 - 0.1^i for i = 1..n (computed in double precision, as Optax does before its cast). */
function betaValues(n: number): number[] {
  return Array.from({ length: n }, (_, i) => 1 - 0.1 ** (i + 1));
}
