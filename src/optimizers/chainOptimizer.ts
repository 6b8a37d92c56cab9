import type * as TF from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import {
  mergeState,
  renameVariable,
  stateTensors,
  stateToWeights,
  stateVariableNames,
  weightsToState,
} from './optimizerState.js';
import { stageFromConfig } from './registry.js';
import { shown } from './optimizerSpecError.js';
import { UserError } from '../util/errors.js';
import { noteStepRead, ScalarCache } from './scalarCache.js';
import {
  GLOBAL,
  type ApplyGradientsOptions,
  type GlobalStep,
  type GlobalValues,
  type GradientTransformation,
  type NamedTensor,
  type StageConfig,
  type StepContext,
  type TensorsByName,
  type TransformationState,
} from './types.js';

const NO_VALUES: GlobalValues = Object.freeze({});

/** The ScalarCache key of a loss passed as a number (chain keys always start with `<index>.`). */
const LOSS_KEY = '#loss';

/**
 * The one adapter that turns any chain of stages into a `tf.Optimizer`, usable with
 * `model.compile({optimizer})`, `optimizer.minimize` and `model.save(..., {includeOptimizer: true})`.
 *
 * Each step: updates = chain(gradients), then w -= updates (updates are descent directions;
 * see types.ts), one variable at a time, each in its own tf.tidy. When the chain has a
 * `global` phase, the adapter first calls it once with every variable of the step, hands its
 * values to each variable's `update`, and stores its new global entries after the last
 * variable. `applyGradients(gradients, { loss })` passes the step's loss value down
 * (StepContext.loss); `minimize(f)` passes f's value itself. The state lives in
 * non-trainable variables the step assigns into, so after the first step (which allocates
 * the buffers) a step leaves no new tensors behind. The state is keyed by variable name, so
 * variables may appear between steps (their state starts from the stage's init). Weights for save/restore are the iteration
 * count first, then `<variable>/<slot>` tensors ordered by variable name.
 *
 * When tfjs-layers loads a model while the original is still alive, it renames weights
 * `x` -> `x_1`; restored state is therefore matched by exact name first and, failing that,
 * by the name without its `_<n>` suffixes.
 */
export class ChainOptimizer extends tf.Optimizer {
  /** Unique name for tf.serialization (the built-ins own 'SGD' and 'Momentum'). */
  static get className(): string {
    return 'InertiaChainOptimizer';
  }

  private readonly slots: readonly string[];
  private state: TransformationState;
  private readonly scalars = new ScalarCache();
  /** The context every step passes down: the same object, its step updated (see chain.ts). */
  private readonly context: { step: number; loss: StepContext['loss']; scalar: StepContext['scalar'] };
  /** Variables whose state came from setWeights and that no step has used yet. */
  private restored = new Set<string>();

  constructor(readonly transformation: GradientTransformation) {
    super();
    this.state = transformation.init({});
    this.slots = Object.keys(this.state);
    this.context = stepContext((key, value) => this.scalars.get(key, value));
  }

  /**
   * One step: w -= chain(gradients) for every variable given. `options.loss` is the loss
   * value of the step (a number or a scalar tensor, never kept), for stages that need it.
   */
  override applyGradients(
    variableGradients: TF.NamedTensorMap | NamedTensor[],
    options: ApplyGradientsOptions = {},
  ): void {
    const gradients = gradientsByName(variableGradients);
    const names = Object.keys(gradients);
    const params = variablesNamed(names);
    this.addMissingState(params);
    const context = this.context;
    context.step = this.iterations;
    try {
      // The outer tidy frees the global phase's tensors at the end of the step.
      tf.tidy(() => {
        context.loss = this.lossScalar(options.loss);
        const global = this.globalStep(gradients, params, names);
        // One variable at a time, each in its own tf.tidy (as tf.train does): a step's
        // temporaries are freed variable by variable instead of piling up for the whole model.
        for (const name of names) {
          tf.tidy(() => {
            const state = this.stateOf([name]);
            const param = params[name];
            const [updates, next] = this.transformation.update(
              { [name]: gradients[name] },
              state,
              { [name]: param },
              context,
              global?.values ?? NO_VALUES,
            );
            param.assign(tf.sub(param, updates[name]));
            assignChanged(state, next);
          });
        }
        if (global !== null) assignChanged(this.state, global.state);
      });
    } finally {
      context.loss = null;
    }
    if (this.restored.size > 0) for (const name of names) this.restored.delete(name);
    this.incrementIterations();
  }

  /** As tf.Optimizer.minimize, and the value of `f` reaches the stages as the step's loss. */
  override minimize(f: () => TF.Scalar, returnCost = false, varList?: TF.Variable[]): TF.Scalar | null {
    const { value, grads } = this.computeGradients(f, varList);
    const gradients =
      varList === undefined ? grads : varList.map((v) => ({ name: v.name, tensor: grads[v.name] }) as NamedTensor);
    try {
      this.applyGradients(gradients, { loss: value });
    } finally {
      tf.dispose(grads);
    }
    if (returnCost) return value;
    value.dispose();
    return null;
  }

  /**
   * The first momentum buffer of the chain (the first slot named `velocity`), keyed by
   * variable name, or null when the chain has none. Not a copy: read it, never dispose it;
   * it is replaced by the next step.
   */
  velocity(): TensorsByName | null {
    const slot = this.slots.find((s) => s === 'velocity' || s.endsWith('.velocity'));
    return slot === undefined ? null : this.state[slot];
  }

  /**
   * What {@link evaluationParams} returns, in a few words (`schedule-free x`), or null when
   * the chain has no evaluation point of its own (the model is evaluated at its variables).
   */
  get evaluationPoint(): string | null {
    return this.transformation.evaluationPoint ?? null;
  }

  /**
   * The point at which the model should be evaluated, for chains whose variables hold another
   * point (schedule-free: the variables hold y, the model is evaluated at x): variable name ->
   * a new tensor (the caller disposes it), for every variable the optimizer has state for
   * (before the first step: none, the variables are that point). Null when the chain has no
   * evaluation point.
   */
  evaluationParams(): Record<string, TF.Tensor> | null {
    const evaluate = this.transformation.evaluationParams;
    if (evaluate === undefined) return null;
    const params: Record<string, TF.Variable> = {};
    for (const name of stateVariableNames(this.state)) {
      const variable = name === GLOBAL ? null : variableForState(name);
      if (variable !== null) params[name] = variable;
    }
    const names = Object.keys(params);
    if (names.length === 0) return {};
    return tf.tidy(() => {
      const points = evaluate.call(this.transformation, this.stateOf(names), params);
      // Keyed by the variable's own name (restored state may still carry the name it was saved under).
      const byVariable: Record<string, TF.Tensor> = {};
      for (const name of names) byVariable[params[name].name] = points[name];
      return byVariable;
    });
  }

  /** The state slots (e.g. `0.trace.velocity`), in chain order. */
  stateSlots(): readonly string[] {
    return this.slots;
  }

  override async getWeights(): Promise<NamedTensor[]> {
    return [await this.saveIterations(), ...stateToWeights(this.state, this.slots)];
  }

  /**
   * Keep restored state whose variable does not exist (yet) instead of refusing it. Off by
   * default: state for an unknown variable usually means it was saved from another model.
   */
  allowUnknownState = false;

  /**
   * Restores `iter` and the state. Every state tensor is checked against its variable (a
   * registered tf.Variable of that name, or tfjs-layers' renamed copy `name_<n>`) before
   * anything is assigned: a wrong shape is an error naming both, and so is state for a
   * variable that does not exist unless {@link allowUnknownState} is set.
   */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    // The first weight is `iter` (tf.Optimizer's layout); the rest is the state.
    const parsed = weightsToState(weightValues.slice(1), this.slots);
    checkRestoredState(this.transformation, parsed, this.allowUnknownState);
    await this.extractIterations(weightValues);
    tf.dispose(stateTensors(this.state));
    for (const slot of Object.keys(parsed)) {
      for (const name of Object.keys(parsed[slot])) parsed[slot][name] = tf.variable(parsed[slot][name], false);
    }
    this.state = parsed;
    this.restored = new Set(stateVariableNames(parsed).filter((name) => name !== GLOBAL));
  }

  override getConfig(): TF.serialization.ConfigDict {
    return { transformation: this.transformation.config as unknown as TF.serialization.ConfigDict };
  }

  static override fromConfig<T extends TF.serialization.Serializable>(
    cls: TF.serialization.SerializableConstructor<T>,
    config: TF.serialization.ConfigDict,
  ): T {
    return new cls(stageFromConfig(config.transformation as unknown as StageConfig));
  }

  /** Frees the state and the cached scalars; the optimizer starts afresh if used again. */
  override dispose(): void {
    tf.dispose(stateTensors(this.state));
    this.state = this.transformation.init({});
    this.scalars.dispose();
    this.restored.clear();
  }

  /** The state of some variables: every slot, holding only `names` and the slot's global entry. */
  private stateOf(names: readonly string[]): TransformationState {
    const state: Record<string, TensorsByName> = {};
    for (const slot of this.slots) {
      const all = this.state[slot];
      const some: Record<string, TF.Tensor> = {};
      for (const name of names) some[name] = all[name];
      if (all[GLOBAL] !== undefined) some[GLOBAL] = all[GLOBAL];
      state[slot] = some;
    }
    return state;
  }

  /** The chain's global phase over the step's variables, or null when it has none. */
  private globalStep(
    gradients: TensorsByName,
    params: Readonly<Record<string, TF.Variable>>,
    names: readonly string[],
  ): GlobalStep | null {
    const global = this.transformation.global;
    if (global === undefined) return null;
    return global.call(this.transformation, gradients, this.stateOf(names), params, this.context);
  }

  /**
   * The step's loss as a scalar tensor: a given scalar as is (a one-element tensor reshaped,
   * freed by the step's tidy), a number through the scalar cache.
   */
  private lossScalar(loss: number | TF.Tensor | undefined): TF.Scalar | null {
    if (loss === undefined || loss === null) return null;
    if (typeof loss === 'number') return this.scalars.get(LOSS_KEY, loss);
    if (loss instanceof tf.Tensor && loss.size === 1)
      return loss.rank === 0 ? (loss as TF.Scalar) : tf.reshape(loss, []);
    throw new UserError(
      `Invalid loss value: ${loss instanceof tf.Tensor ? `a tensor of shape [${loss.shape.join(', ')}]` : shown(loss)} (expected a number or a scalar tensor)`,
    );
  }

  private addMissingState(params: Readonly<Record<string, TF.Variable>>): void {
    if (this.slots.length === 0) return;
    const known = this.state[this.slots[0]];
    const fresh: Record<string, TF.Variable> = {};
    for (const name of Object.keys(params)) {
      if (known[name] !== undefined) continue;
      const source = this.restoredNameFor(name);
      if (source === null) {
        fresh[name] = params[name];
      } else {
        this.state = renameVariable(this.state, source, name);
        this.restored.delete(source);
      }
    }
    if (Object.keys(fresh).length === 0) return;
    let added: TransformationState = {};
    tf.tidy(() => {
      // Global entries exist once; those of a later init are dropped (and freed by the tidy).
      added = toVariables(withoutKnownGlobals(this.transformation.init(fresh), this.state));
    });
    this.state = mergeState(this.state, added);
  }

  /** The restored, still unused state for `name` renamed by tfjs-layers to `name_<n>`. */
  private restoredNameFor(name: string): string | null {
    let candidate = name;
    while (/_\d+$/.test(candidate)) {
      candidate = candidate.replace(/_\d+$/, '');
      if (this.restored.has(candidate)) return candidate;
    }
    return null;
  }
}

tf.serialization.registerClass(ChainOptimizer);

/**
 * The context the adapter passes down; reading `step` is reported to a tracing compiled step
 * (noteStepRead), since a stage whose numbers depend on the step must get them afresh each step.
 */
function stepContext(scalar: StepContext['scalar']): {
  step: number;
  loss: StepContext['loss'];
  scalar: StepContext['scalar'];
} {
  let step = 0;
  return {
    get step() {
      noteStepRead();
      return step;
    },
    set step(value: number) {
      step = value;
    },
    loss: null,
    scalar,
  };
}

/**
 * Every state tensor lives in a non-trainable tf.Variable owned by the optimizer; a step
 * assigns the stages' new values into them (no copy: the variable takes over the data),
 * so the tensors a step creates are freed by its tf.tidy and none accumulate.
 */
function toVariables(state: TransformationState): TransformationState {
  const variables: Record<string, Record<string, TF.Variable>> = {};
  for (const slot of Object.keys(state)) {
    variables[slot] = {};
    for (const name of Object.keys(state[slot])) variables[slot][name] = tf.variable(state[slot][name], false);
  }
  return variables;
}

/** `state` without the global entries that `known` already has. */
function withoutKnownGlobals(state: TransformationState, known: TransformationState): TransformationState {
  const kept: Record<string, TensorsByName> = {};
  for (const slot of Object.keys(state)) {
    const { [GLOBAL]: global, ...perVariable } = state[slot];
    kept[slot] = global === undefined || known[slot]?.[GLOBAL] !== undefined ? perVariable : state[slot];
  }
  return kept;
}

/** Assigns each new state tensor of `next` into the variable `state` holds for it. */
function assignChanged(state: TransformationState, next: TransformationState): void {
  for (const slot of Object.keys(next)) {
    const current = state[slot] as Readonly<Record<string, TF.Variable>>;
    const values = next[slot];
    for (const name of Object.keys(values)) {
      const value = values[name];
      if (value !== current[name]) current[name].assign(value);
    }
  }
}

function gradientsByName(variableGradients: TF.NamedTensorMap | NamedTensor[]): Record<string, TF.Tensor> {
  const gradients: Record<string, TF.Tensor> = {};
  if (Array.isArray(variableGradients)) {
    for (const { name, tensor } of variableGradients) if (tensor != null) gradients[name] = tensor;
  } else {
    for (const name of Object.keys(variableGradients)) {
      const tensor = variableGradients[name];
      if (tensor != null) gradients[name] = tensor;
    }
  }
  return gradients;
}

/** The registered variable restored state named `name` belongs to: `name` itself, else a renamed `name_<n>`. */
function variableForState(name: string): TF.Variable | null {
  const registered = tf.engine().registeredVariables;
  if (registered[name] !== undefined) return registered[name];
  const renamed = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(_\\d+)+$`);
  const match = Object.keys(registered).find((candidate) => renamed.test(candidate));
  return match === undefined ? null : registered[match];
}

/** Throws, before anything is assigned, when restored state does not fit its variables. */
function checkRestoredState(
  transformation: GradientTransformation,
  state: Record<string, Record<string, TF.Tensor>>,
  allowUnknown: boolean,
): void {
  for (const name of stateVariableNames(state)) {
    // Global state (over every variable) belongs to no variable: nothing to check it against.
    if (name === GLOBAL) continue;
    const variable = variableForState(name);
    if (variable === null) {
      if (allowUnknown) continue;
      throw new UserError(
        `Cannot restore optimizer state for "${name}": no tf.Variable of that name exists; build the model before restoring its optimizer, or set allowUnknownState = true on the optimizer to keep it`,
      );
    }
    const expected: Record<string, number[]> = {};
    tf.tidy(() => {
      const fresh = transformation.init({ [name]: variable });
      for (const slot of Object.keys(fresh)) if (fresh[slot][name]) expected[slot] = fresh[slot][name].shape;
    });
    for (const slot of Object.keys(state)) {
      const tensor = state[slot][name];
      if (tensor === undefined) continue;
      const shape = expected[slot];
      if (shape === undefined || shape.join(',') !== tensor.shape.join(',')) {
        throw new UserError(
          `Cannot restore optimizer state "${name}/${slot}": its shape [${tensor.shape.join(', ')}] does not fit variable ${variable.name} of shape [${variable.shape.join(', ')}] (expected [${shape?.join(', ') ?? 'no state'}]); was it saved from another model?`,
        );
      }
    }
  }
}

function variablesNamed(names: readonly string[]): Record<string, TF.Variable> {
  const registered = tf.engine().registeredVariables;
  const params: Record<string, TF.Variable> = {};
  for (const name of names) {
    const variable = registered[name];
    if (name === GLOBAL) {
      throw new UserError(
        `A variable named "${GLOBAL}" cannot be optimized: the name is reserved for global optimizer state`,
      );
    }
    if (variable === undefined) {
      throw new Error(
        `Gradient for unknown variable "${name}": applyGradients needs the names of registered tf.Variables (pass variable.name)`,
      );
    }
    params[name] = variable;
  }
  return params;
}

/**
 * `optimizer.applyGradients(gradients)` that also hands the step's loss to a ChainOptimizer
 * (whose stages may need it); other tf.Optimizers take no loss.
 */
export function applyGradientsWithLoss(
  optimizer: TF.Optimizer,
  gradients: TF.NamedTensorMap | NamedTensor[],
  loss: number | TF.Tensor,
): void {
  if (optimizer instanceof ChainOptimizer) optimizer.applyGradients(gradients, { loss });
  else optimizer.applyGradients(gradients);
}
