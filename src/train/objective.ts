/**
 * What a run's steps differentiate: the training loss of a batch (its mean per example, on
 * the fast forward pass where the model allows) times {@link objectiveScale}.
 */
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../backend.js';
import { fastCrossEntropy, fastForward } from '../graph/fastForward.js';
import type { TrainConfig } from './config.js';
import { smoothLabels, trainingLossOf } from './losses.js';

/** A model's forward pass, in training (Dropout, BatchNormalization's batch statistics) or inference. */
export function forward(model: TF.LayersModel, training: boolean): (x: TF.Tensor) => TF.Tensor {
  return (x: TF.Tensor) => model.apply(x, { training }) as TF.Tensor;
}

/**
 * What the mean per-example loss of a batch of `rows` examples is multiplied by before it is
 * differentiated: the loss scale, times the batch size under sum reduction.
 */
export function objectiveScale(config: TrainConfig, rows: number): number {
  return config.lossScale * (config.reduction === 'sum' ? rows : 1);
}

/** The training loss of a batch (its mean per example): fastForward (+ fastCrossEntropy) when the model allows. */
export function trainingLoss(model: TF.LayersModel, config: TrainConfig): (x: TF.Tensor, y: TF.Tensor) => TF.Scalar {
  const kind = config.loss ?? 'cross-entropy';
  const smoothing = config.labelSmoothing ?? 0;
  const fast = fastForward(model);
  if (fast && kind === 'cross-entropy') return (x, y) => fastCrossEntropy(smoothLabels(y, smoothing), fast(x));
  const apply = fast ?? forward(model, true);
  const loss = trainingLossOf(kind, smoothing);
  return (x, y) => loss(y, apply(x));
}

/** The objective a step differentiates on a batch: `loss` times {@link objectiveScale}. */
export function scaledObjective(
  config: TrainConfig,
  loss: (x: TF.Tensor, y: TF.Tensor) => TF.Scalar,
): (x: TF.Tensor, y: TF.Tensor) => TF.Scalar {
  return (x, y) => {
    const scale = objectiveScale(config, x.shape[0]);
    return scale === 1 ? loss(x, y) : (tf.mul(loss(x, y), scale) as TF.Scalar);
  };
}
