/**
 * Where a run's metric rows go: metrics.csv, TensorBoard event files, the loss plot. A run
 * takes any number of sinks, so a benchmark or a profile can train with none.
 */
import type { MetricRow, MetricsWriter } from '../runs/metrics.js';
import { LiveEventWriter } from '../runs/tensorboard.js';
import { writeLossPlot } from './plots.js';

export interface MetricSink {
  /** Rows as they become final: the initial evaluation, then each epoch's. */
  write(rows: readonly MetricRow[]): void | Promise<void>;
  /** Once after the last epoch, with every row of the run. */
  close?(rows: readonly MetricRow[]): void | Promise<void>;
}

export function metricsCsvSink(writer: MetricsWriter): MetricSink {
  return { write: (rows) => writer.write(rows) };
}

/** TensorBoard events in the run folder `runDir` as the epochs finish (the hyperparameters first). */
export function tensorboardSink(
  runDir: string,
  config: Readonly<Record<string, unknown>>,
  startedAt: string,
): MetricSink {
  const writer = new LiveEventWriter(runDir, config, startedAt);
  return { write: (rows) => writer.write(rows) };
}

/** The loss plot (`basePath`.svg/.png), drawn once from every row at the end. */
export function lossPlotSink(basePath: string, title: string): MetricSink {
  return { write: () => undefined, close: (rows) => writeLossPlot(rows, basePath, title) };
}
