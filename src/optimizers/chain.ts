import type {
  GlobalStep,
  GlobalValues,
  GradientTransformation,
  StepContext,
  TensorsByName,
  TransformationState,
} from './types.js';

/**
 * The state of a chain: every stage's slots, each renamed `<index>.<stage name>.<slot>`
 * (for example `0.trace.velocity`), still keyed by variable name (or GLOBAL) inside.
 */
export type ChainState = TransformationState;

/** A stage's `global` phase. */
type GlobalPhase = (
  updates: TensorsByName,
  state: TransformationState,
  params: TensorsByName,
  context: StepContext,
) => GlobalStep;

/** No global values: what a stage without a global phase hands its `update`. */
export const NO_VALUES: GlobalValues = Object.freeze({});

/**
 * Applies the stages in order, each feeding its updates to the next (Optax `chain`):
 * chain(trace(0.9), scaleByLearningRate(0.1)) is heavy-ball momentum,
 * chain(scaleByLearningRate(0.1), trace(0.9)) the Keras convention. The chain adds no
 * math, no learning rate and no buffer of its own.
 *
 * The chain has a `global` phase when one of its stages has one. It runs the stages' global
 * phases in chain order over every variable; a stage placed after the first global stage
 * needs its inputs for every variable, so the stages before it are evaluated over every
 * variable for that phase too (and again, variable by variable, in `update`): put the
 * global stages first when that cost matters. Values are keyed `<index>.<stage name>.<key>`.
 */
export function chain(...stages: GradientTransformation[]): GradientTransformation<ChainState> {
  const layout = new ChainLayout(stages);
  const transformation: GradientTransformation<ChainState> = {
    name: 'chain',
    config: { name: 'chain', stages: stages.map((stage) => stage.config) },
    init: (params) => layout.init(params),
    update: (updates, state, params, context, global = NO_VALUES) =>
      layout.update(updates, state, params, context, global),
  };
  const evaluationPoint = layout.evaluationPoint();
  return {
    ...transformation,
    ...(layout.lastGlobal < 0
      ? {}
      : { global: (updates, state, params, context) => layout.global(updates, state, params, context) }),
    ...(evaluationPoint === null
      ? {}
      : { evaluationPoint, evaluationParams: (state, params) => layout.evaluationParams(state, params) }),
  };
}

/**
 * The chain's stages, each under its prefix (`<index>.<stage name>.`), and the three phases run
 * stage by stage over them.
 */
class ChainLayout {
  private readonly stages: readonly PrefixedStage[];
  /** Index of the last stage with a global phase (-1: none). */
  readonly lastGlobal: number;

  constructor(stages: readonly GradientTransformation[]) {
    this.stages = stages.map((stage, i) => new PrefixedStage(stage, `${i}.${stage.name}.`));
    this.lastGlobal = stages.reduce((last, stage, i) => (stage.global !== undefined ? i : last), -1);
  }

  init(params: TensorsByName): ChainState {
    const state: Record<string, TensorsByName> = {};
    for (const stage of this.stages) Object.assign(state, stage.init(params));
    return state;
  }

  update(
    updates: TensorsByName,
    state: TransformationState,
    params: TensorsByName,
    context: StepContext,
    global: GlobalValues,
  ): [TensorsByName, ChainState] {
    const next: Record<string, TensorsByName> = {};
    let current = updates;
    for (const stage of this.stages) {
      const [out, nextStageState] = stage.update(current, state, params, context, stage.valuesOf(global));
      Object.assign(next, nextStageState);
      current = out;
    }
    return [current, next];
  }

  /** The global phases of the stages up to the last global one, in chain order. */
  global(updates: TensorsByName, state: TransformationState, params: TensorsByName, context: StepContext): GlobalStep {
    const values: Record<string, GlobalValues[string]> = {};
    const nextState: Record<string, TensorsByName> = {};
    let current = updates;
    for (let i = 0; i <= this.lastGlobal; i++) {
      const stage = this.stages[i];
      const step = stage.ownGlobal(current, state, params, context);
      if (step !== null) {
        Object.assign(values, stage.renamed(step.values));
        Object.assign(nextState, stage.renamed(step.state));
      }
      if (i < this.lastGlobal) current = stage.update(current, state, params, context, step?.values ?? NO_VALUES)[0];
    }
    return { values, state: nextState };
  }

  /** The stages' evaluation points joined by `, `, or null when no stage has one. */
  evaluationPoint(): string | null {
    const points = this.stages.flatMap(({ stage }) =>
      stage.evaluationParams === undefined ? [] : [stage.evaluationPoint ?? stage.name],
    );
    return points.length === 0 ? null : points.join(', ');
  }

  /** Each stage with an evaluation point maps the parameters in turn, in chain order. */
  evaluationParams(state: TransformationState, params: TensorsByName): TensorsByName {
    let current = params;
    for (const prefixed of this.stages) {
      const { stage } = prefixed;
      if (stage.evaluationParams !== undefined) current = stage.evaluationParams(prefixed.stateOf(state), current);
    }
    return current;
  }
}

/**
 * A stage that lives inside another stage's state: its slots sit there as `<prefix><slot>`,
 * its scalar keys and global values under the same prefix. The stages of a chain
 * (`<index>.<stage name>.`), the base optimizer of a wrapper (`base.`) and multiSteps' inner
 * stage (`inner.`) are each one. `stepOf` maps the outer step count to the one the stage sees.
 */
export class PrefixedStage {
  /** The slot names of the stage's state, as `init({})` returns them. */
  readonly slots: readonly string[];
  private parent: StepContext | null = null;
  private child: StepContext | null = null;
  private lastValues: GlobalValues | null = null;
  private ownValues: GlobalValues = NO_VALUES;

  constructor(
    readonly stage: GradientTransformation,
    readonly prefix: string,
    private readonly stepOf: (step: number) => number = (step) => step,
  ) {
    this.slots = Object.keys(stage.init({}));
  }

  /** The stage's initial state, its slots under the prefix. */
  init(params: TensorsByName): Record<string, TensorsByName> {
    return this.renamed(this.stage.init(params), this.slots);
  }

  /**
   * The stage's global phase on `updates` (with its own slots, context and step), as the stage
   * returns it; null when the stage has none.
   */
  ownGlobal(
    updates: TensorsByName,
    state: TransformationState,
    params: TensorsByName,
    context: StepContext,
  ): GlobalStep | null {
    if (this.stage.global === undefined) return null;
    return this.stage.global(updates, this.stateOf(state), params, this.contextOf(context));
  }

  /** The stage's global phase, its values and slots under the prefix; empty when it has none. */
  global(updates: TensorsByName, state: TransformationState, params: TensorsByName, context: StepContext): GlobalStep {
    const step = this.ownGlobal(updates, state, params, context);
    if (step === null) return { values: NO_VALUES, state: {} };
    return { values: this.renamed(step.values), state: this.renamed(step.state) };
  }

  /**
   * The global phase of a wrapper around this stage: the stage's own phase (its values and slots
   * under the prefix) on the raw gradients, then the wrapper's `own`, their values and slots
   * together (the stage's first).
   */
  wrapperGlobal(own: GlobalPhase): GlobalPhase {
    return (updates, state, params, context) => {
      const baseStep = this.global(updates, state, params, context);
      const step = own(updates, state, params, context);
      return { values: { ...baseStep.values, ...step.values }, state: { ...baseStep.state, ...step.state } };
    };
  }

  /**
   * The stage's update of `updates`, and its new slots under the prefix. `values` are the
   * stage's own global values (see {@link valuesOf}).
   */
  update(
    updates: TensorsByName,
    state: TransformationState,
    params: TensorsByName,
    context: StepContext,
    values: GlobalValues,
  ): [TensorsByName, Record<string, TensorsByName>] {
    const [out, next] = this.stage.update(updates, this.stateOf(state), params, this.contextOf(context), values);
    return [out, this.renamed(next, this.slots)];
  }

  /** The stage's own slots out of the outer state. */
  stateOf(state: TransformationState): TransformationState {
    const own: Record<string, TensorsByName> = {};
    for (const slot of this.slots) own[slot] = state[this.prefix + slot];
    return own;
  }

  /** The stage's own values out of the outer (prefixed) ones; computed once per step. */
  valuesOf(global: GlobalValues): GlobalValues {
    if (global === this.lastValues) return this.ownValues;
    this.lastValues = global;
    const keys = Object.keys(global);
    if (keys.length === 0) return (this.ownValues = NO_VALUES);
    const own: Record<string, GlobalValues[string]> = {};
    for (const key of keys) if (key.startsWith(this.prefix)) own[key.slice(this.prefix.length)] = global[key];
    return (this.ownValues = own);
  }

  /** `record`'s entries (`keys` of them) under the prefix. */
  renamed<T>(record: Readonly<Record<string, T>>, keys: readonly string[] = Object.keys(record)): Record<string, T> {
    const out: Record<string, T> = {};
    for (const key of keys) out[this.prefix + key] = record[key];
    return out;
  }

  /**
   * The stage's view of the step context: the same step (or `stepOf(step)`) and loss, scalar
   * keys prefixed. Built once per parent context (the adapter passes the same object every
   * step), so a step allocates no contexts and no key strings.
   */
  contextOf(parent: StepContext): StepContext {
    if (parent !== this.parent || this.child === null) {
      this.parent = parent;
      this.child = childContext(parent, this.prefix, this.stepOf);
    }
    return this.child;
  }
}

function childContext(parent: StepContext, prefix: string, stepOf: (step: number) => number): StepContext {
  const keys = new Map<string, string>();
  return {
    get step() {
      return stepOf(parent.step);
    },
    get loss() {
      return parent.loss;
    },
    scalar(key: string, value: number) {
      let full = keys.get(key);
      if (full === undefined) keys.set(key, (full = prefix + key));
      return parent.scalar(full, value);
    },
  };
}

/**
 * The base optimizer inside a wrapper stage (mechanize, scheduleFree: Optax's wrappers that
 * take a `base_optimizer`), under `base.`. The wrapper's `global` phase runs the base's (when
 * it has one) on the raw gradients ({@link PrefixedStage.wrapperGlobal}), and its `update` runs
 * the base's update with them.
 */
export function wrappedBase(base: GradientTransformation): PrefixedStage {
  return new PrefixedStage(base, 'base.');
}
