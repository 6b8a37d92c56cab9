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
  const prefixes = stages.map((stage, i) => `${i}.${stage.name}.`);
  const slots = stages.map((stage) => Object.keys(stage.init({})));
  const children = new ChildContexts(prefixes);
  let lastGlobal = -1;
  stages.forEach((stage, i) => {
    if (stage.global !== undefined) lastGlobal = i;
  });

  const stateOfStage = (state: TransformationState, i: number): TransformationState => {
    const stageState: Record<string, TensorsByName> = {};
    for (const slot of slots[i]) stageState[slot] = state[prefixes[i] + slot];
    return stageState;
  };

  let lastGlobalValues: GlobalValues | null = null;
  let stageValues: GlobalValues[] = stages.map(() => NO_VALUES);
  /** Each stage's own values out of the chain's (prefixed) ones; computed once per step. */
  const valuesByStage = (global: GlobalValues): GlobalValues[] => {
    if (global === lastGlobalValues) return stageValues;
    lastGlobalValues = global;
    const keys = Object.keys(global);
    stageValues = prefixes.map((prefix) => {
      if (keys.length === 0) return NO_VALUES;
      const own: Record<string, GlobalValues[string]> = {};
      for (const key of keys) if (key.startsWith(prefix)) own[key.slice(prefix.length)] = global[key];
      return own;
    });
    return stageValues;
  };

  const transformation: GradientTransformation<ChainState> = {
    name: 'chain',
    config: { name: 'chain', stages: stages.map((stage) => stage.config) },
    init(params) {
      const state: Record<string, TensorsByName> = {};
      stages.forEach((stage, i) => {
        const stageState = stage.init(params);
        for (const slot of slots[i]) state[prefixes[i] + slot] = stageState[slot];
      });
      return state;
    },
    update(updates, state, params, context, global = NO_VALUES) {
      const next: Record<string, TensorsByName> = {};
      const contexts = children.of(context);
      const values = valuesByStage(global);
      let current = updates;
      for (let i = 0; i < stages.length; i++) {
        const [out, nextStageState] = stages[i].update(current, stateOfStage(state, i), params, contexts[i], values[i]);
        for (const slot of slots[i]) next[prefixes[i] + slot] = nextStageState[slot];
        current = out;
      }
      return [current, next];
    },
  };
  if (lastGlobal < 0) return transformation;

  const global = (
    updates: TensorsByName,
    state: TransformationState,
    params: TensorsByName,
    context: StepContext,
  ): GlobalStep => {
    const contexts = children.of(context);
    const values: Record<string, GlobalValues[string]> = {};
    const nextState: Record<string, TensorsByName> = {};
    let current = updates;
    for (let i = 0; i <= lastGlobal; i++) {
      const stage = stages[i];
      const stageState = stateOfStage(state, i);
      let own = NO_VALUES;
      if (stage.global !== undefined) {
        const step = stage.global(current, stageState, params, contexts[i]);
        own = step.values;
        for (const key of Object.keys(own)) values[prefixes[i] + key] = own[key];
        for (const slot of Object.keys(step.state)) nextState[prefixes[i] + slot] = step.state[slot];
      }
      if (i < lastGlobal) current = stage.update(current, stageState, params, contexts[i], own)[0];
    }
    return { values, state: nextState };
  };
  return { ...transformation, global };
}

/**
 * Each stage's view of the step context: the same step and loss, scalar keys prefixed by the
 * stage's place in the chain. Built once per parent context (the adapter passes the same
 * object every step), so a step allocates no contexts and no key strings.
 */
class ChildContexts {
  private parent: StepContext | null = null;
  private contexts: StepContext[] = [];

  constructor(private readonly prefixes: readonly string[]) {}

  of(parent: StepContext): readonly StepContext[] {
    if (parent !== this.parent) {
      this.parent = parent;
      this.contexts = this.prefixes.map((prefix) => {
        const keys = new Map<string, string>();
        return {
          get step() {
            return parent.step;
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
