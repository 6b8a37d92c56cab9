/**
 * Metrics in long format, one row per measurement: `step,epoch,split,metric,value`
 * (MLflow/TensorBoard style), so a table or plot can be derived from any run afterwards.
 */
import fs from 'node:fs';
import { createObjectCsvStringifier } from 'csv-writer';
import { UserError } from '../util/errors.js';
import { appendFileSynced } from '../util/fs.js';

export type Split = 'train' | 'validation' | 'test';

export interface MetricRow {
  step: number;
  epoch: number;
  split: Split;
  metric: string;
  value: number;
}

export const METRIC_COLUMNS = ['step', 'epoch', 'split', 'metric', 'value'] as const;

/**
 * Appends rows to a metrics.csv (header first), fsynced after each write, and counts the rows,
 * so a finished run can record how many rows its metrics.csv must hold.
 */
export class MetricsWriter {
  private readonly stringifier = createObjectCsvStringifier({
    header: METRIC_COLUMNS.map((id) => ({ id, title: id })),
  });
  private started = false;
  private count = 0;

  constructor(readonly path: string) {}

  /** Data rows written so far (the header excluded). */
  get rows(): number {
    return this.count;
  }

  async write(rows: readonly MetricRow[]): Promise<void> {
    if (rows.length === 0) return;
    const header = this.started ? '' : this.stringifier.getHeaderString()!;
    appendFileSynced(this.path, header + this.stringifier.stringifyRecords(rows as MetricRow[]));
    this.started = true;
    this.count += rows.length;
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
