/**
 * Measurements on a model that are not training runs: the top Hessian eigenvalue at
 * initialisation, the accuracy along the ray w0 - t g0 that pure momentum (one gradient step)
 * is confined to, and the step c*(t) the weights need along an EMA velocity. Each builds the
 * run's own model (same seed, same initial weights) on the run's own training examples, so
 * the numbers belong to the runs they are compared with; each frees what it allocates.
 *
 * The computations lambda_max and c*(t) repeat thousands of times (Hessian-vector products,
 * training steps, losses along the velocity) run as compiled steps checked to give exactly the
 * eager numbers (VerifiedStep, verifiedStep.ts); `mode` (default $INERTIA_COMPILE, else auto) `off`
 * runs them eagerly.
 */
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../backend.js';
import type { Dataset, Split } from '../data/index.js';
import { buildModel } from '../models/index.js';
import { defaultCompileMode, type CompileMode } from '../graph/compileMode.js';
import {
  hessianVectorProduct,
  largestHessianEigenvalue,
  type EigenEstimate,
  type HessianProduct,
} from '../train/curvature.js';
import { makeOptimizer, modelSpec, type TrainConfig } from '../train/config.js';
import { deviceData, gatherRows, splitTensors } from '../train/deviceData.js';
import { runSplits } from '../train/heldOut.js';
import { evaluate } from '../graph/evaluate.js';
import { EXACT_CHECKS, VerifiedStep } from '../graph/verifiedStep.js';
import { trainingLossOf } from '../train/losses.js';
import { dataOrder, objectiveScale } from '../train/train.js';
import { minimiseOverLogStep } from './lineSearch.js';

/**
 * The examples a run of `config` trains on (after any validation carve) and the held-out split
 * it reports on (validation for selection runs, test for final runs): exactly the run's own.
 */
export function runData(dataset: Dataset, config: TrainConfig): { train: Split; heldOut: Split } {
  const { train, heldOut } = runSplits(dataset, config);
  return { train, heldOut };
}

interface Probe {
  model: TF.LayersModel;
  variables: TF.Variable[];
  /** Mean loss of the run's training objective (unscaled) on the given examples. */
  loss(x: TF.Tensor, y: TF.Tensor): TF.Scalar;
  dispose(): void;
}

function probeModel(dataset: Dataset, config: TrainConfig): Probe {
  const model = buildModel(modelSpec(config), dataset.imageShape, dataset.numClasses);
  const objective = trainingLossOf(config.loss ?? 'cross-entropy', config.labelSmoothing);
  return {
    model,
    variables: model.trainableWeights.map((weight) => weight.read() as TF.Variable),
    loss: (x, y) => objective(y, model.apply(x, { training: true }) as TF.Tensor),
    dispose: () => model.dispose(),
  };
}

/** The first `count` examples of a split as tensors (images, one-hot labels). */
function batchOf(split: Split, indices: Int32Array, dataset: Dataset): { x: TF.Tensor4D; y: TF.Tensor2D } {
  const pixels = split.images.length / split.count;
  const images = new Float32Array(indices.length * pixels);
  indices.forEach((index, i) => images.set(split.images.subarray(index * pixels, (index + 1) * pixels), i * pixels));
  const labels = Int32Array.from(indices, (index) => split.labels[index]);
  return tf.tidy(() => ({
    x: tf.tensor4d(images, [indices.length, ...dataset.imageShape]),
    y: tf.oneHot(tf.tensor1d(labels, 'int32'), dataset.numClasses).toFloat() as TF.Tensor2D,
  }));
}

function firstExamples(split: Split, count: number): Int32Array {
  return Int32Array.from({ length: Math.min(count, split.count) }, (_, i) => i);
}

/**
 * lambda_max of the Hessian of the unscaled training loss at the run's initial weights, on
 * the first `examples` training examples (a fixed batch: the same for every seed).
 */
export function lambdaMaxAtInit(
  dataset: Dataset,
  config: TrainConfig,
  examples: number,
  mode: CompileMode = defaultCompileMode(),
): EigenEstimate {
  const probe = probeModel(dataset, config);
  const { train } = runData(dataset, config);
  const { x, y } = batchOf(train, firstExamples(train, examples), dataset);
  const products = new Map<number, VerifiedStep>();
  // H v on (x, y), one VerifiedStep per finite-difference step (a power iteration uses one).
  const product: HessianProduct = (direction, eps) => {
    let step = products.get(eps);
    if (step === undefined) {
      step = new VerifiedStep(
        ([batchX, batchY, ...vector]) =>
          hessianVectorProduct(() => probe.loss(batchX, batchY), probe.variables, vector, eps),
        { mode, check: 'exact', ownChecks: EXACT_CHECKS },
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
  const probe = probeModel(dataset, config);
  const { train, heldOut: test } = runData(dataset, config);
  const first = dataOrder(train.count, config.seed).subarray(0, config.batchSize);
  const batch = batchOf(train, first, dataset);
  const data = deviceData(test, test, dataset.imageShape, dataset.numClasses);
  const initial = probe.variables.map((v) => tf.keep(v.clone()));
  const { value, grads } = tf.variableGrads(() => probe.loss(batch.x, batch.y), probe.variables);
  value.dispose();
  const g0 = probe.variables.map((v) => grads[v.name]);
  try {
    return ts.map((t) => {
      probe.variables.forEach((v, i) => tf.tidy(() => v.assign(tf.sub(initial[i], tf.mul(g0[i], t)))));
      const forward = (x: TF.Tensor) => probe.model.apply(x, { training: false }) as TF.Tensor;
      const { accuracy } = evaluate(forward, data.testX, data.testLabels, dataset.numClasses, config.evalBatchSize);
      return { t, testAccuracy: accuracy };
    });
  } finally {
    tf.dispose([...initial, ...g0, ...Object.values(grads), batch.x, batch.y]);
    data.dispose();
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
function pointLoss(probe: Probe, mode: CompileMode): VerifiedStep {
  const count = probe.variables.length;
  return new VerifiedStep(
    ([c, x, y, ...along]) => {
      probe.variables.forEach((v, i) => tf.tidy(() => v.assign(tf.sub(along[i], tf.mul(along[count + i], c)))));
      return [probe.loss(x, y)];
    },
    { mode, check: 'exact', ownChecks: EXACT_CHECKS },
  );
}

function lossAlong(
  pointLossStep: VerifiedStep,
  weights: TF.Tensor[],
  velocity: TF.Tensor[],
  batch: { x: TF.Tensor; y: TF.Tensor },
) {
  return (c: number): number =>
    tf.tidy(() => pointLossStep.run([tf.scalar(c), batch.x, batch.y, ...weights, ...velocity])[0].dataSync()[0]);
}

/**
 * One training step on the rows `rows` of a split: inputs [rows, x, y] (the whole split's
 * images and one-hot labels), output the scaled loss. The optimizer's first step allocates its
 * state and runs eagerly (`eagerCalls`).
 */
function trainingStep(probe: Probe, optimizer: TF.Optimizer, scale: number, mode: CompileMode): VerifiedStep {
  return new VerifiedStep(
    ([rows, x, y]) => {
      const [batchX, batchY] = [gatherRows(x, rows as TF.Tensor1D), gatherRows(y, rows as TF.Tensor1D)];
      return [optimizer.minimize(() => tf.mul(probe.loss(batchX, batchY), scale) as TF.Scalar, true, probe.variables)!];
    },
    { mode, check: 'exact', ownChecks: EXACT_CHECKS, optimizer, eagerCalls: 1 },
  );
}

/** c*(t) along the velocity at the step's weights; the weights are restored afterwards. */
function measureStep(
  probe: Probe,
  pointLossStep: VerifiedStep,
  optimizer: TF.Optimizer,
  step: number,
  scale: number,
  batch: { x: TF.Tensor; y: TF.Tensor },
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
  mode: CompileMode = defaultCompileMode(),
): StepMeasurement[] {
  const probe = probeModel(dataset, config);
  const { train } = runData(dataset, config);
  const fixed = batchOf(train, firstExamples(train, examples), dataset);
  // The whole split on the device, for batches of its rows (gatherRows).
  const whole = splitTensors(train, dataset.imageShape, dataset.numClasses);
  const optimizer = makeOptimizer(config.optimizer);
  const order = dataOrder(train.count, config.seed);
  const training = trainingStep(probe, optimizer, objectiveScale(config, config.batchSize), mode);
  const pointLossStep = pointLoss(probe, mode);
  const measurements: StepMeasurement[] = [];
  try {
    // Full batches of the first epoch's order, repeated (one order is enough for a probe).
    const batchesPerEpoch = Math.max(1, Math.floor(train.count / config.batchSize));
    for (let step = 1; step <= Math.max(...checkpoints); step++) {
      const start = ((step - 1) % batchesPerEpoch) * config.batchSize;
      const rows = tf.tensor1d(order.subarray(start, start + config.batchSize), 'int32');
      tf.tidy(() => {
        const inputs = [rows, whole.x, whole.oneHot];
        tf.dispose(training.run(inputs));
      });
      rows.dispose();
      if (checkpoints.includes(step)) {
        const measured = measureStep(probe, pointLossStep, optimizer, step, config.lossScale, fixed);
        measurements.push({ ...measured, appliedStep });
      }
    }
    return measurements;
  } finally {
    training.dispose();
    pointLossStep.dispose();
    tf.dispose([fixed.x, fixed.y, whole.x, whole.labels, whole.oneHot]);
    optimizer.dispose();
    probe.dispose();
  }
}

/** |w0|: the norm of a run's initial weights (all trainable variables together). */
export function initialWeightNorm(dataset: Dataset, config: TrainConfig): number {
  const probe = probeModel(dataset, config);
  try {
    return tf.tidy(() => tf.sqrt(tf.addN(probe.variables.map((v) => tf.sum(tf.square(v))))).dataSync()[0]);
  } finally {
    probe.dispose();
  }
}
