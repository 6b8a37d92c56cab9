/**
 * One metric of one run as points on a chosen x axis. Diverged runs end at the step where they
 * diverged (the last finite point before it carries the marker); per-step metrics can be
 * smoothed with a trailing moving average.
 */
import type { MetricRow } from '../runs/metrics.js';
import type { StoredRun } from '../runs/readRun.js';

export const X_AXES = ['step', 'epoch', 'seconds'] as const;
export type XAxis = (typeof X_AXES)[number];

export const X_TITLES: Record<XAxis, string> = {
  step: 'optimizer step',
  epoch: 'epoch',
  seconds: 'training seconds (evaluation excluded)',
};

/** Metrics measured once per epoch; every other metric is measured per step and may be smoothed. */
const EPOCH_METRICS = new Set(['loss', 'accuracy', 'displacement', 'epoch_seconds', 'samples_per_second']);

export function isPerStep(metric: string): boolean {
  const [, name] = metric.split('/');
  return !EPOCH_METRICS.has(name ?? metric);
}

/**
 * Metrics `--log-y` draws on a logarithmic axis: losses and norms, positive and spanning
 * decades. Accuracy (bounded in [0, 1]) and timings stay linear.
 */
export function isLogScaled(metric: string): boolean {
  const name = metric.split('/')[1] ?? metric;
  return name.includes('loss') || name.endsWith('_norm') || name === 'displacement';
}

export interface Point {
  x: number;
  value: number;
}

/** A point of one run's series, with the optimizer step it was measured at. */
export interface StepPoint extends Point {
  step: number;
}

export interface RunSeries {
  points: StepPoint[];
  /** The last point of a diverged run (where its line ends), else null. */
  divergedAt: StepPoint | null;
}

interface EpochSpan {
  startStep: number;
  endStep: number;
  startSeconds: number;
  seconds: number;
}

/** Step and training-time span of every epoch, from the `train/epoch_seconds` rows. */
function epochSpans(rows: readonly MetricRow[]): Map<number, EpochSpan> {
  const spans = new Map<number, EpochSpan>();
  let startStep = 0;
  let startSeconds = 0;
  const ends = rows.filter((row) => row.split === 'train' && row.metric === 'epoch_seconds');
  for (const row of ends.sort((a, b) => a.epoch - b.epoch)) {
    spans.set(row.epoch, { startStep, endStep: row.step, startSeconds, seconds: row.value });
    startStep = row.step;
    startSeconds += row.value;
  }
  return spans;
}

/**
 * Maps a row to the x axis. `epoch` is fractional (step 30 of a 60-step epoch 2 is 1.5);
 * `seconds` interpolates training time linearly within each epoch. Rows of an epoch whose
 * span was never written (an interrupted run) have no epoch or seconds position.
 */
export function xPosition(axis: XAxis): (row: MetricRow, spans: Map<number, EpochSpan>) => number {
  if (axis === 'step') return (row) => row.step;
  return (row, spans) => {
    if (row.epoch === 0) return 0;
    const span = spans.get(row.epoch);
    if (span === undefined) return NaN;
    const length = span.endStep - span.startStep;
    const fraction = length > 0 ? (row.step - span.startStep) / length : 1;
    return axis === 'epoch' ? row.epoch - 1 + fraction : span.startSeconds + fraction * span.seconds;
  };
}

/** Trailing moving average over `window` points (1: unchanged). */
export function smooth<P extends Point>(points: readonly P[], window: number): P[] {
  if (window <= 1) return [...points];
  let sum = 0;
  return points.map((point, i) => {
    sum += point.value;
    if (i >= window) sum -= points[i - window].value;
    return { ...point, value: sum / Math.min(i + 1, window) };
  });
}

export interface SeriesOptions {
  x: XAxis;
  /** Moving-average window for per-step metrics. */
  smooth: number;
  /** Drops values <= 0, which a log axis cannot show (set only for metrics drawn on one: {@link isLogScaled}). */
  logY: boolean;
}

/** The points of `metric` (`split/name`) for one run. */
export function runSeries(run: StoredRun, metric: string, options: SeriesOptions): RunSeries {
  const [split, name] = metric.split('/');
  const diverged = run.record.status === 'diverged';
  const end = diverged ? (run.record.divergedAtStep ?? Infinity) : Infinity;
  const spans = epochSpans(run.rows);
  const position = xPosition(options.x);
  let points = run.rows
    // Nothing from the step that diverged on: its loss is out of bounds and later evaluations see broken weights.
    .filter((row) => row.split === split && row.metric === name && row.step < end)
    .filter((row) => Number.isFinite(row.value) && (!options.logY || row.value > 0))
    .map((row) => ({ step: row.step, x: position(row, spans), value: row.value }))
    .filter((point) => Number.isFinite(point.x));
  if (isPerStep(metric)) points = smooth(points, options.smooth);
  return { points, divergedAt: diverged && points.length > 0 ? points.at(-1)! : null };
}
