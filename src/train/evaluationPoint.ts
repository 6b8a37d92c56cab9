/**
 * Where a run evaluates its model: at the variables, or at the optimizer's evaluation point
 * when it has one (schedule-free keeps the gradient point y in the variables and is evaluated
 * at x: ChainOptimizer.evaluationParams). Evaluations swap that point into the variables and
 * restore them bit for bit afterwards, so training continues undisturbed.
 */
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../backend.js';

interface EvaluatingOptimizer {
  readonly evaluationPoint?: string | null;
  evaluationParams?(): Record<string, TF.Tensor> | null;
}

/** The optimizer's evaluation point in a few words (`schedule-free x`), or null: evaluated at the variables. */
export function evaluationPointOf(optimizer: TF.Optimizer): string | null {
  return (optimizer as EvaluatingOptimizer).evaluationPoint ?? null;
}

/**
 * `evaluate()` with the optimizer's evaluation point in the model's variables (found by name),
 * which are restored afterwards; `evaluate()` alone when the optimizer has none.
 */
export function atEvaluationPoint<T>(optimizer: TF.Optimizer, evaluate: () => T): T {
  const points = (optimizer as EvaluatingOptimizer).evaluationParams?.() ?? null;
  const names = points === null ? [] : Object.keys(points);
  if (names.length === 0) return evaluate();
  const registered = tf.engine().registeredVariables;
  const saved = names.map((name) => tf.keep(registered[name].clone()));
  try {
    names.forEach((name) => registered[name].assign(points![name]));
    return evaluate();
  } finally {
    names.forEach((name, i) => registered[name].assign(saved[i]));
    tf.dispose([...saved, ...Object.values(points!)]);
  }
}
