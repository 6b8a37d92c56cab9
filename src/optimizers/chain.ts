import type { GradientTransformation, StepContext, TensorsByName, TransformationState } from './types.js';

/**
 * The state of a chain: every stage's slots, each renamed `<index>.<stage name>.<slot>`
 * (for example `0.trace.velocity`), still keyed by variable name inside.
 */
export type ChainState = TransformationState;

/**
 * Applies the stages in order, each feeding its updates to the next (Optax `chain`):
 * chain(trace(0.9), scaleByLearningRate(0.1)) is heavy-ball momentum,
 * chain(scaleByLearningRate(0.1), trace(0.9)) the Keras convention. The chain adds no
 * math, no learning rate and no buffer of its own.
 */
export function chain(...stages: GradientTransformation[]): GradientTransformation<ChainState> {
  const prefixes = stages.map((stage, i) => `${i}.${stage.name}.`);
  const slots = stages.map((stage) => Object.keys(stage.init({})));
  const children = new ChildContexts(prefixes);
  return {
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
    update(updates, state, params, context) {
      const next: Record<string, TensorsByName> = {};
      const contexts = children.of(context);
      let current = updates;
      for (let i = 0; i < stages.length; i++) {
        const stageState: Record<string, TensorsByName> = {};
        for (const slot of slots[i]) stageState[slot] = state[prefixes[i] + slot];
        const [out, nextStageState] = stages[i].update(current, stageState, params, contexts[i]);
        for (const slot of slots[i]) next[prefixes[i] + slot] = nextStageState[slot];
        current = out;
      }
      return [current, next];
    },
  };
}

/**
 * Each stage's view of the step context: the same step, scalar keys prefixed by the stage's
 * place in the chain. Built once per parent context (the adapter passes the same object
 * every step), so a step allocates no contexts and no key strings.
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
