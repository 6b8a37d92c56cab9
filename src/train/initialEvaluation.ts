/**
 * The evaluation of a run's initial weights, made once per process for runs that start from the
 * same weights on the same data. Initial weights depend on the model and the seed only, so in a
 * study every run of a seed (all its optimizers and learning rates) starts from them; its loss
 * and accuracy on the training and held-out splits at step 0 are the same numbers each time.
 *
 * Keyed by the split objects themselves (runSplits shares them between runs) and by the model
 * (with the training split's evaluation subset), the evaluation batch size and a hash of the
 * initial weights' bytes: anything else gets its own evaluation.
 */
import { createHash } from 'node:crypto';
import type * as TF from '@tensorflow/tfjs';
import type { Split } from '../data/index.js';
import type { Evaluation } from '../graph/evaluate.js';

type BothEvaluations = { train: Evaluation; test: Evaluation };

const made = new WeakMap<Split, WeakMap<Split, Map<string, BothEvaluations>>>();

function weightsKey(weights: readonly TF.Tensor[]): string {
  const hash = createHash('sha256');
  for (const weight of weights) {
    const values = weight.dataSync();
    hash.update(`${weight.dtype}[${weight.shape.join(',')}]`);
    hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  }
  return hash.digest('hex');
}

/**
 * `evaluate()` for the initial weights `weights` of a `model` on (`train`, `heldOut`), or the
 * numbers an earlier run of this process got for the same ones.
 */
export function initialEvaluation(
  data: { train: Split; heldOut: Split },
  model: { spec: unknown; evalBatchSize: number; weights: readonly TF.Tensor[] },
  evaluate: () => BothEvaluations,
): BothEvaluations {
  const byHeldOut = made.get(data.train) ?? new WeakMap<Split, Map<string, BothEvaluations>>();
  made.set(data.train, byHeldOut);
  const evaluations = byHeldOut.get(data.heldOut) ?? new Map<string, BothEvaluations>();
  byHeldOut.set(data.heldOut, evaluations);
  const key = JSON.stringify([model.spec, model.evalBatchSize, weightsKey(model.weights)]);
  let evaluation = evaluations.get(key);
  if (evaluation === undefined) {
    evaluation = evaluate();
    evaluations.set(key, evaluation);
  }
  return { train: { ...evaluation.train }, test: { ...evaluation.test } };
}
