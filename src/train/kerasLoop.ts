/**
 * The epochs of a run trained by model.fit (`mode: keras`, the parity check against tfjs's own
 * loop): the model is compiled with the run's optimizer and objective, and each epoch is one
 * model.fit call over the epoch's examples in the run's data order (no shuffling of its own).
 * The batch losses come from onBatchEnd; there are no norm measurements and no compiled steps.
 */
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../backend.js';
import type { MetricRow } from '../runs/metrics.js';
import type { StepMode } from '../graph/verifiedStep.js';
import type { TrainConfig } from './config.js';
import type { DeviceData } from './deviceData.js';
import { trainingLossOf } from './losses.js';
import type { LossReport, TrainingLoop } from './loop.js';
import { objectiveScale } from './objective.js';

export class KerasLoop implements TrainingLoop {
  steps = 0;
  readonly stepMode: StepMode = { compile: 'off', compiled: false, fallback: null };

  constructor(
    private readonly config: TrainConfig,
    private readonly data: DeviceData,
    private readonly model: TF.LayersModel,
    optimizer: TF.Optimizer,
    private readonly report: LossReport,
  ) {
    model.compile({
      optimizer,
      loss: (yTrue: TF.Tensor, yPred: TF.Tensor) =>
        tf.mul(
          trainingLossOf(config.loss ?? 'cross-entropy', config.labelSmoothing)(yTrue, yPred),
          objectiveScale(config, yTrue.shape[0]),
        ),
    });
  }

  async epoch(epoch: number, order: Int32Array, rows: MetricRow[]): Promise<number | null> {
    const { config, data, model } = this;
    const remaining = config.maxSteps === undefined ? Infinity : (config.maxSteps - this.steps) * config.batchSize;
    const used = order.subarray(0, Math.min(order.length, remaining));
    if (used.length === 0) return null;
    const index = tf.tensor1d(used, 'int32');
    const xs = tf.gather(data.trainX, index);
    const ys = tf.gather(data.trainOneHot, index);
    let diverged: number | null = null;
    const onBatchEnd = async (_batch: number, logs?: TF.Logs) => {
      this.steps += 1;
      const loss = (logs?.loss ?? NaN) / objectiveScale(config, Number(logs?.size ?? config.batchSize));
      rows.push({ step: this.steps, epoch, split: 'train', metric: 'batch_loss', value: loss });
      if (diverged === null && !(Math.abs(loss) <= config.divergenceBound)) {
        diverged = this.steps;
        model.stopTraining = true;
      }
      if (this.steps % config.logEvery === 0) this.report(epoch, this.steps, loss);
    };
    try {
      await model.fit(xs, ys, {
        batchSize: config.batchSize,
        epochs: 1,
        shuffle: false,
        verbose: 0,
        callbacks: { onBatchEnd },
      });
    } finally {
      tf.dispose([index, xs, ys]);
    }
    return diverged;
  }

  startAt(step: number): void {
    this.steps = step;
  }

  dispose(): void {}
}
