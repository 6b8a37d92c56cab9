/**
 * A run's model outside its training loop, for measurements on it (the study's probes): the
 * model `config` builds (the run's seed, so the run's initial weights), the run's unscaled
 * training loss, its own examples (after any validation carve), and computations over fixed
 * batches run as steps checked to give exactly their eager numbers (verifiedStep.ts).
 *
 * The loss is the model's own forward pass in training mode with the configured loss (not the
 * fast forward pass of training runs): probes measure the objective, not a run's kernels.
 */
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../backend.js';
import type { Dataset, Split } from '../data/index.js';
import { buildModel } from '../models/index.js';
import type { StepFunction } from '../graph/compile.js';
import { defaultCompileMode, type CompileMode } from '../graph/compileMode.js';
import { evaluate } from '../graph/evaluate.js';
import { EXACT_CHECKS, VerifiedStep } from '../graph/verifiedStep.js';
import { makeOptimizer, modelSpec, type TrainConfig } from './config.js';
import { deviceData, gatherRows, splitTensors, type DeviceData } from './deviceData.js';
import { runSplits } from './heldOut.js';
import { trainingLossOf } from './losses.js';
import { forward, objectiveScale } from './objective.js';
import { dataOrder } from './session.js';

/** A batch as tensors: images and one-hot labels (the caller disposes both). */
export interface ProbeBatch {
  x: TF.Tensor;
  y: TF.Tensor;
}

/** The run's optimizer stepping the probe's model (see {@link RunProbe.training}). */
export interface ProbeTraining {
  optimizer: TF.Optimizer;
  /** Step `step` (1, 2, ...): one full batch of the run's first-epoch data order, the batches repeated. */
  step(step: number): void;
  dispose(): void;
}

export class RunProbe {
  readonly model: TF.LayersModel;
  readonly variables: TF.Variable[];
  /** The examples the run trains on. */
  readonly train: Split;
  /** The held-out split the run reports on (validation for selection runs, test for final runs). */
  readonly heldOut: Split;
  private readonly objective: (yTrue: TF.Tensor, yPred: TF.Tensor) => TF.Scalar;
  /** The held-out split on the device, made by the first {@link heldOutAccuracy}. */
  private heldOutData: DeviceData | null = null;

  /** Compiled computations follow `mode` (default: $INERTIA_COMPILE, else auto). */
  constructor(
    private readonly dataset: Dataset,
    private readonly config: TrainConfig,
    private readonly mode: CompileMode = defaultCompileMode(),
  ) {
    this.model = buildModel(modelSpec(config), dataset.imageShape, dataset.numClasses);
    this.variables = this.model.trainableWeights.map((weight) => weight.read() as TF.Variable);
    this.objective = trainingLossOf(config.loss ?? 'cross-entropy', config.labelSmoothing);
    ({ train: this.train, heldOut: this.heldOut } = runSplits(dataset, config));
  }

  /** The run's training loss (mean per example, unscaled) on (x, y) at the model's current weights. */
  loss(x: TF.Tensor, y: TF.Tensor): TF.Scalar {
    return this.objective(y, this.model.apply(x, { training: true }) as TF.Tensor);
  }

  /** The training examples `indices` as tensors. */
  batch(indices: Int32Array): ProbeBatch {
    const { train, dataset } = this;
    const pixels = train.images.length / train.count;
    const images = new Float32Array(indices.length * pixels);
    indices.forEach((index, i) => images.set(train.images.subarray(index * pixels, (index + 1) * pixels), i * pixels));
    const labels = Int32Array.from(indices, (index) => train.labels[index]);
    return tf.tidy(() => ({
      x: tf.tensor4d(images, [indices.length, ...dataset.imageShape]),
      y: tf.oneHot(tf.tensor1d(labels, 'int32'), dataset.numClasses).toFloat(),
    }));
  }

  /** The first `count` training examples (a fixed batch: the same for every seed). */
  firstExamples(count: number): ProbeBatch {
    return this.batch(Int32Array.from({ length: Math.min(count, this.train.count) }, (_, i) => i));
  }

  /** The run's first minibatch: the first `batchSize` examples of its data order. */
  firstBatch(): ProbeBatch {
    return this.batch(dataOrder(this.train.count, this.config.seed).subarray(0, this.config.batchSize));
  }

  /**
   * `computation` (inputs in, outputs out, variables assigned along the way) as a step compiled
   * where it gives exactly its eager numbers; `optimizer` when it steps one (its first call,
   * which allocates the optimizer's state, then runs eagerly). The caller disposes the step.
   */
  exactStep(computation: StepFunction, optimizer?: TF.Optimizer): VerifiedStep {
    return new VerifiedStep(computation, {
      mode: this.mode,
      check: 'exact',
      ownChecks: EXACT_CHECKS,
      ...(optimizer ? { optimizer, eagerCalls: 1 } : {}),
    });
  }

  /** Accuracy on the held-out split at the model's current weights (inference mode). */
  heldOutAccuracy(): number {
    const { heldOut, dataset, config } = this;
    this.heldOutData ??= deviceData(heldOut, heldOut, dataset.imageShape, dataset.numClasses);
    const { testX, testLabels } = this.heldOutData;
    return evaluate(forward(this.model, false), testX, testLabels, dataset.numClasses, config.evalBatchSize).accuracy;
  }

  /**
   * The run's optimizer (`config.optimizer`) training this model in this process: full batches
   * of the run's first-epoch order (one order is enough for a probe), the objective scaled as in
   * the run, each step an exact step given the batch's rows in the training split held whole on
   * the device.
   */
  training(): ProbeTraining {
    const { config, train, dataset } = this;
    const whole = splitTensors(train, dataset.imageShape, dataset.numClasses);
    const optimizer = makeOptimizer(config.optimizer);
    const order = dataOrder(train.count, config.seed);
    const scale = objectiveScale(config, config.batchSize);
    const step = this.exactStep(([rows, x, y]) => {
      const [batchX, batchY] = [gatherRows(x, rows as TF.Tensor1D), gatherRows(y, rows as TF.Tensor1D)];
      return [optimizer.minimize(() => tf.mul(this.loss(batchX, batchY), scale) as TF.Scalar, true, this.variables)!];
    }, optimizer);
    const batchesPerEpoch = Math.max(1, Math.floor(train.count / config.batchSize));
    return {
      optimizer,
      step: (n) => {
        const start = ((n - 1) % batchesPerEpoch) * config.batchSize;
        const rows = tf.tensor1d(order.subarray(start, start + config.batchSize), 'int32');
        tf.tidy(() => tf.dispose(step.run([rows, whole.x, whole.oneHot])));
        rows.dispose();
      },
      dispose: () => {
        step.dispose();
        optimizer.dispose();
        tf.dispose([whole.x, whole.labels, whole.oneHot]);
      },
    };
  }

  dispose(): void {
    this.heldOutData?.dispose();
    this.model.dispose();
  }
}
