import type * as TF from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { copiesOf, initSlots, scaledBy } from './perVariable.js';
import { squaredDistance, sumOfSquares } from './variableSums.js';
import {
  GLOBAL,
  type GradientTransformation,
  type StageConfig,
  type StepContext,
  type TensorsByName,
} from './types.js';

/**
 * Per variable (`initialParams`): the parameters when the optimizer first saw the variable.
 * Global ({ [GLOBAL]: scalar }): a distance estimate (slot `D`) and a sum of gradient norms
 * (slot `G`).
 */
export type DistanceOverGradientsState<D extends string, G extends string> = Readonly<
  Record<'initialParams' | D | G, TensorsByName>
>;

/** The two global scalars of a step (old or new): the distance estimate and the gradient sum. */
export interface DistanceAndGradients {
  readonly distance: TF.Tensor;
  readonly gradients: TF.Tensor;
}

/**
 * One step of the global phase: from the old scalars, |x0 - x|^2 and |g|^2 (norms over every
 * element of every variable), the new scalars and the step's one step size.
 */
export type DistanceStep = (
  old: DistanceAndGradients,
  squaredDistanceFromStart: TF.Scalar,
  gradientSquares: TF.Scalar,
  context: StepContext,
) => DistanceAndGradients & { readonly stepSize: TF.Tensor };

/**
 * The frame of the distance-over-gradients methods (DoG, DoWG): ONE step size for all
 * variables, computed in the `global` phase from how far the parameters x have moved from
 * those the optimizer first saw, x0, and multiplied into every update (u = stepSize * g).
 * The slot `slots.distance` starts at `initialDistance(params)`, `slots.gradients` at zero;
 * `step` says how they and the step size follow.
 */
export function distanceOverGradients<D extends string, G extends string>(
  config: StageConfig,
  slots: { readonly distance: D; readonly gradients: G },
  initialDistance: (params: TensorsByName) => TF.Tensor,
  step: DistanceStep,
): GradientTransformation<DistanceOverGradientsState<D, G>> {
  type State = DistanceOverGradientsState<D, G>;
  return {
    name: config.name,
    config,
    init: (params) =>
      initSlots<State>(params, {
        initialParams: () => copiesOf(params),
        [slots.distance]: () => ({ [GLOBAL]: initialDistance(params) }),
        [slots.gradients]: () => ({ [GLOBAL]: tf.scalar(0) }),
      } as { readonly [K in keyof State]: () => State[K] }),
    global(updates, state, params, context) {
      const old = { distance: state[slots.distance][GLOBAL], gradients: state[slots.gradients][GLOBAL] };
      const next = step(old, squaredDistance(state.initialParams, params), sumOfSquares(updates), context);
      return {
        values: { stepSize: next.stepSize },
        state: { [slots.distance]: { [GLOBAL]: next.distance }, [slots.gradients]: { [GLOBAL]: next.gradients } },
      };
    },
    update: (updates, state, _params, _context, global) => [scaledBy(global.stepSize, updates), state],
  };
}
