/**
 * Collects scalar measurements as tensors and reads them back in one batch every
 * `logEvery` steps, so the training step never waits on a synchronous read it does not need.
 */
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../backend.js';
import type { MetricRow, Split } from '../runs/metrics.js';

interface Pending {
  step: number;
  epoch: number;
  split: Split;
  metric: string;
  tensor: TF.Scalar;
  /** Multiplies the value read (e.g. 1/lossScale to report the unscaled loss). */
  factor: number;
}

export class ScalarRecorder {
  private pending: Pending[] = [];

  /** Takes ownership of `tensor` (it is kept and disposed on flush). */
  add(step: number, epoch: number, split: Split, metric: string, tensor: TF.Scalar, factor = 1): void {
    this.pending.push({ step, epoch, split, metric, tensor: tf.keep(tensor), factor });
  }

  get size(): number {
    return this.pending.length;
  }

  /** Reads every pending value with one synchronous transfer. */
  flush(): MetricRow[] {
    if (this.pending.length === 0) return [];
    const pending = this.pending;
    this.pending = [];
    const stacked = tf.stack(pending.map((p) => p.tensor));
    const values = stacked.dataSync();
    stacked.dispose();
    for (const p of pending) p.tensor.dispose();
    return pending.map((p, i) => ({
      step: p.step,
      epoch: p.epoch,
      split: p.split,
      metric: p.metric,
      value: values[i] * p.factor,
    }));
  }

  dispose(): void {
    for (const p of this.pending) p.tensor.dispose();
    this.pending = [];
  }
}
