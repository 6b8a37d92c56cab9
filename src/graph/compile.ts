/**
 * Compiled training steps: one eager step is traced at the binding level (graphTrace.ts) and
 * registered as a TensorFlow function; every later step with the same input shapes is one
 * native call instead of one launch per kernel (about 70 for the MLP, each costing ~50 us of
 * dispatch in tfjs-node).
 *
 * - Functions are cached by the shapes and dtypes of the inputs (the last partial batch gets
 *   its own) and by the optimizer's scalar signature (below).
 * - The variables a step reads are inputs and the ones it assigns are outputs, swapped back into
 *   the same tf.Variables after each call, so model weights and optimizer state stay ordinary
 *   variables: getWeights/setWeights, save/load and eager steps work between compiled calls.
 *   A variable disposed since the trace (setWeights replaces the optimizer's state) makes the
 *   step trace again.
 * - Optimizer scalars (ScalarCache, StepContext.scalar) are inputs. When the optimizer reads its
 *   step counter while traced, its scalars may change from step to step: each call then first
 *   runs the chain on a one-element stand-in variable (the scalar probe, a few tiny kernels) to
 *   learn this step's values, and its structure (which scalars, how many tensors) keys the cache,
 *   so a stage that changes course at some step (stopGradientAfter) gets a second function.
 * - Functions are shared across steps and runs of a process by what they compute
 *   (functionRegistry.ts): a run whose trace matches a function already registered, and
 *   checked against eager steps (`verified`), calls that one.
 */
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../backend.js';
import type { ChainOptimizer } from '../optimizers/chainOptimizer.js';
import { ScalarCache } from '../optimizers/scalarCache.js';
import { advanceStepCount } from '../optimizers/stepCount.js';
import type { GradientTransformation, StepContext, TensorsByName } from '../optimizers/types.js';
import { graphBinding, type GraphBinding } from './graphBinding.js';
import { acquireFunction, releaseFunction, type RegisteredFunction } from './functionRegistry.js';
import { registeredVariables, traceStep, TraceError, type StepTrace } from './graphTrace.js';
import { withStepSeed } from './stepSeed.js';

export { TraceError } from './graphTrace.js';
export { stepSeedTensor, withStepSeed } from './stepSeed.js';
export { traceLayers } from './traceLayers.js';

/** A step: inputs in, tensors out (the caller owns them); variables assigned along the way. */
export type StepFunction = (inputs: TF.Tensor[]) => TF.Tensor[];

/**
 * The per-step seed, as an input of the compiled step: `seededStep(step)` takes one more input
 * than `step`, last, an int32 scalar (`stepSeedTensor(runSeed, stepNumber)`), and runs `step`
 * on the others with that seed as the seed of the step's random layers (`withStepSeed`; the
 * model's layers prepared by `traceLayers(model)`). Compiled, the seed is a placeholder of the
 * function like the batch: a new seed each step draws new Dropout masks each step, and the
 * same seed draws the same masks eagerly and compiled (which is how a compiled call is checked
 * against the eager step). With VerifiedStep, pass the seed among the inputs and wrap the
 * objective the same way: `objective: ([x, y, seed]) => withStepSeed(seed, () => loss(x, y))`.
 */
export function seededStep(step: StepFunction): StepFunction {
  return (inputs) => withStepSeed(inputs[inputs.length - 1], () => step(inputs.slice(0, -1)));
}

/** The optimizer's scalars for the coming step: their values, and a key of their structure. */
export interface ScalarProbe {
  /** Runs before every call once a trace showed the optimizer reads its step counter. */
  probe(): { signature: string; values: ReadonlyMap<string, number> };
  dispose(): void;
}

export interface CompileOptions {
  /** Per-step optimizer scalars (see {@link chainScalarProbe}); without it they stay as traced. */
  scalars?: ScalarProbe;
  /** Side effects of a step outside tensors (an optimizer's iteration count), run after each call. */
  afterCall?: () => void;
}

interface CompiledFunction {
  registered: RegisteredFunction;
  variables: TF.Variable[];
  scalars: StepTrace['scalars'];
  assigned: TF.Variable[];
  returned: number;
}

/** Calls of a function checked against eager steps before it is trusted (once per process). */
export const CHECKED_CALLS = 2;

/**
 * Checks one call of a function not verified yet: `call` runs it (assigning the variables, as
 * a step does); the check returns the outputs the step gives (the call's or its own) and
 * whether the call agreed with the eager step.
 */
export type CallCheck = (call: () => TF.Tensor[]) => { outputs: TF.Tensor[]; agreed: boolean };

/** Thrown when compiled steps cannot run here at all (no native backend, no graph functions). */
export class CompileUnavailableError extends Error {}

/**
 * A step function that runs compiled: `run(inputs)` traces on the first call for each input
 * signature (that call is an ordinary eager step, recorded) and calls the function afterwards.
 */
export class CompiledStep {
  private readonly functions = new Map<string, CompiledFunction>();
  /** Whether a trace saw the optimizer read its step (then every call probes its scalars). */
  private probing = true;
  private readonly scalarTensors = new ScalarCache();
  /** How many calls ran as a function (not traced). */
  calls = 0;
  traces = 0;

  constructor(
    private readonly graph: GraphBinding,
    private readonly step: StepFunction,
    private readonly options: CompileOptions = {},
  ) {}

  /**
   * One step. With `check`, a call of a function not yet verified (in this process) goes
   * through it; after {@link CHECKED_CALLS} calls that agreed, the function is verified and
   * later calls, in this run or later ones, are plain calls.
   */
  run(inputs: TF.Tensor[], check?: CallCheck): TF.Tensor[] {
    const probe = this.probing && this.options.scalars ? this.options.scalars.probe() : null;
    const shapes = inputs.map((t) => `${t.dtype}[${t.shape.join(',')}]`).join(';');
    const key = probe ? `${shapes}|${probe.signature}` : shapes;
    let fn = this.functions.get(key);
    if (fn !== undefined && fn.variables.some((v) => v.isDisposed)) {
      this.remove(key, fn);
      fn = undefined;
    }
    if (fn === undefined) return this.trace(shapes, key, inputs);
    const found = fn;
    const call = () => {
      const outputs = this.call(found, inputs, probe?.values ?? null);
      this.calls += 1;
      this.options.afterCall?.();
      return outputs;
    };
    const { registered } = found;
    if (check === undefined || registered.verified) return call();
    const { outputs, agreed } = check(call);
    if (agreed && ++registered.checks >= CHECKED_CALLS) registered.verified = true;
    return outputs;
  }

  /**
   * Points every function at other variables (a new model of the same architecture): each
   * variable the functions read or assign is replaced by `replace(variable)`, which must have
   * the same shape and dtype. Later calls then need no trace.
   */
  rebind(replace: (variable: TF.Variable) => TF.Variable): void {
    const checked = (variable: TF.Variable) => {
      const other = replace(variable);
      if (other.dtype !== variable.dtype || other.shape.join(',') !== variable.shape.join(',')) {
        throw new Error(`rebind: ${other.name} is not shaped like ${variable.name}`);
      }
      return other;
    };
    for (const fn of this.functions.values()) {
      fn.variables = fn.variables.map(checked);
      fn.assigned = fn.assigned.map(checked);
    }
  }

  /** Lets go of every function (unregistered unless verified) and frees the scalars it holds. */
  dispose(): void {
    for (const [key, fn] of this.functions) this.remove(key, fn);
    this.scalarTensors.dispose();
    this.options.scalars?.dispose();
  }

  /** Traces a step; `shapes` keys it when the optimizer did not read its step, else `key`. */
  private trace(shapes: string, key: string, inputs: TF.Tensor[]): TF.Tensor[] {
    const trace = withRestoreOnError(() => traceStep(this.graph, this.step, inputs));
    this.traces += 1;
    if (!trace.readStep) {
      this.probing = false;
      key = shapes;
    }
    let registered: RegisteredFunction;
    try {
      registered = acquireFunction(this.graph, trace);
    } catch (error) {
      tf.dispose(trace.returned);
      tf.dispose(trace.scalars.map((s) => s.tensor));
      throw new TraceError(`TensorFlow refused the traced step: ${error instanceof Error ? error.message : error}`);
    }
    this.functions.set(key, {
      registered,
      variables: trace.variables,
      scalars: trace.scalars,
      assigned: trace.assigned,
      returned: trace.returned.length,
    });
    return trace.returned;
  }

  private call(fn: CompiledFunction, inputs: TF.Tensor[], values: ReadonlyMap<string, number> | null): TF.Tensor[] {
    const { backend, binding } = this.graph;
    const scalars =
      values === null ? fn.scalars.map((s) => s.tensor) : fn.scalars.map((s) => this.scalar(s.key, values));
    const ids = backend.getInputTensorIds([...inputs, ...fn.variables, ...scalars]);
    const metadata = binding.executeOp(fn.registered.name, [], ids, fn.returned + fn.assigned.length);
    const outputs = metadata.map((m) => backend.createOutputTensor(m));
    for (let i = 0; i < fn.assigned.length; i++) {
      const value = outputs[fn.returned + i];
      fn.assigned[i].assign(value);
      value.dispose();
    }
    return outputs.slice(0, fn.returned);
  }

  /** This step's value of an optimizer scalar, as a tensor rebuilt only when it changes. */
  private scalar(key: string, values: ReadonlyMap<string, number>): TF.Scalar {
    const value = values.get(key);
    if (value === undefined) throw new Error(`The scalar probe gave no value for ${key}`);
    return this.scalarTensors.get(key, value);
  }

  private remove(key: string, fn: CompiledFunction): void {
    releaseFunction(this.graph, fn.registered);
    tf.dispose(fn.scalars.map((s) => s.tensor));
    this.functions.delete(key);
  }
}

/**
 * Runs `fn`; if it throws, every variable gets back the value it had before (a step refused
 * half-way may have assigned some), and the error goes on. Clones share data: no copies.
 */
function withRestoreOnError<T>(fn: () => T): T {
  const variables = registeredVariables();
  const before = variables.map((v) => tf.keep(v.clone()));
  try {
    return fn();
  } catch (error) {
    variables.forEach((v, i) => {
      if (!v.isDisposed) v.assign(before[i]);
    });
    throw error;
  } finally {
    tf.dispose(before);
  }
}

/**
 * Compiles `step`. Throws {@link CompileUnavailableError} when this process cannot run graph
 * functions (cpu backend, or a tfjs-node binding built without inertia's patch).
 */
export function compileStep(step: StepFunction, options: CompileOptions = {}): CompiledStep {
  const graph = graphBinding();
  if ('reason' in graph) throw new CompileUnavailableError(graph.reason);
  return new CompiledStep(graph, step, options);
}

/**
 * The scalar probe of an optimizer chain: its stages run on a one-element stand-in variable
 * with the optimizer's step counter, and every `context.scalar(key, value)` is recorded.
 * Costs the chain's kernels on one-element tensors (a handful of launches).
 */
export function chainScalarProbe(transformation: GradientTransformation, step: () => number): ScalarProbe {
  const name = '#probe';
  // Kept: the probe is often built inside a training step's tf.tidy, and lives across steps.
  const params: TensorsByName = { [name]: tf.keep(tf.zeros([1])) };
  const state = transformation.init(params);
  for (const slot of Object.values(state)) for (const tensor of Object.values(slot)) tf.keep(tensor);
  // Stands in for every scalar and for the step's loss (polyak reads it): values do not matter.
  const stand = tf.keep(tf.scalar(0));
  let values = new Map<string, number>();
  let keys: string[] = [];
  // One context object for every probe: chain.ts builds its child contexts once per parent.
  const context: StepContext = {
    get step() {
      return step();
    },
    loss: stand,
    scalar(key: string, value: number) {
      values.set(key, value);
      keys.push(key);
      return stand;
    },
  };
  return {
    probe() {
      values = new Map();
      keys = [];
      let created = 0;
      tf.tidy(() => {
        const before = tf.memory().numTensors;
        const global = transformation.global?.(params, state, params, context);
        transformation.update(params, state, params, context, global?.values ?? {});
        created = tf.memory().numTensors - before;
      });
      return { signature: `${keys.join(',')}#${created}`, values };
    },
    dispose() {
      tf.dispose([...Object.values(params), ...Object.values(state).flatMap((slot) => Object.values(slot)), stand]);
    },
  };
}

/**
 * The compile options a step that calls `optimizer` needs: its iteration count advanced after
 * each call (tf.Optimizer keeps it in JavaScript), and for inertia's chains the scalar probe.
 */
export function optimizerCompileOptions(optimizer: TF.Optimizer): CompileOptions {
  // tf.Optimizer's Symbol.hasInstance accepts every optimizer: test for the chain itself.
  const transformation = (optimizer as Partial<ChainOptimizer>).transformation;
  return {
    scalars: transformation ? chainScalarProbe(transformation, () => optimizer.iterations) : undefined,
    afterCall: () => advanceStepCount(optimizer),
  };
}
