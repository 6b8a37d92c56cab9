import { ChildContexts } from './chain.js';
import type {
  GlobalStep,
  GlobalValues,
  GradientTransformation,
  StepContext,
  TensorsByName,
  TransformationState,
} from './types.js';

const PREFIX = 'base.';
const NO_VALUES: GlobalValues = Object.freeze({});

/**
 * The base optimizer inside a wrapper stage (mechanize, scheduleFree: Optax's wrappers that
 * take a `base_optimizer`). Its slots sit in the wrapper's state as `base.<slot>`, its scalar
 * keys and global values under `base.` too; the wrapper's `global` phase runs the base's
 * (when it has one) on the raw gradients, and its `update` runs the base's update with them.
 */
export class WrappedBase {
  private readonly slots: readonly string[];
  private readonly contexts = new ChildContexts([PREFIX]);
  private lastValues: GlobalValues | null = null;
  private ownValues: GlobalValues = NO_VALUES;

  constructor(readonly transformation: GradientTransformation) {
    this.slots = Object.keys(transformation.init({}));
  }

  /** The base's initial state, its slots renamed `base.<slot>`. */
  init(params: TensorsByName): Record<string, TensorsByName> {
    const state = this.transformation.init(params);
    const renamed: Record<string, TensorsByName> = {};
    for (const slot of this.slots) renamed[PREFIX + slot] = state[slot];
    return renamed;
  }

  /** The base's global phase on the raw gradients, its values and slots under `base.`; empty when it has none. */
  global(updates: TensorsByName, state: TransformationState, params: TensorsByName, context: StepContext): GlobalStep {
    if (this.transformation.global === undefined) return { values: NO_VALUES, state: {} };
    const step = this.transformation.global(updates, this.stateOf(state), params, this.context(context));
    const values: Record<string, GlobalValues[string]> = {};
    for (const key of Object.keys(step.values)) values[PREFIX + key] = step.values[key];
    const next: Record<string, TensorsByName> = {};
    for (const slot of Object.keys(step.state)) next[PREFIX + slot] = step.state[slot];
    return { values, state: next };
  }

  /** The base's descent direction for `updates`, and its new slots under `base.`. */
  update(
    updates: TensorsByName,
    state: TransformationState,
    params: TensorsByName,
    context: StepContext,
    global: GlobalValues,
  ): [TensorsByName, Record<string, TensorsByName>] {
    const [out, next] = this.transformation.update(
      updates,
      this.stateOf(state),
      params,
      this.context(context),
      this.valuesOf(global),
    );
    const renamed: Record<string, TensorsByName> = {};
    for (const slot of this.slots) renamed[PREFIX + slot] = next[slot];
    return [out, renamed];
  }

  private stateOf(state: TransformationState): TransformationState {
    const own: Record<string, TensorsByName> = {};
    for (const slot of this.slots) own[slot] = state[PREFIX + slot];
    return own;
  }

  private context(parent: StepContext): StepContext {
    return this.contexts.of(parent)[0];
  }

  /** The base's own values out of the wrapper's; computed once per step. */
  private valuesOf(global: GlobalValues): GlobalValues {
    if (global === this.lastValues) return this.ownValues;
    this.lastValues = global;
    const own: Record<string, GlobalValues[string]> = {};
    for (const key of Object.keys(global)) if (key.startsWith(PREFIX)) own[key.slice(PREFIX.length)] = global[key];
    this.ownValues = own;
    return own;
  }
}
