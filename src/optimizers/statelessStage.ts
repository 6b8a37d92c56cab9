import type {
  GlobalStep,
  GlobalValues,
  GradientTransformation,
  StageConfig,
  StepContext,
  TensorsByName,
} from './types.js';

/** The state of a stage without a buffer: no slots. */
export type NoState = Readonly<Record<string, never>>;

/** What a stateless stage computes from the updates of a step. */
export interface StatelessPhases {
  /** The stage's updates from the incoming ones (with the parameters, the step and the global values). */
  map(updates: TensorsByName, params: TensorsByName, context: StepContext, global: GlobalValues): TensorsByName;
  /** Optional global phase, once per step over every variable (no state to change). */
  values?(updates: TensorsByName, params: TensorsByName, context: StepContext): GlobalValues;
}

/**
 * A stage with no state (`init` returns no slots, `update` hands its state back unchanged),
 * named by `config.name`: `map` is its per-variable update, `values` its global phase if any.
 */
export function statelessStage(config: StageConfig, phases: StatelessPhases): GradientTransformation<NoState> {
  const { map, values } = phases;
  const stage: GradientTransformation<NoState> = {
    name: config.name,
    config,
    init: () => ({}),
    update: (updates, state, params, context, global) => [map(updates, params, context, global), state],
  };
  if (values === undefined) return stage;
  return {
    ...stage,
    global: (updates, _state, params, context): GlobalStep => ({ values: values(updates, params, context), state: {} }),
  };
}
