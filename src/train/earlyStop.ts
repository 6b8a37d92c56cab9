/**
 * Early stopping on a per-epoch metric, as Keras's `EarlyStopping(monitor, patience)` with
 * `min_delta = 0`: after each epoch, a value better than the best so far (lower for a loss,
 * higher for an accuracy; strictly) becomes the best and resets the count of epochs without
 * improvement, any other value (NaN included) adds one; when the count reaches `patience`
 * the run stops after that epoch. The decision is a function of the metric rows alone, so a
 * run resumed from a checkpoint continues with the same count. Loads no TensorFlow.
 */
import type { MetricRow } from '../runs/metrics.js';
import { UserError } from '../util/errors.js';
import type { HeldOutName } from './heldOut.js';

/** The per-epoch metrics a run records for each split it evaluates. */
export const EPOCH_METRICS = ['loss', 'accuracy'] as const;

export interface EarlyStopConfig {
  /** `<split>/<metric>`: `validation/loss`, `test/accuracy`, `train/loss`, ... */
  metric: string;
  /** Epochs without improvement after which the run stops (an integer >= 1). */
  patience: number;
}

/** What run.json records about early stopping (`earlyStop`). */
export interface EarlyStopRecord {
  metric: string;
  patience: number;
  /** The epoch after which the run stopped, or null when it ran every epoch. */
  stoppedAtEpoch: number | null;
  /** The epoch with the best value (null when no epoch gave a comparable value). */
  bestEpoch: number | null;
  bestValue: number | null;
  /** Why it stopped, in one line (absent when it did not). */
  reason?: string;
}

/** Whether a lower value of `metric` is better (losses) or a higher one (accuracies). */
export function lowerIsBetter(metric: string): boolean {
  return !metric.endsWith('/accuracy');
}

/** `validation/loss:3` (the --early-stop flag) as `{ metric, patience }`. */
export function parseEarlyStop(text: string): EarlyStopConfig {
  const match = /^([a-z]+\/[a-z_]+):(\d+)$/.exec(text.trim());
  if (match === null) {
    throw new UserError(
      `Invalid --early-stop value: ${JSON.stringify(text)} (expected <split>/<metric>:<patience>, e.g. validation/loss:3)`,
    );
  }
  return { metric: match[1], patience: Number(match[2]) };
}

/** The `<split>/<metric>` names a run evaluated on `heldOut` records after every epoch. */
export function epochMetricNames(heldOut: HeldOutName): string[] {
  return ['train', heldOut].flatMap((split) => EPOCH_METRICS.map((metric) => `${split}/${metric}`));
}

/**
 * Checks an early-stop config against the split the run evaluates on (`heldOut`): the
 * metric must be one the run records after every epoch, the patience a positive integer.
 */
export function checkEarlyStop(config: EarlyStopConfig, heldOut: HeldOutName): void {
  if (typeof config !== 'object' || config === null || typeof config.metric !== 'string') {
    throw new UserError(
      `Invalid earlyStop value: ${JSON.stringify(config)} (expected { "metric": "validation/loss", "patience": 3 })`,
    );
  }
  if (!Number.isInteger(config.patience) || config.patience < 1) {
    throw new UserError(
      `Invalid early-stop patience: ${config.patience} (expected an integer >= 1, the epochs without improvement to wait)`,
    );
  }
  const names = epochMetricNames(heldOut);
  if (!names.includes(config.metric)) {
    const hint =
      config.metric.startsWith('validation/') && heldOut === 'test'
        ? '; this run has no validation split: add --validation-size N, or stop on test/loss'
        : '';
    throw new UserError(
      `Invalid early-stop metric: ${JSON.stringify(config.metric)} (this run records ${names.join(', ')} after every epoch${hint})`,
    );
  }
}

/** The per-epoch values of `metric` (`split/name`) among `rows`, epoch 1 on, in epoch order. */
export function epochValues(rows: readonly MetricRow[], metric: string): { epoch: number; value: number }[] {
  const slash = metric.indexOf('/');
  const [split, name] = [metric.slice(0, slash), metric.slice(slash + 1)];
  return rows
    .filter((row) => row.split === split && row.metric === name && row.epoch >= 1)
    .map((row) => ({ epoch: row.epoch, value: row.value }))
    .sort((a, b) => a.epoch - b.epoch);
}

/** The best epoch of `metric` among `rows` (the first of equal values), or null. */
export function bestEpoch(rows: readonly MetricRow[], metric: string): { epoch: number; value: number } | null {
  const better = betterThan(metric);
  let best: { epoch: number; value: number } | null = null;
  for (const point of epochValues(rows, metric)) if (better(point.value, best?.value)) best = point;
  return best;
}

function betterThan(metric: string): (value: number, best: number | undefined) => boolean {
  const lower = lowerIsBetter(metric);
  return (value, best) => !Number.isNaN(value) && (best === undefined || (lower ? value < best : value > best));
}

/** The early-stopping decision after the last epoch among `rows`. */
export function earlyStopDecision(rows: readonly MetricRow[], config: EarlyStopConfig): EarlyStopRecord {
  const better = betterThan(config.metric);
  let best: { epoch: number; value: number } | null = null;
  let wait = 0;
  for (const point of epochValues(rows, config.metric)) {
    if (better(point.value, best?.value)) {
      best = point;
      wait = 0;
    } else {
      wait += 1;
    }
    if (wait >= config.patience) {
      const since =
        best === null ? 'gave no comparable value' : `did not improve on ${best.value} (epoch ${best.epoch})`;
      return {
        ...config,
        stoppedAtEpoch: point.epoch,
        bestEpoch: best?.epoch ?? null,
        bestValue: best?.value ?? null,
        reason: `${config.metric} ${since} for ${config.patience} epoch${config.patience === 1 ? '' : 's'}`,
      };
    }
  }
  return { ...config, stoppedAtEpoch: null, bestEpoch: best?.epoch ?? null, bestValue: best?.value ?? null };
}
