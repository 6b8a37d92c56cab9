/**
 * What `fit` reads from a compiled tf.LayersModel, and the computations it runs on it: the
 * training objective of a batch (model.fit's: the compiled loss's batch mean, plus the layers'
 * regularization losses, with the compiled metrics on the same forward pass), and the loss and
 * metrics over a validation set (model.evaluate's: batch means weighted by batch size).
 */
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../backend.js';
import type { StepFunction } from '../graph/compile.js';
import { applyGradientsWithLoss } from '../optimizers/index.js';
import { UserError } from '../util/errors.js';
import { gatherRows } from './deviceData.js';

/** A loss or metric as model.compile resolves it: per-example values of (labels, predictions). */
type LossOrMetric = (yTrue: TF.Tensor, yPred: TF.Tensor) => TF.Tensor;

/** The parts of tfjs-layers' LayersModel that `fit` reads (public fields of the compiled model, and one method tfjs keeps protected). */
interface CompiledInternals {
  optimizer: TF.Optimizer | undefined;
  lossFunctions: LossOrMetric[] | undefined;
  metricsTensors: [LossOrMetric, number][];
  getDedupedMetricsNames(): string[];
}

/** A compiled model as `fit` trains it. */
export interface FitModel {
  model: TF.LayersModel;
  optimizer: TF.Optimizer;
  loss: LossOrMetric;
  /** The compiled metrics, in model.fit's order. */
  metrics: LossOrMetric[];
  /** `loss`, then the metrics' names: model.fit's log keys (`acc` for 'accuracy'). */
  names: string[];
}

/** Checks that `model` is a compiled one-input, one-output LayersModel and reads its loss, metrics and optimizer. */
export function fitModel(model: TF.LayersModel): FitModel {
  // A Sequential compiles the functional model it wraps: the loss functions live there.
  const compiled = (model instanceof tf.Sequential ? (model as unknown as { model: unknown }).model : model) as
    CompiledInternals | undefined;
  if (compiled?.optimizer == null || compiled.lossFunctions == null) {
    throw new UserError(
      "fit: the model is not compiled: call model.compile({ optimizer, loss, metrics }) first, as model.fit needs (e.g. { optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy', metrics: ['accuracy'] })",
    );
  }
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new UserError(
      `fit: the model has ${model.inputs.length} inputs and ${model.outputs.length} outputs; fit trains models with one input and one output (use model.fit for the others)`,
    );
  }
  return {
    model,
    optimizer: compiled.optimizer,
    loss: compiled.lossFunctions[0],
    metrics: compiled.metricsTensors.map(([metric]) => metric),
    names: compiled.getDedupedMetricsNames(),
  };
}

/**
 * One training step on the batch `rows` of (x, y) (inputs `[rows, x, y]`), as model.fit takes it:
 * the objective is the mean of the compiled loss on the training-mode forward pass plus the
 * regularization losses, and the compiled metrics' batch means on the same forward pass are
 * returned after it: `[objective, ...metrics]`.
 */
export function fitStep(fit: FitModel, variables: TF.Variable[]): StepFunction {
  return ([rows, x, y]) => {
    let metrics: TF.Tensor[] = [];
    const { value, grads } = tf.variableGrads(() => {
      const [xBatch, yBatch] = [gatherRows(x, rows as TF.Tensor1D), gatherRows(y, rows as TF.Tensor1D)];
      const output = fit.model.apply(xBatch, { training: true }) as TF.Tensor;
      // Kept through the gradient scope, which disposes everything but the objective.
      metrics = fit.metrics.map((metric) => tf.keep(tf.mean(metric(yBatch, output))));
      let loss = tf.mean(fit.loss(yBatch, output)) as TF.Scalar;
      for (const penalty of fit.model.calculateLosses()) loss = tf.add(loss, penalty);
      return loss;
    }, variables);
    applyGradientsWithLoss(fit.optimizer, grads, value);
    tf.dispose(Object.values(grads));
    return [value, ...metrics];
  };
}

/**
 * Loss and metrics of the inference-mode model over all of (x, y) in batches of `batchSize`, as
 * model.evaluate computes them: each batch's mean, weighted by its size, summed in batch order
 * and divided by the example count (float32 throughout). One tensor: [loss, ...metrics].
 */
export function validationTotals(fit: FitModel, x: TF.Tensor, y: TF.Tensor, batchSize: number): TF.Tensor1D {
  return tf.tidy(() => {
    const count = x.shape[0];
    let sums: TF.Tensor[] = [];
    for (let start = 0; start < count; start += batchSize) {
      const size = Math.min(batchSize, count - start);
      const xBatch = tf.slice(x, start, size);
      const yBatch = tf.slice(y, start, size);
      const output = fit.model.apply(xBatch, { training: false }) as TF.Tensor;
      const means = [fit.loss, ...fit.metrics].map((fn) => tf.mul(tf.mean(fn(yBatch, output)), size));
      sums = sums.length === 0 ? means : sums.map((sum, i) => tf.add(sum, means[i]));
    }
    return tf.div(tf.stack(sums), count) as TF.Tensor1D;
  });
}
