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
      let current = updates;
      stages.forEach((stage, i) => {
        const stageState: Record<string, TensorsByName> = {};
        for (const slot of slots[i]) stageState[slot] = state[prefixes[i] + slot];
        const [out, nextStageState] = stage.update(current, stageState, params, childContext(context, prefixes[i]));
        for (const slot of slots[i]) next[prefixes[i] + slot] = nextStageState[slot];
        current = out;
      });
      return [current, next];
    },
  };
}

function childContext(context: StepContext, prefix: string): StepContext {
  return { step: context.step, scalar: (key, value) => context.scalar(prefix + key, value) };
}
