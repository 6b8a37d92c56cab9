/**
 * The per-variable loops of the stages: a tensor for each variable of a record, a stage's
 * `update` that computes each variable's update and new slot values from its gradient, and
 * the initial states of stages (slots of zeros, or one builder per slot with global entries).
 * Call them inside tf.tidy (the adapter's step is one) and keep or return what they build.
 */
import type * as TF from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import type { TensorsByName, TransformationState } from './types.js';

/** `f(tensor, name)` for each variable of `tensors`, under the same names. */
export function mapVariables(
  tensors: TensorsByName,
  f: (tensor: TF.Tensor, name: string) => TF.Tensor,
): Record<string, TF.Tensor> {
  const out: Record<string, TF.Tensor> = {};
  for (const name of Object.keys(tensors)) out[name] = f(tensors[name], name);
  return out;
}

/** A zero tensor shaped like each parameter. */
export function zerosFor(params: TensorsByName): Record<string, TF.Tensor> {
  return mapVariables(params, (param) => tf.zerosLike(param));
}

/** A state whose slots `slots` all start at zero for every variable (built in one tf.tidy). */
export function zeroSlots<K extends string>(
  params: TensorsByName,
  ...slots: K[]
): Record<K, Record<string, TF.Tensor>> {
  return tf.tidy(() => {
    const state: Record<string, Record<string, TF.Tensor>> = {};
    for (const slot of slots) state[slot] = zerosFor(params);
    return state as Record<K, Record<string, TF.Tensor>>;
  });
}

/** A copy of each parameter. */
export function copiesOf(params: TensorsByName): Record<string, TF.Tensor> {
  return mapVariables(params, (param) => tf.clone(param));
}

/** Every update times the step's one step size. */
export function scaledBy(stepSize: TF.Tensor, updates: TensorsByName): Record<string, TF.Tensor> {
  return mapVariables(updates, (update) => tf.mul(stepSize, update));
}

/**
 * The per-variable `update` of a stage with the slots `slots`: for each variable of `updates`,
 * `step(g, name)` returns its update and the new value of each slot (reading the old ones
 * from `state`). The slots' entries of variables not in `updates` are carried over. Returns
 * the updates and the new slots, in the order of `slots`.
 */
export function updateSlots<K extends string>(
  updates: TensorsByName,
  state: Readonly<Record<K, TensorsByName>>,
  slots: readonly K[],
  step: (g: TF.Tensor, name: string) => readonly [TF.Tensor, Readonly<Record<K, TF.Tensor>>],
): [Record<string, TF.Tensor>, Record<K, Record<string, TF.Tensor>>] {
  const next: Record<string, Record<string, TF.Tensor>> = {};
  for (const slot of slots) next[slot] = { ...state[slot] };
  const out: Record<string, TF.Tensor> = {};
  for (const name of Object.keys(updates)) {
    const [update, values] = step(updates[name], name);
    for (const slot of slots) next[slot][name] = values[slot];
    out[name] = update;
  }
  return [out, next as Record<K, Record<string, TF.Tensor>>];
}

/**
 * The initial state of a stage with global entries, one builder per slot, in slot order. The
 * global entries exist only once there are variables, so `init({})` gets every slot empty and
 * runs no builder; otherwise the builders run inside one tf.tidy.
 */
export function initSlots<S extends TransformationState>(
  params: TensorsByName,
  builders: { readonly [K in keyof S]: () => S[K] },
): S {
  const slots = Object.keys(builders) as (keyof S & string)[];
  const empty = Object.keys(params).length === 0;
  const build = () => {
    const state: Record<string, TensorsByName> = {};
    for (const slot of slots) state[slot] = empty ? {} : builders[slot]();
    return state;
  };
  return (empty ? build() : tf.tidy(build)) as S;
}
