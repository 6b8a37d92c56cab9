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
 *   tf.tidy, as tf.train does). A stage that needs every variable at once (the sum of g^2
 *   over all weights, Prodigy's distance estimate) adds the optional `global` phase: the
 *   adapter calls it ONCE per step, before any `update`, with every variable's inputs to
 *   the stage, and hands what it returns to every `update` call of that step (see
 *   {@link GlobalStep}).
 * - A slot may hold one value for all variables instead of one per variable: its entry under
 *   the reserved key {@link GLOBAL} (for example Prodigy's `distance` is `{ [GLOBAL]: d }`).
 *   `init(params)` with at least one variable creates the global entries too; the adapter
 *   keeps the existing ones when variables are added later. Only the `global` phase changes
 *   them; `update` sees them as they were before the step and carries them over. They are
 *   saved and restored like the rest (`#global/<slot>` weights).
 * - Updates are DESCENT directions: the adapter ({@link ChainOptimizer}) applies
 *   `w -= u`. So `scaleByLearningRate(alpha)` multiplies by +alpha and a chain without it
 *   moves the weights by the raw output of its last stage.
 */
import type * as TF from '@tensorflow/tfjs-core';

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

/**
 * The reserved key of a slot's one value for all variables; the adapter refuses a variable
 * of that name.
 */
export const GLOBAL = '#global';

/** What the adapter tells a stage about the step being taken. */
export interface StepContext {
  /** Number of steps already applied by the optimizer (0 during the first step). */
  readonly step: number;
  /**
   * A cached scalar tensor holding `value`, owned by the optimizer: built once and rebuilt
   * only when `value` changes for the same `key`. Never dispose it. Every step-dependent
   * number (learning rate, bias corrections) reaches the tensors through here.
   */
  scalar(key: string, value: number): TF.Scalar;
  /**
   * The loss value of the step as a scalar tensor (what `applyGradients(g, { loss })` or
   * `minimize(f)` passed), or null when the caller gave none. Owned by the caller or the
   * optimizer: never dispose it. A stage that needs it reads it with `requireLoss` (stepLoss.ts).
   */
  readonly loss: TF.Scalar | null;
}

/** Scalars a `global` phase computed for this step, by key (e.g. polyak's `stepSize`). */
export type GlobalValues = Readonly<Record<string, TF.Tensor>>;

/** What a stage's `global` phase returns for one step. */
export interface GlobalStep {
  /** Handed to every `update` call of the step (as its `global` argument). */
  readonly values: GlobalValues;
  /**
   * The new global entries: slot -> `{ [GLOBAL]: tensor }`, only for slots with one. The
   * adapter stores them after the step's updates (so `update` sees the old ones).
   */
  readonly state: TransformationState;
}

/** One stage of an optimizer chain. */
export interface GradientTransformation<S extends TransformationState = TransformationState> {
  readonly name: string;
  readonly config: StageConfig;
  init(params: TensorsByName): S;
  /**
   * Optional: once per step, before any `update`, with the stage's inputs for EVERY
   * variable of the step, the whole state and every parameter. Must not keep its inputs.
   */
  global?(updates: TensorsByName, state: S, params: TensorsByName, context: StepContext): GlobalStep;
  /**
   * Optional, for stages whose variables are not the point the model should be evaluated at
   * (schedule-free: the variables hold the gradient point y, the model is evaluated at x):
   * that point for each variable given, as new tensors, from the state and the variables.
   */
  evaluationParams?(state: S, params: TensorsByName): TensorsByName;
  /** What {@link evaluationParams} returns, in a few words for run records (e.g. `schedule-free x`). */
  readonly evaluationPoint?: string;
  /** `global`: what this stage's `global` phase returned this step (`{}` when it has none). */
  update(
    updates: TensorsByName,
    state: S,
    params: TensorsByName,
    context: StepContext,
    global: GlobalValues,
  ): readonly [TensorsByName, S];
}

/** What `applyGradients(gradients, options)` takes besides the gradients. */
export interface ApplyGradientsOptions {
  /** The loss value of the step (a number or a scalar tensor): stages such as polyak need it. */
  readonly loss?: number | TF.Tensor;
}

/** A tensor with its variable name (the array form model.fit passes to applyGradients). */
export interface NamedTensor {
  name: string;
  tensor: TF.Tensor;
}
