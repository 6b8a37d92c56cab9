/**
 * The training loop's optimizer step, eager or compiled (compile.ts), with the checks that make
 * the compiled one safe to use by default:
 *
 * 1. the first step is eager (optimizers allocate their state then);
 * 2. the second is traced (an eager step, recorded) and becomes a TensorFlow function;
 * 3. the first CHECKED_CALLS (compile.ts) calls of every function (the full batch's, the last partial
 *    batch's, a stage's second course) each run both ways from the same state: compiled, then
 *    the state is put back and the eager step runs; loss and every variable must agree to float
 *    tolerance, and the eager results are kept;
 * 4. every other step is one function call.
 *
 * The check proves the function, not the run: functions are shared by every run of the process
 * that traces the same graph (hyperparameters are inputs; functionRegistry.ts), so a function
 * verified in an earlier run is not checked again.
 *
 * Whatever fails (no graph functions in the binding, a step that cannot be traced, a mismatch)
 * makes the runner eager for the rest of the run: with mode `auto` after one warning line on
 * stderr (once per reason and process), with mode `on` as an error.
 */
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../backend.js';
import { applyGradientsWithLoss } from '../optimizers/index.js';
import { UserError } from '../util/errors.js';
import { registeredVariables } from './graphTrace.js';
import {
  compileStep,
  CompiledStep,
  CompileUnavailableError,
  optimizerCompileOptions,
  TraceError,
  type CallCheck,
} from './compile.js';
import type { CompileMode } from './compileMode.js';

/** Largest disagreement accepted by the check: |compiled - eager| <= tolerance * (1 + max |eager|) per tensor. */
export const VERIFY_TOLERANCE = 1e-5;

const warned = new Set<string>();

function warnOnce(reason: string): void {
  if (warned.has(reason)) return;
  warned.add(reason);
  // The one line this fallback is allowed: the user must know why training is slower.
  process.stderr.write(`inertia: warning: training with eager steps: ${reason}\n`);
}

interface OptimizerInternals {
  iterations_: number;
  incrementIterations(): void;
}

function internals(optimizer: TF.Optimizer): OptimizerInternals {
  return optimizer as unknown as OptimizerInternals;
}

/**
 * max |a - b| / (1 + max |b|) over the finite elements of b, read back in one transfer. Equal
 * elements differ by 0, infinite ones too (inf - inf would be NaN: a state may start at +inf,
 * as reduceOnPlateau's best value does).
 */
function relativeDifference(a: readonly TF.Tensor[], b: readonly TF.Tensor[]): number {
  return tf.tidy(() => {
    const difference = (t: TF.Tensor, u: TF.Tensor) => tf.where(tf.equal(t, u), tf.zerosLike(t), tf.abs(tf.sub(t, u)));
    const scale = (u: TF.Tensor) => tf.max(tf.where(tf.isFinite(u), tf.abs(u), tf.zerosLike(u)));
    const ratios = a.map((t, i) => tf.div(tf.max(difference(t, b[i])), tf.add(scale(b[i]), 1)));
    return ratios.length === 0 ? 0 : tf.max(tf.stack(ratios)).dataSync()[0];
  });
}

export interface StepRunnerOptions {
  mode: CompileMode;
  optimizer: TF.Optimizer;
  variables: TF.Variable[];
  /**
   * The objective of a step's inputs (loss already scaled), differentiated with respect to
   * `variables`. The inputs may be the batch itself or what selects it (rows of a dataset
   * passed whole): either way they are the compiled function's inputs, and everything the
   * objective computes from them is inside the function.
   */
  objective: (inputs: TF.Tensor[]) => TF.Scalar;
}

/** What the runner ended up doing, for run.json and the bench. */
export interface StepMode {
  compile: CompileMode;
  /** Whether compiled steps ran (after their check). */
  compiled: boolean;
  /** Why they did not, or null. */
  fallback: string | null;
}

export class StepRunner {
  private compiled: CompiledStep | null = null;
  private phase: 'eager' | 'first' | 'compiled';
  private fallback: string | null = null;

  constructor(private readonly options: StepRunnerOptions) {
    this.phase = options.mode === 'off' ? 'eager' : 'first';
  }

  /** One training step on `inputs`; returns the step's objective value (the caller owns it). */
  step(inputs: TF.Tensor[]): TF.Scalar {
    switch (this.phase) {
      case 'eager':
        return this.eager(inputs);
      case 'first':
        this.phase = 'compiled';
        return this.eager(inputs);
      default:
        return this.compiledStep(inputs);
    }
  }

  get mode(): StepMode {
    return {
      compile: this.options.mode,
      compiled: this.phase === 'compiled',
      fallback: this.fallback,
    };
  }

  dispose(): void {
    this.compiled?.dispose();
    this.compiled = null;
  }

  private eager(inputs: TF.Tensor[]): TF.Scalar {
    const { value, grads } = tf.variableGrads(() => this.options.objective(inputs), this.options.variables);
    applyGradientsWithLoss(this.options.optimizer, grads, value);
    tf.dispose(grads);
    return value;
  }

  private compiledStep(inputs: TF.Tensor[]): TF.Scalar {
    const iterations = this.options.optimizer.iterations;
    try {
      if (this.compiled === null) this.compiled = this.compile();
      return this.compiled.run(inputs, (call) => this.check(call, inputs))[0] as TF.Scalar;
    } catch (error) {
      if (!(error instanceof TraceError || error instanceof CompileUnavailableError)) throw error;
      this.fallBack(error.message);
      internals(this.options.optimizer).iterations_ = iterations;
      return this.eager(inputs);
    }
  }

  private compile(): CompiledStep {
    return compileStep((inputs) => [this.eager(inputs)], optimizerCompileOptions(this.options.optimizer));
  }

  /** One step on `inputs` both ways from the same state (`call` is the compiled one); the eager results are kept. */
  private check(call: () => TF.Tensor[], inputs: TF.Tensor[]): ReturnType<CallCheck> {
    const variables = registeredVariables();
    const iterations = this.options.optimizer.iterations;
    const before = variables.map((v) => tf.keep(v.clone()));
    let compiledLoss: TF.Tensor | null = null;
    let compiledValues: TF.Tensor[] = [];
    try {
      [compiledLoss] = call();
      compiledValues = variables.map((v) => tf.keep(v.clone()));
      variables.forEach((v, i) => v.assign(before[i]));
      internals(this.options.optimizer).iterations_ = iterations;
      const loss = this.eager(inputs);
      const difference = relativeDifference([compiledLoss, ...compiledValues], [loss, ...variables]);
      if (!(difference <= VERIFY_TOLERANCE)) {
        // The state is the eager step's: the run goes on eagerly from here.
        this.fallBack(
          `the compiled step disagreed with the eager one (relative difference ${difference.toExponential(2)} > ${VERIFY_TOLERANCE})`,
        );
        return { outputs: [loss], agreed: false };
      }
      return { outputs: [loss], agreed: true };
    } finally {
      tf.dispose([...before, ...compiledValues]);
      if (compiledLoss !== null) compiledLoss.dispose();
    }
  }

  /** Switches to eager steps for good: a warning (auto) or an error (on). */
  private fallBack(reason: string): void {
    this.compiled?.dispose();
    this.compiled = null;
    this.phase = 'eager';
    this.fallback = reason;
    if (this.options.mode === 'on') throw new UserError(`--compile on: compiled steps cannot run: ${reason}`);
    warnOnce(reason);
  }
}
