/**
 * Measurements on a model that are not training runs: the top Hessian eigenvalue at
 * initialisation, the accuracy along the ray w0 - t g0 that pure momentum (one gradient step)
 * is confined to, and the step c*(t) the weights need along an EMA velocity. Each builds the
 * run's own model (same seed, same initial weights) on the run's own training examples, so
 * the numbers belong to the runs they are compared with; each frees what it allocates.
 *
 * The computations lambda_max and c*(t) repeat thousands of times (Hessian-vector products,
 * training steps, losses along the velocity) run as compiled steps checked to give exactly the
 * eager numbers (RunProbe.exactStep, train/runProbe.ts); `mode` (default $INERTIA_COMPILE, else
 * auto) `off` runs them eagerly.
 */
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../backend.js';
import type { Dataset } from '../data/index.js';
import type { CompileMode } from '../graph/compileMode.js';
import type { VerifiedStep } from '../graph/verifiedStep.js';
import {
  hessianVectorProduct,
  largestHessianEigenvalue,
  type EigenEstimate,
  type HessianProduct,
} from '../train/curvature.js';
import type { TrainConfig } from '../train/config.js';
import { RunProbe, type ProbeBatch } from '../train/runProbe.js';
import { minimiseOverLogStep } from './lineSearch.js';

/**
 * lambda_max of the Hessian of the unscaled training loss at the run's initial weights, on
 * the first `examples` training examples (a fixed batch: the same for every seed).
 */
export function lambdaMaxAtInit(
  dataset: Dataset,
  config: TrainConfig,
  examples: number,
  mode?: CompileMode,
): EigenEstimate {
  const probe = new RunProbe(dataset, config, mode);
  const { x, y } = probe.firstExamples(examples);
  const products = new Map<number, VerifiedStep>();
  // H v on (x, y), one exact step per finite-difference step (a power iteration uses one).
  const product: HessianProduct = (direction, eps) => {
    let step = products.get(eps);
    if (step === undefined) {
      step = probe.exactStep(([batchX, batchY, ...vector]) =>
        hessianVectorProduct(() => probe.loss(batchX, batchY), probe.variables, vector, eps),
      );
      products.set(eps, step);
    }
    return step.run([x, y, ...direction]);
  };
  try {
    return largestHessianEigenvalue(() => probe.loss(x, y), probe.variables, {
      tolerance: 1e-3,
      maxIterations: 60,
      product,
    });
  } finally {
    products.forEach((step) => step.dispose());
    tf.dispose([x, y]);
    probe.dispose();
  }
}

export interface RayPoint {
  t: number;
  /** Accuracy on the run's held-out split (the test split for final runs). */
  testAccuracy: number;
}

/**
 * Test accuracy at w0 - t g0 for every t, where g0 is the gradient of the run's first
 * minibatch at its initial weights (the one gradient pure momentum with k = 1 ever sees):
 * whatever alpha, mu and s, every weight vector that run visits lies on this ray.
 */
export function rayAccuracies(dataset: Dataset, config: TrainConfig, ts: readonly number[]): RayPoint[] {
  const probe = new RunProbe(dataset, config);
  const batch = probe.firstBatch();
  const initial = probe.variables.map((v) => tf.keep(v.clone()));
  const { value, grads } = tf.variableGrads(() => probe.loss(batch.x, batch.y), probe.variables);
  value.dispose();
  const g0 = probe.variables.map((v) => grads[v.name]);
  try {
    return ts.map((t) => {
      probe.variables.forEach((v, i) => tf.tidy(() => v.assign(tf.sub(initial[i], tf.mul(g0[i], t)))));
      return { t, testAccuracy: probe.heldOutAccuracy() };
    });
  } finally {
    tf.dispose([...initial, ...g0, ...Object.values(grads), batch.x, batch.y]);
    probe.dispose();
  }
}

export interface StepMeasurement {
  step: number;
  /** argmin_c L(w - c v) on the fixed batch (unscaled loss). */
  bestStep: number;
  /** The step the optimizer itself applies to v at this point (its learning rate). */
  appliedStep: number;
  atBoundary: boolean;
}

/**
 * L(w - c v) on a batch: inputs [c (a scalar), x, y, ...w, ...v]; the model's variables are
 * left at w - c v.
 */
function pointLoss(probe: RunProbe): VerifiedStep {
  const count = probe.variables.length;
  return probe.exactStep(([c, x, y, ...along]) => {
    probe.variables.forEach((v, i) => tf.tidy(() => v.assign(tf.sub(along[i], tf.mul(along[count + i], c)))));
    return [probe.loss(x, y)];
  });
}

function lossAlong(pointLossStep: VerifiedStep, weights: TF.Tensor[], velocity: TF.Tensor[], batch: ProbeBatch) {
  return (c: number): number =>
    tf.tidy(() => pointLossStep.run([tf.scalar(c), batch.x, batch.y, ...weights, ...velocity])[0].dataSync()[0]);
}

/** c*(t) along the velocity at the step's weights; the weights are restored afterwards. */
function measureStep(
  probe: RunProbe,
  pointLossStep: VerifiedStep,
  optimizer: TF.Optimizer,
  step: number,
  scale: number,
  batch: ProbeBatch,
) {
  const source = optimizer as unknown as { velocity(): Record<string, TF.Tensor> | null };
  const byName = source.velocity();
  if (byName === null) throw new Error('The line search needs an optimizer with a velocity slot');
  const velocity = probe.variables.map((v) => byName[v.name]);
  const weights = probe.variables.map((v) => v.clone());
  try {
    const result = minimiseOverLogStep(lossAlong(pointLossStep, weights, velocity, batch), {
      low: 1e-4 / scale,
      high: 1e4 / scale,
      gridPoints: 33,
    });
    return { step, bestStep: result.best, atBoundary: result.atBoundary };
  } finally {
    probe.variables.forEach((v, i) => v.assign(weights[i]));
    tf.dispose(weights);
  }
}

/**
 * Trains the run of `config` (an optimizer with a velocity, learning rate `appliedStep`)
 * in this process for the largest checkpoint's number of steps, and at each checkpoint
 * finds c*(t) = argmin_c L(w - c v) on the first `examples` training examples.
 */
export function velocityLineSearch(
  dataset: Dataset,
  config: TrainConfig,
  appliedStep: number,
  checkpoints: readonly number[],
  examples: number,
  mode?: CompileMode,
): StepMeasurement[] {
  const probe = new RunProbe(dataset, config, mode);
  const fixed = probe.firstExamples(examples);
  const training = probe.training();
  const pointLossStep = pointLoss(probe);
  const measurements: StepMeasurement[] = [];
  try {
    for (let step = 1; step <= Math.max(...checkpoints); step++) {
      training.step(step);
      if (checkpoints.includes(step)) {
        const measured = measureStep(probe, pointLossStep, training.optimizer, step, config.lossScale, fixed);
        measurements.push({ ...measured, appliedStep });
      }
    }
    return measurements;
  } finally {
    training.dispose();
    pointLossStep.dispose();
    tf.dispose([fixed.x, fixed.y]);
    probe.dispose();
  }
}

/** |w0|: the norm of a run's initial weights (all trainable variables together). */
export function initialWeightNorm(dataset: Dataset, config: TrainConfig): number {
  const probe = new RunProbe(dataset, config);
  try {
    return tf.tidy(() => tf.sqrt(tf.addN(probe.variables.map((v) => tf.sum(tf.square(v))))).dataSync()[0]);
  } finally {
    probe.dispose();
  }
}
