/**
 * A session's evaluations as graph functions: the loss and accuracy totals over a whole split
 * (every batch of it) in one TensorFlow function call, instead of about twenty kernel launches
 * per batch through tfjs-layers. The function runs the same kernels on the same inputs as the
 * eager evaluation (evaluate.ts), so it gives the same numbers.
 *
 * - The model's weights are inputs: a process keeps one compiled evaluation per model
 *   architecture (kind, hidden sizes, image shape, classes) and evaluation batch size, and a
 *   new run of that architecture points it at its own weights (CompiledStep.rebind, same shapes
 *   checked) instead of tracing again. A second live session of the same architecture (tests,
 *   benchmarks) gets a private one.
 * - The first CHECKED_CALLS calls of each function in the process are compared with the eager
 *   evaluation and must agree exactly (the eager numbers are kept); a mismatch, a step that
 *   cannot be traced or a binding without graph functions makes the evaluator eager for the rest
 *   of the run (the training step's runner reports why compiled steps cannot run).
 */
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../backend.js';
import { compileStep, CompileUnavailableError, TraceError, type CompiledStep } from './compile.js';
import { evaluate, evaluationTotals, readEvaluation, type Evaluation, type Forward } from './evaluate.js';

/** A compiled evaluation and the model it currently evaluates. */
interface Shared {
  compiled: CompiledStep;
  forward: Forward;
  weights: TF.Variable[];
  inUse: boolean;
}

const shared = new Map<string, Shared>();

/** What a {@link SplitEvaluator} evaluates. */
export interface EvaluatedModel {
  forward: Forward;
  /** Every weight of the model, in the model's order. */
  weights: TF.Variable[];
  /** Identifies the architecture: models with the same key differ only in their weights' values. */
  architecture: string;
}

export class SplitEvaluator {
  private entry: Shared | null = null;
  private eager: boolean;

  constructor(
    private readonly model: EvaluatedModel,
    private readonly numClasses: number,
    private readonly batchSize: number,
    compile: boolean,
  ) {
    this.eager = !compile;
  }

  /** Loss and accuracy of the model on (x, labels). */
  evaluate(x: TF.Tensor, labels: TF.Tensor1D): Evaluation {
    if (!this.eager) {
      try {
        return readEvaluation(this.compiledTotals(x, labels), x.shape[0]);
      } catch (error) {
        if (!(error instanceof TraceError || error instanceof CompileUnavailableError)) throw error;
        this.stopCompiling();
      }
    }
    return evaluate(this.model.forward, x, labels, this.numClasses, this.batchSize);
  }

  /** Lets the next run of the architecture use the compiled evaluation. */
  dispose(): void {
    if (this.entry !== null) this.entry.inUse = false;
    this.entry = null;
  }

  private key(): string {
    return JSON.stringify([this.model.architecture, this.numClasses, this.batchSize]);
  }

  /** The compiled evaluation, pointed at this model's weights. */
  private acquire(): Shared {
    if (this.entry !== null) return this.entry;
    const key = this.key();
    const known = shared.get(key);
    let entry: Shared;
    if (known !== undefined && !known.inUse) {
      const index = new Map(known.weights.map((weight, i) => [weight, i] as const));
      const weights = this.model.weights;
      known.compiled.rebind((variable) => weights[index.get(variable) ?? -1] ?? variable);
      entry = Object.assign(known, { forward: this.model.forward, weights });
    } else {
      entry = {
        compiled: compileStep(([x, labels]) => [this.totalsOf(entry.forward, x, labels)]),
        forward: this.model.forward,
        weights: this.model.weights,
        inUse: false,
      };
      if (known === undefined) shared.set(key, entry);
    }
    entry.inUse = true;
    this.entry = entry;
    return entry;
  }

  private totalsOf(forward: Forward, x: TF.Tensor, labels: TF.Tensor): TF.Tensor {
    return evaluationTotals(forward, x, labels, this.numClasses, this.batchSize);
  }

  private compiledTotals(x: TF.Tensor, labels: TF.Tensor1D): TF.Tensor {
    const { compiled } = this.acquire();
    let agreed = true;
    const totals = tf.tidy(
      () =>
        compiled.run([x, labels], (call) => {
          const [graph] = call();
          const eager = this.totalsOf(this.model.forward, x, labels);
          const [a, b] = [graph.dataSync(), eager.dataSync()];
          agreed = a.length === b.length && a.every((value, i) => Object.is(value, b[i]));
          return { outputs: [eager], agreed };
        })[0],
    );
    // The eager totals were returned: later evaluations of this run are eager too.
    if (!agreed) this.stopCompiling();
    return totals;
  }

  /** Eager from here on; the compiled evaluation is dropped (its functions unregistered unless verified). */
  private stopCompiling(): void {
    const entry = this.entry;
    this.eager = true;
    this.entry = null;
    if (entry === null) return;
    entry.compiled.dispose();
    if (shared.get(this.key()) === entry) shared.delete(this.key());
  }
}
