/**
 * Metrics in long format, one row per measurement: `step,epoch,split,metric,value`
 * (MLflow/TensorBoard style), so a table or plot can be derived from any run afterwards.
 */
import fs from 'node:fs';
import { createObjectCsvWriter } from 'csv-writer';
import { UserError } from '../util/errors.js';

export type Split = 'train' | 'validation' | 'test';

export interface MetricRow {
  step: number;
  epoch: number;
  split: Split;
  metric: string;
  value: number;
}

export const METRIC_COLUMNS = ['step', 'epoch', 'split', 'metric', 'value'] as const;

/** Appends rows to a metrics.csv, writing the header once. */
export class MetricsWriter {
  private readonly writer;

  constructor(readonly path: string) {
    this.writer = createObjectCsvWriter({
      path,
      header: METRIC_COLUMNS.map((id) => ({ id, title: id })),
    });
  }

  async write(rows: readonly MetricRow[]): Promise<void> {
    if (rows.length > 0) await this.writer.writeRecords(rows as MetricRow[]);
  }
}

/** Reads a metrics.csv back (the format written above; values are numbers, NaN allowed). */
export function readMetrics(path: string): MetricRow[] {
  const lines = fs
    .readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0);
  const header = lines.shift();
  if (header !== METRIC_COLUMNS.join(',')) {
    throw new UserError(
      `${path} is not an inertia metrics file (header ${JSON.stringify(header)}, expected ${METRIC_COLUMNS.join(',')})`,
    );
  }
  return lines.map((line) => {
    const [step, epoch, split, metric, value] = line.split(',');
    return { step: Number(step), epoch: Number(epoch), split: split as Split, metric, value: Number(value) };
  });
}
