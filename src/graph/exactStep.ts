/**
 * A computation that must give exactly the numbers of its eager run, run as a compiled step
 * (compile.ts) where it can: the study's probes repeat small computations (a training step, a
 * loss at a point, a Hessian-vector product) thousands of times, and eagerly most of their cost
 * is the ~50 us dispatch of each kernel. A graph function runs the same kernels on the same
 * inputs, so its outputs are the eager ones bit for bit; the checks below make sure of it.
 *
 * - The first call of each input signature is the trace (an eager run, recorded).
 * - The first {@link EXACT_CHECKS} function calls of each ExactStep are checked: every variable
 *   (and what `mark` saves) is put back after the call and the eager computation runs from the
 *   same state; its outputs and every variable must be equal to the call's element for element
 *   (Object.is), and the eager results are kept. Each ExactStep checks its own calls, whichever
 *   functions the process has verified before (their check may have allowed a tolerance); its
 *   checks also verify the function for the process (functionRegistry.ts), so the next
 *   ExactStep of the same computation (the next run's probe) reuses it.
 * - Mode `off`, a binding without graph functions (cpu backend), a computation that cannot be
 *   traced or a check that disagreed: eager for the rest of the ExactStep's life, with the reason
 *   in `fallback` (mode `on`: an error saying why).
 */
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../backend.js';
import { UserError } from '../util/errors.js';
import {
  compileStep,
  CompileUnavailableError,
  TraceError,
  type CompiledStep,
  type CompileOptions,
  type StepFunction,
} from './compile.js';
import { defaultCompileMode, type CompileMode } from './compileMode.js';
import { registeredVariables } from './graphTrace.js';

/** Function calls of each ExactStep checked against the eager computation. */
export const EXACT_CHECKS = 2;

export interface ExactStepOptions {
  /** Default: $INERTIA_COMPILE, else auto. */
  mode?: CompileMode;
  /** Makes compileStep's options (an optimizer's: optimizerCompileOptions), when a step is compiled. */
  compile?: () => CompileOptions;
  /**
   * Saves the state outside tensors that the computation changes (an optimizer's step count)
   * and returns what puts it back; a check runs the computation twice from the same state.
   */
  mark?: () => () => void;
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

export class ExactStep {
  private compiled: CompiledStep | null = null;
  private checks = 0;
  private readonly mode: CompileMode;
  /** Why the computation runs eagerly (null while it may run compiled; mode off gives its own reason). */
  fallback: string | null;

  constructor(
    private readonly computation: StepFunction,
    private readonly options: ExactStepOptions = {},
  ) {
    this.mode = options.mode ?? defaultCompileMode();
    this.fallback = this.mode === 'off' ? 'compiled steps are off' : null;
  }

  /** Calls that ran as a graph function (checked ones included). */
  compiledCalls = 0;

  /** The computation on `inputs`, compiled where it can be; the caller owns the outputs. */
  run(inputs: TF.Tensor[]): TF.Tensor[] {
    if (this.fallback !== null) return this.computation(inputs);
    const rewind = this.options.mark?.();
    try {
      this.compiled ??= this.compile();
      if (this.checks < EXACT_CHECKS) return this.checked(this.compiled, inputs);
      const calls = this.compiled.calls;
      const outputs = this.compiled.run(inputs);
      this.compiledCalls += this.compiled.calls - calls;
      return outputs;
    } catch (error) {
      if (!(error instanceof TraceError || error instanceof CompileUnavailableError)) throw error;
      // A refused trace put the variables back (compile.ts); the rest of the state goes back here.
      rewind?.();
      this.stop(error.message);
      return this.computation(inputs);
    }
  }

  /** The computation run eagerly (an optimizer's first step, which allocates its state). */
  eager(inputs: TF.Tensor[]): TF.Tensor[] {
    return this.computation(inputs);
  }

  dispose(): void {
    this.compiled?.dispose();
    this.compiled = null;
  }

  private compile(): CompiledStep {
    const options = this.options.compile?.() ?? {};
    try {
      return compileStep(this.computation, options);
    } catch (error) {
      options.scalars?.dispose();
      throw error;
    }
  }

  /**
   * One call checked against the eager computation from the same state; the eager results are
   * kept. The check is also the registry's (compile.ts: CallCheck) while the function is not
   * verified in this process, so a later run's ExactStep calls the same function without
   * registering it again; a function verified before is checked here all the same.
   */
  private checked(compiled: CompiledStep, inputs: TF.Tensor[]): TF.Tensor[] {
    const traces = compiled.traces;
    const variables = registeredVariables();
    const before = variables.map((v) => tf.keep(v.clone()));
    const rewind = this.options.mark?.();
    let agreed = false;
    // The eager results from the state before the call, and whether the call's are equal.
    const againstEager = (outputs: TF.Tensor[]): TF.Tensor[] => {
      const after = variables.map((v) => tf.keep(v.clone()));
      try {
        variables.forEach((v, i) => v.assign(before[i]));
        rewind?.();
        const eager = this.computation(inputs);
        agreed = identical(outputs, eager) && identical(after, variables);
        return eager;
      } finally {
        tf.dispose([...after, ...outputs]);
      }
    };
    try {
      let checkedByCall = false;
      const outputs = compiled.run(inputs, (call) => {
        checkedByCall = true;
        const eager = againstEager(call());
        return { outputs: eager, agreed };
      });
      // The first call of a signature was the trace: an eager run already.
      if (compiled.traces > traces) return outputs;
      this.compiledCalls += 1;
      const results = checkedByCall ? outputs : againstEager(outputs);
      if (agreed) this.checks += 1;
      else this.stop('the compiled computation disagreed with the eager one');
      return results;
    } finally {
      tf.dispose(before);
    }
  }

  private stop(reason: string): void {
    this.dispose();
    this.fallback = reason;
    if (this.mode === 'on') throw new UserError(`--compile on: compiled probes cannot run: ${reason}`);
  }
}
