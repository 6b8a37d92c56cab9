/**
 * An optimizer's step count, advanced and rewound from outside a step. tf.Optimizer keeps the
 * count in JavaScript (`iterations`, read-only) and advances it at the end of applyGradients.
 * A compiled step (one graph function call) runs no JavaScript, so its caller advances the
 * count; a check that runs one step twice from the same state puts it back between the runs.
 * tfjs-core offers no synchronous setter (setWeights is async and takes the whole state), so
 * this module is the one place that reaches tf.Optimizer's protected counter, for any optimizer
 * (tf.train's, inertia's chains, a user's subclass).
 */
import type * as TF from '@tensorflow/tfjs-core';

/** tf.Optimizer's protected members behind `iterations` (tfjs-core optimizer.ts). */
interface StepCounter {
  iterations_: number;
  incrementIterations(): void;
}

function counterOf(optimizer: TF.Optimizer): StepCounter {
  return optimizer as unknown as StepCounter;
}

/** Counts one step, as applyGradients does at its end. */
export function advanceStepCount(optimizer: TF.Optimizer): void {
  counterOf(optimizer).incrementIterations();
}

/** Saves the step count; the returned function puts it back (the state tensors are the caller's to restore). */
export function markStepCount(optimizer: TF.Optimizer): () => void {
  const iterations = optimizer.iterations;
  return () => {
    counterOf(optimizer).iterations_ = iterations;
  };
}
