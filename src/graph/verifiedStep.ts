/**
 * A computation (a training step, a loss at a point, a Hessian-vector product) run as a
 * compiled step (compile.ts) where it verifies against its eager run, and eagerly otherwise:
 *
 * 1. the first `eagerCalls` calls are eager (a training step's first call allocates the
 *    optimizer's state);
 * 2. the next call is traced (an eager run, recorded) and becomes a TensorFlow function;
 * 3. a call is checked when its function is not verified in this process yet (its first
 *    CHECKED_CALLS calls, compile.ts), and the first `ownChecks` calls of this VerifiedStep are
 *    checked whatever the process verified before: every variable and the optimizer's step count
 *    are put back after the call (a mark, then a rewind), the eager computation runs from the
 *    same state, and its outputs and every variable must agree with the call's: to a relative
 *    tolerance (`check: { tolerance }`: |compiled - eager| <= tolerance * (1 + max |eager|) per
 *    tensor) or element for element (`check: 'exact'`, Object.is). The eager results are kept;
 * 4. every other call is one function call.
 *
 * Functions are shared by every computation of the process that traces the same graph
 * (functionRegistry.ts): a function verified in an earlier run is not checked again unless
 * `ownChecks` asks for it.
 *
 * Whatever fails (no graph functions in the binding, a computation that cannot be traced, a
 * check that disagreed) makes the step eager for the rest of its life, the reason in
 * `mode.fallback`: with mode `auto` silently or, with `warn`, after one line on stderr (once
 * per reason and process); with mode `on` as an error saying why. Mode `off` runs eagerly.
 */
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../backend.js';
import { markStepCount } from '../optimizers/stepCount.js';
import { UserError } from '../util/errors.js';
import {
  compileStep,
  CompileUnavailableError,
  optimizerCompileOptions,
  TraceError,
  type CompiledStep,
  type CompileOptions,
  type StepFunction,
} from './compile.js';
import { defaultCompileMode, type CompileMode } from './compileMode.js';
import { registeredVariables } from './graphTrace.js';

/** The tolerance of training steps: compiled kernels may fuse and round differently. */
export const VERIFY_TOLERANCE = 1e-5;

/** Calls of each exactly checked step (the study's probes) checked against the eager computation. */
export const EXACT_CHECKS = 2;

/** How a checked call must agree with the eager computation. */
export type StepCheck = 'exact' | { tolerance: number };

export interface VerifiedStepOptions {
  /** Default: $INERTIA_COMPILE, else auto. */
  mode?: CompileMode;
  check: StepCheck;
  /**
   * The optimizer the computation steps, if any: its compile options (optimizerCompileOptions:
   * step count, scalar probe), and its step count marked and rewound around a check.
   */
  optimizer?: TF.Optimizer;
  /** Calls that run eagerly before the first trace (default 0). */
  eagerCalls?: number;
  /** Calls of this step checked whatever the process verified before (default 0). */
  ownChecks?: number;
  /** Announce a fallback in `auto` mode with one line on stderr (default false: `mode.fallback` only). */
  warn?: boolean;
}

/** What a step ended up doing, for run.json and the bench. */
export interface StepMode {
  compile: CompileMode;
  /** Whether compiled calls run (after their check). */
  compiled: boolean;
  /** Why they do not, or null (also under mode off). */
  fallback: string | null;
}

const warned = new Set<string>();

function warnOnce(reason: string): void {
  if (warned.has(reason)) return;
  warned.add(reason);
  // The one line this fallback is allowed: the user must know why training is slower.
  process.stderr.write(`inertia: warning: training with eager steps: ${reason}\n`);
}

/** Whether every tensor of `a` equals the one of `b` in dtype, shape and every element (Object.is). */
export function identical(a: readonly TF.Tensor[], b: readonly TF.Tensor[]): boolean {
  return (
    a.length === b.length &&
    a.every((t, i) => {
      const other = b[i];
      if (t.dtype !== other.dtype || t.shape.join(',') !== other.shape.join(',')) return false;
      const [x, y] = [t.dataSync(), other.dataSync()];
      for (let k = 0; k < x.length; k++) if (!Object.is(x[k], y[k])) return false;
      return true;
    })
  );
}

/**
 * max |a - b| / (1 + max |b|) over the tensors, |b| over its finite elements, read back in one
 * transfer. Equal elements differ by 0, infinite ones too (inf - inf would be NaN: a state may
 * start at +inf, as reduceOnPlateau's best value does).
 */
function relativeDifference(a: readonly TF.Tensor[], b: readonly TF.Tensor[]): number {
  return tf.tidy(() => {
    const difference = (t: TF.Tensor, u: TF.Tensor) => tf.where(tf.equal(t, u), tf.zerosLike(t), tf.abs(tf.sub(t, u)));
    const scale = (u: TF.Tensor) => tf.max(tf.where(tf.isFinite(u), tf.abs(u), tf.zerosLike(u)));
    const ratios = a.map((t, i) => tf.div(tf.max(difference(t, b[i])), tf.add(scale(b[i]), 1)));
    return ratios.length === 0 ? 0 : tf.max(tf.stack(ratios)).dataSync()[0];
  });
}

/** Why `compiled` does not agree with `eager` under `check`, or null when it does. */
function disagreement(check: StepCheck, compiled: readonly TF.Tensor[], eager: readonly TF.Tensor[]): string | null {
  const prefix = 'the compiled step disagreed with the eager one';
  if (check === 'exact') return identical(compiled, eager) ? null : `${prefix} (not bit for bit)`;
  if (compiled.length !== eager.length) return `${prefix} (${compiled.length} tensors against ${eager.length})`;
  const difference = relativeDifference(compiled, eager);
  return difference <= check.tolerance
    ? null
    : `${prefix} (relative difference ${difference.toExponential(2)} > ${check.tolerance})`;
}

function keptClones(variables: readonly TF.Variable[]): TF.Tensor[] {
  return variables.map((v) => tf.keep(v.clone()));
}

export class VerifiedStep {
  private compiled: CompiledStep | null = null;
  private readonly compileMode: CompileMode;
  private calls = 0;
  private ownChecksPassed = 0;
  private fallback: string | null = null;
  /** Calls that ran as a graph function (checked ones included). */
  compiledCalls = 0;

  constructor(
    private readonly computation: StepFunction,
    private readonly options: VerifiedStepOptions,
  ) {
    this.compileMode = options.mode ?? defaultCompileMode();
  }

  /** The computation on `inputs`, compiled where it verifies; the caller owns the outputs. */
  run(inputs: TF.Tensor[]): TF.Tensor[] {
    this.calls += 1;
    if (!this.compiling || this.calls <= (this.options.eagerCalls ?? 0)) return this.computation(inputs);
    const rewind = this.mark();
    try {
      this.compiled ??= this.compile();
      return this.compiledRun(this.compiled, inputs, rewind);
    } catch (error) {
      if (!(error instanceof TraceError || error instanceof CompileUnavailableError)) throw error;
      // A refused trace put the variables back (compile.ts); the step count goes back here.
      rewind();
      this.fallBack(error.message);
      return this.computation(inputs);
    }
  }

  get mode(): StepMode {
    return {
      compile: this.compileMode,
      compiled: this.compiling && this.calls >= (this.options.eagerCalls ?? 0),
      fallback: this.fallback,
    };
  }

  dispose(): void {
    this.compiled?.dispose();
    this.compiled = null;
  }

  private get compiling(): boolean {
    return this.compileMode !== 'off' && this.fallback === null;
  }

  /** Saves the state outside tensors that a run changes (the optimizer's step count); returns what puts it back. */
  private mark(): () => void {
    const { optimizer } = this.options;
    return optimizer ? markStepCount(optimizer) : () => {};
  }

  private compile(): CompiledStep {
    const { optimizer } = this.options;
    const options: CompileOptions = optimizer ? optimizerCompileOptions(optimizer) : {};
    try {
      return compileStep(this.computation, options);
    } catch (error) {
      options.scalars?.dispose();
      throw error;
    }
  }

  /**
   * One compiled call, checked against the eager computation when the registry asks for it
   * (compile.ts: CallCheck, a function not verified in this process) or this step's own checks
   * are not done; a checked call gives the eager results.
   */
  private compiledRun(compiled: CompiledStep, inputs: TF.Tensor[], rewind: () => void): TF.Tensor[] {
    const variables = registeredVariables();
    const own = this.ownChecksPassed < (this.options.ownChecks ?? 0);
    let before = own ? keptClones(variables) : null;
    // Why the checked call's outputs differ from the eager ones (null: they agree; absent: not checked).
    const verdict: { reason?: string | null } = {};
    // The eager results from the state before the call; `verdict` says whether the call's agree.
    const againstEager = (outputs: TF.Tensor[]): TF.Tensor[] => {
      const after = keptClones(variables);
      try {
        variables.forEach((v, i) => v.assign((before as TF.Tensor[])[i]));
        rewind();
        const eager = this.computation(inputs);
        verdict.reason = disagreement(this.options.check, [...outputs, ...after], [...eager, ...variables]);
        return eager;
      } finally {
        tf.dispose([...after, ...outputs]);
      }
    };
    try {
      const [traces, calls] = [compiled.traces, compiled.calls];
      const outputs = compiled.run(inputs, (call) => {
        before ??= keptClones(variables);
        const eager = againstEager(call());
        return { outputs: eager, agreed: verdict.reason === null };
      });
      // The first call of a signature was the trace: an eager run already.
      if (compiled.traces > traces) return outputs;
      this.compiledCalls += compiled.calls - calls;
      const results = verdict.reason === undefined && own ? againstEager(outputs) : outputs;
      const { reason } = verdict;
      if (reason === null && own) this.ownChecksPassed += 1;
      if (typeof reason === 'string') {
        // The state is the eager run's: the step goes on eagerly from here.
        try {
          this.fallBack(reason);
        } catch (error) {
          tf.dispose(results);
          throw error;
        }
      }
      return results;
    } finally {
      if (before !== null) tf.dispose(before);
    }
  }

  /** Switches to eager runs for good: silently or with a warning (auto), or an error (on). */
  private fallBack(reason: string): void {
    this.dispose();
    this.fallback = reason;
    if (this.compileMode === 'on') throw new UserError(`--compile on: compiled steps cannot run: ${reason}`);
    if (this.options.warn) warnOnce(reason);
  }
}
