/**
 * What a run's epochs are trained by: the custom loop (customLoop.ts) or model.fit
 * (kerasLoop.ts). A loop takes an epoch's data order and gives back its training rows; the
 * evaluations, the sinks and the epoch bookkeeping are the session's (session.ts).
 */
import type { MetricRow } from '../runs/metrics.js';
import type { StepMode } from '../graph/verifiedStep.js';

export interface TrainingLoop {
  /** Optimizer steps taken so far. */
  readonly steps: number;
  /**
   * Trains on the examples `order` (one epoch, cut short at the run's maxSteps), appending its
   * rows to `rows`; returns the step at which it diverged, or null.
   */
  epoch(epoch: number, order: Int32Array, rows: MetricRow[]): Promise<number | null>;
  /** Counts the steps on from `step`: a resumed run's steps before its first epoch here. */
  startAt(step: number): void;
  /** Whether the steps ran compiled, and why not. */
  readonly stepMode: StepMode;
  dispose(): void;
}

/** Reports the last batch loss read back at the current step (progress output). */
export type LossReport = (epoch: number, step: number, loss: number) => void;

/** The step of the first batch loss beyond `bound` (or not finite) among `rows`, or null. */
export function firstDivergence(rows: readonly MetricRow[], bound: number): number | null {
  for (const row of rows) {
    if (row.metric === 'batch_loss' && !(Math.abs(row.value) <= bound)) return row.step;
  }
  return null;
}
