/**
 * `fit`'s callbacks, as model.fit has them: the tfjs callback interface (objects of
 * onTrainBegin/End, onEpochBegin/End, onBatchBegin/End, onYield, or tf.Callback instances such
 * as tf.callbacks.earlyStopping and inertiaLogger), called through tfjs's own CallbackList and
 * CustomCallback, with tfjs's History recording each epoch's logs.
 */
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../backend.js';
import { formatNumber } from '../util/format.js';

/** What `callbacks` takes: model.fit's `callbacks`. */
export type FitCallbacks = TF.ModelFitArgs['callbacks'];

/** The logs of a batch or an epoch, as numbers. */
export type FitLogs = Record<string, number>;

/** A callback object (tf.Callback and its kin) rather than a bag of functions. */
function isCallbackObject(callback: unknown): callback is TF.CustomCallback {
  const candidate = callback as Partial<TF.CustomCallback>;
  return typeof candidate.setModel === 'function' && typeof candidate.setParams === 'function';
}

/** The user's callbacks, then a History (returned by fit), as one tfjs CallbackList. */
export function fitCallbackList(callbacks: FitCallbacks): { list: TF.CallbackList; history: TF.History } {
  const given = callbacks === undefined ? [] : Array.isArray(callbacks) ? callbacks : [callbacks];
  const objects = given.map((callback) =>
    isCallbackObject(callback) ? callback : new tf.CustomCallback(callback as TF.CustomCallbackArgs),
  );
  const history = new tf.History();
  return { list: new tf.CallbackList([...objects, history]), history };
}

/**
 * Means over an epoch's batches weighted by batch size (model.fit's epoch logs, which its
 * BaseLogger computes), accumulated as numbers.
 */
export class EpochMeans {
  private readonly sums = new Map<string, number>();
  private seen = 0;

  add(logs: FitLogs, size: number): void {
    this.seen += size;
    for (const [name, value] of Object.entries(logs)) this.sums.set(name, (this.sums.get(name) ?? 0) + value * size);
  }

  means(): FitLogs {
    return Object.fromEntries([...this.sums].map(([name, sum]) => [name, sum / this.seen]));
  }
}

/** The verbose line of an epoch: its time, throughput, how the steps ran and its logs. */
export function epochLine(
  epoch: number,
  epochs: number,
  seconds: number,
  samples: number,
  steps: string,
  logs: FitLogs,
): string {
  const values = Object.entries(logs).map(([name, value]) => `${name}=${formatNumber(value, 4)}`);
  const rate = `${formatNumber(samples / seconds)} samples/s`;
  return `Epoch ${epoch} / ${epochs}: ${seconds.toFixed(2)} s, ${rate} (${steps}) - ${values.join(' ')}`;
}
