import type * as TF from '@tensorflow/tfjs-core';
import { updateSlots, zeroSlots } from './perVariable.js';
import type { GradientTransformation, StageConfig, StepContext, TensorsByName } from './types.js';

/** The state of a stage with per-variable slots `K`, each keyed by variable name. */
export type SlotState<K extends string> = Readonly<Record<K, TensorsByName>>;

/** One variable's step: its update and the new value of each slot, from its gradient `g`. */
export type SlotStep<K extends string> = (
  g: TF.Tensor,
  name: string,
) => readonly [TF.Tensor, Readonly<Record<K, TF.Tensor>>];

/**
 * A stage whose state is the per-variable slots `slots`, every one starting at zero, named by
 * `config.name`. Once per step, `stepOf(state, context)` builds the step's scalars and returns
 * the per-variable step; the slots of variables not in the step's updates are carried over.
 */
export function slotStage<K extends string>(
  config: StageConfig,
  slots: readonly K[],
  stepOf: (state: SlotState<K>, context: StepContext) => SlotStep<K>,
): GradientTransformation<SlotState<K>> {
  return {
    name: config.name,
    config,
    init: (params) => zeroSlots(params, ...slots),
    update: (updates, state, _params, context) => updateSlots(updates, state, slots, stepOf(state, context)),
  };
}
