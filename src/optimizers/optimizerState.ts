/**
 * Plain functions over a {@link TransformationState} (slot -> variable name -> tensor) that
 * the adapter needs: listing it for getWeights, parsing it back for setWeights, adding new
 * variables, and finding what a step replaced.
 */
import type * as TF from '@tensorflow/tfjs-core';
import type { NamedTensor, TensorsByName, TransformationState } from './types.js';
import { UserError } from '../util/errors.js';

/** Every tensor of `state`. */
export function stateTensors(state: TransformationState): TF.Tensor[] {
  return Object.values(state).flatMap((slot) => Object.values(slot));
}

/** The variable names present in `state`, sorted by code unit (locale-independent). */
export function stateVariableNames(state: TransformationState): string[] {
  const names = new Set<string>();
  for (const slot of Object.values(state)) for (const name of Object.keys(slot)) names.add(name);
  return [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** `<variable>/<slot>` weights, ordered by variable name, then by slot order. */
export function stateToWeights(state: TransformationState, slots: readonly string[]): NamedTensor[] {
  const weights: NamedTensor[] = [];
  for (const name of stateVariableNames(state)) {
    for (const slot of slots) {
      const tensor = state[slot]?.[name];
      if (tensor !== undefined) weights.push({ name: `${name}/${slot}`, tensor });
    }
  }
  return weights;
}

/** The inverse of {@link stateToWeights}; the tensors are used as given. */
export function weightsToState(
  weights: readonly NamedTensor[],
  slots: readonly string[],
): Record<string, Record<string, TF.Tensor>> {
  const state: Record<string, Record<string, TF.Tensor>> = {};
  for (const slot of slots) state[slot] = {};
  // Longest slot first, so `0.trace.velocity` wins over a shorter slot name it ends with.
  const bySuffix = [...slots].sort((a, b) => b.length - a.length);
  for (const { name, tensor } of weights) {
    const slot = bySuffix.find((s) => name.endsWith(`/${s}`) && name.length > s.length + 1);
    if (slot === undefined) {
      throw new UserError(
        `Cannot restore optimizer weight "${name}": expected "<variable>/<slot>" with a slot of this optimizer (${slots.join(', ') || 'it has no state'}); was it saved by a different optimizer?`,
      );
    }
    state[slot][name.slice(0, -(slot.length + 1))] = tensor;
  }
  return state;
}

/** `state` with the slots of `added` merged in (added entries win). */
export function mergeState(state: TransformationState, added: TransformationState): TransformationState {
  const merged: Record<string, TensorsByName> = { ...state };
  for (const slot of Object.keys(added)) merged[slot] = { ...state[slot], ...added[slot] };
  return merged;
}

/** `state` with variable `from` renamed `to` in every slot. */
export function renameVariable(state: TransformationState, from: string, to: string): TransformationState {
  const renamed: Record<string, TensorsByName> = {};
  for (const slot of Object.keys(state)) {
    const { [from]: tensor, ...rest } = state[slot];
    renamed[slot] = tensor === undefined ? state[slot] : { ...rest, [to]: tensor };
  }
  return renamed;
}
