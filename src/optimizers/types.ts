/**
 * The shape every optimizer stage has, after Optax's `GradientTransformation`:
 * `init(params) -> state` and `update(updates, state, params, context) -> [updates, state]`.
 *
 * Conventions shared by all stages of inertia:
 * - Everything is keyed by VARIABLE NAME (never by list position), so the set of
 *   variables may change between steps.
 * - A state is a record of named slots (for example `velocity`), each holding one tensor
 *   per variable name. `init({})` creates no tensors and returns every slot (empty), so
 *   callers can learn the slot names; `init(params)` fills every slot for every variable.
 * - `update` returns new tensors for the slots it changes and carries the entries of
 *   variables it was not given over unchanged. It never puts an input tensor (a gradient
 *   or a parameter) into its state.
 * - The adapter calls `update` once per variable (each call sees one variable, in its own
 *   tf.tidy, as tf.train does), so stages must be element-wise per variable; a stage that
 *   needs every variable at once (global-norm clipping) is not supported by the adapter.
 * - Updates are DESCENT directions: the adapter ({@link ChainOptimizer}) applies
 *   `w -= u`. So `scaleByLearningRate(alpha)` multiplies by +alpha and a chain without it
 *   moves the weights by the raw output of its last stage.
 */
import type * as TF from '@tensorflow/tfjs';

/** Values keyed by variable name. */
export type PerVariable<T> = Readonly<Record<string, T>>;

/** A tensor per variable name: gradients, updates, parameters, one slot of a state. */
export type TensorsByName = PerVariable<TF.Tensor>;

/** A stage's state: slot name -> variable name -> tensor. */
export type TransformationState = Readonly<Record<string, TensorsByName>>;

/** A JSON value in a stage config. */
export type ConfigValue =
  number | boolean | string | null | readonly ConfigValue[] | { readonly [key: string]: ConfigValue };

/**
 * The serializable description of a stage: `name` selects the factory in the registry
 * (see registry.ts), the other fields are its arguments. String values other than
 * `name` must not contain `_` (tfjs-layers camel-cases them when it loads a model).
 */
export interface StageConfig {
  readonly name: string;
  readonly [key: string]: ConfigValue;
}

/** What the adapter tells a stage about the step being taken. */
export interface StepContext {
  /** Number of steps already applied by the optimizer (0 during the first step). */
  readonly step: number;
  /**
   * A cached scalar tensor holding `value`, owned by the optimizer: built once and rebuilt
   * only when `value` changes for the same `key`. Never dispose it.
   */
  scalar(key: string, value: number): TF.Scalar;
}

/** One stage of an optimizer chain. */
export interface GradientTransformation<S extends TransformationState = TransformationState> {
  readonly name: string;
  readonly config: StageConfig;
  init(params: TensorsByName): S;
  update(updates: TensorsByName, state: S, params: TensorsByName, context: StepContext): readonly [TensorsByName, S];
}

/** A tensor with its variable name (the array form model.fit passes to applyGradients). */
export interface NamedTensor {
  name: string;
  tensor: TF.Tensor;
}
