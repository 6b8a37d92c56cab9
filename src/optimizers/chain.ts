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

const NO_VALUES: GlobalValues = Object.freeze({});

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
 * Where each stage's slots and values sit in the chain's state (`<index>.<stage name>.<key>`),
 * and the three phases run stage by stage over that layout.
 */
class ChainLayout {
  readonly prefixes: readonly string[];
  /** The slot names of each stage's state. */
  private readonly slots: readonly string[][];
  private readonly children: ChildContexts;
  /** Index of the last stage with a global phase (-1: none). */
  readonly lastGlobal: number;
  private lastGlobalValues: GlobalValues | null = null;
  private stageValues: GlobalValues[];

  constructor(private readonly stages: readonly GradientTransformation[]) {
    this.prefixes = stages.map((stage, i) => `${i}.${stage.name}.`);
    this.slots = stages.map((stage) => Object.keys(stage.init({})));
    this.children = new ChildContexts(this.prefixes);
    this.lastGlobal = stages.reduce((last, stage, i) => (stage.global !== undefined ? i : last), -1);
    this.stageValues = stages.map(() => NO_VALUES);
  }

  init(params: TensorsByName): ChainState {
    const state: Record<string, TensorsByName> = {};
    this.stages.forEach((stage, i) => {
      const stageState = stage.init(params);
      for (const slot of this.slots[i]) state[this.prefixes[i] + slot] = stageState[slot];
    });
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
    const contexts = this.children.of(context);
    const values = this.valuesByStage(global);
    let current = updates;
    for (let i = 0; i < this.stages.length; i++) {
      const [out, nextStageState] = this.stages[i].update(
        current,
        this.stateOfStage(state, i),
        params,
        contexts[i],
        values[i],
      );
      for (const slot of this.slots[i]) next[this.prefixes[i] + slot] = nextStageState[slot];
      current = out;
    }
    return [current, next];
  }

  /** The global phases of the stages up to the last global one, in chain order. */
  global(updates: TensorsByName, state: TransformationState, params: TensorsByName, context: StepContext): GlobalStep {
    const contexts = this.children.of(context);
    const values: Record<string, GlobalValues[string]> = {};
    const nextState: Record<string, TensorsByName> = {};
    let current = updates;
    for (let i = 0; i <= this.lastGlobal; i++) {
      const stage = this.stages[i];
      const stageState = this.stateOfStage(state, i);
      let own = NO_VALUES;
      if (stage.global !== undefined) {
        const step = stage.global(current, stageState, params, contexts[i]);
        own = step.values;
        for (const key of Object.keys(own)) values[this.prefixes[i] + key] = own[key];
        for (const slot of Object.keys(step.state)) nextState[this.prefixes[i] + slot] = step.state[slot];
      }
      if (i < this.lastGlobal) current = stage.update(current, stageState, params, contexts[i], own)[0];
    }
    return { values, state: nextState };
  }

  /** The stages' evaluation points joined by `, `, or null when no stage has one. */
  evaluationPoint(): string | null {
    const points = this.stages.flatMap((stage) =>
      stage.evaluationParams === undefined ? [] : [stage.evaluationPoint ?? stage.name],
    );
    return points.length === 0 ? null : points.join(', ');
  }

  /** Each stage with an evaluation point maps the parameters in turn, in chain order. */
  evaluationParams(state: TransformationState, params: TensorsByName): TensorsByName {
    let current = params;
    this.stages.forEach((stage, i) => {
      if (stage.evaluationParams !== undefined) current = stage.evaluationParams(this.stateOfStage(state, i), current);
    });
    return current;
  }

  private stateOfStage(state: TransformationState, i: number): TransformationState {
    const stageState: Record<string, TensorsByName> = {};
    for (const slot of this.slots[i]) stageState[slot] = state[this.prefixes[i] + slot];
    return stageState;
  }

  /** Each stage's own values out of the chain's (prefixed) ones; computed once per step. */
  private valuesByStage(global: GlobalValues): GlobalValues[] {
    if (global === this.lastGlobalValues) return this.stageValues;
    this.lastGlobalValues = global;
    const keys = Object.keys(global);
    this.stageValues = this.prefixes.map((prefix) => {
      if (keys.length === 0) return NO_VALUES;
      const own: Record<string, GlobalValues[string]> = {};
      for (const key of keys) if (key.startsWith(prefix)) own[key.slice(prefix.length)] = global[key];
      return own;
    });
    return this.stageValues;
  }
}

/**
 * Each stage's view of the step context: the same step (or `stepOf(step)`) and loss, scalar
 * keys prefixed by the stage's place in the chain. Built once per parent context (the adapter
 * passes the same object every step), so a step allocates no contexts and no key strings.
 */
export class ChildContexts {
  private parent: StepContext | null = null;
  private contexts: StepContext[] = [];

  constructor(
    private readonly prefixes: readonly string[],
    private readonly stepOf: (step: number) => number = (step) => step,
  ) {}

  of(parent: StepContext): readonly StepContext[] {
    if (parent !== this.parent) {
      this.parent = parent;
      const stepOf = this.stepOf;
      this.contexts = this.prefixes.map((prefix) => {
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
      });
    }
    return this.contexts;
  }
}
