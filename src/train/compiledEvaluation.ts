/**
 * A session's evaluations as graph functions: the loss and accuracy totals over a whole split
 * (every batch of it) in one TensorFlow function call, instead of about twenty kernel launches
 * per batch through tfjs-layers. The function runs the same kernels on the same inputs as the
 * eager evaluation (evaluate.ts), so it gives the same numbers; the model's weights are inputs,
 * so a function serves every evaluation and every run of the process with the same shapes
 * (functionRegistry.ts).
 *
 * The first CHECKED_CALLS calls of each function in the process are compared with the eager
 * evaluation and must agree exactly (the eager numbers are kept); a mismatch, a step that cannot
 * be traced or a binding without graph functions makes the evaluator eager for the rest of the
 * run (the training step's runner reports why compiled steps cannot run).
 */
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../backend.js';
import { compileStep, CompileUnavailableError, TraceError, type CompiledStep } from './compile.js';
import { evaluate, evaluationTotals, readEvaluation, type Evaluation, type Forward } from './evaluate.js';

export class SplitEvaluator {
  private compiled: CompiledStep | null = null;
  private eager: boolean;

  constructor(
    private readonly forward: Forward,
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
        this.dispose();
        this.eager = true;
      }
    }
    return evaluate(this.forward, x, labels, this.numClasses, this.batchSize);
  }

  dispose(): void {
    this.compiled?.dispose();
    this.compiled = null;
  }

  private totals(x: TF.Tensor, labels: TF.Tensor): TF.Tensor {
    return evaluationTotals(this.forward, x, labels, this.numClasses, this.batchSize);
  }

  private compiledTotals(x: TF.Tensor, labels: TF.Tensor1D): TF.Tensor {
    this.compiled ??= compileStep(([inputs, targets]) => [this.totals(inputs, targets)]);
    const compiled = this.compiled;
    let agreed = true;
    const totals = tf.tidy(
      () =>
        compiled.run([x, labels], (call) => {
          const [graph] = call();
          const eager = this.totals(x, labels);
          const [a, b] = [graph.dataSync(), eager.dataSync()];
          agreed = a.length === b.length && a.every((value, i) => Object.is(value, b[i]));
          return { outputs: [eager], agreed };
        })[0],
    );
    if (!agreed) {
      // The eager totals were returned: later evaluations of this run are eager too.
      this.dispose();
      this.eager = true;
    }
    return totals;
  }
}
