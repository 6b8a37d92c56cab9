/**
 * Metrics in long format, one row per measurement: `step,epoch,split,metric,value`
 * (MLflow/TensorBoard style), so a table or plot can be derived from any run afterwards.
 */
import { csvText, readCsv } from '../util/csv.js';
import { UserError } from '../util/errors.js';
import fs from 'node:fs';
import { appendFileSynced, writeFileAtomic } from '../util/fs.js';

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
  private started = false;
  private count = 0;

  constructor(readonly path: string) {}

  /** Data rows written so far (the header excluded). */
  get rows(): number {
    return this.count;
  }

  /**
   * Continues a metrics.csv written before (a resumed run): keeps its header and its rows of
   * epochs 0 to `epoch` byte for byte (rewritten atomically), drops the rest, and appends
   * after them from here on.
   */
  continueAt(epoch: number): void {
    const lines = fs.readFileSync(this.path, 'utf8').split('\n');
    const [header, ...rows] = lines.filter((line) => line.length > 0);
    if (header !== METRIC_COLUMNS.join(',')) {
      throw new UserError(`${this.path} is not an inertia metrics file (header ${JSON.stringify(header)})`);
    }
    const kept = rows.filter((line) => Number(line.split(',')[1]) <= epoch);
    writeFileAtomic(this.path, [header, ...kept].map((line) => `${line}\n`).join(''));
    this.started = true;
    this.count = kept.length;
  }

  async write(rows: readonly MetricRow[]): Promise<void> {
    if (rows.length === 0) return;
    appendFileSynced(this.path, csvText(METRIC_COLUMNS, rows, { header: !this.started }));
    this.started = true;
    this.count += rows.length;
  }
}

/** Reads a metrics.csv back (the format written above; values are numbers, NaN allowed). */
export function readMetrics(path: string): MetricRow[] {
  const { columns, rows } = readCsv(path);
  if (columns.join(',') !== METRIC_COLUMNS.join(',')) {
    throw new UserError(
      `${path} is not an inertia metrics file (header ${JSON.stringify(columns.join(','))}, expected ${METRIC_COLUMNS.join(',')})`,
    );
  }
  return rows.map((row) => ({
    step: Number(row.step),
    epoch: Number(row.epoch),
    split: row.split as Split,
    metric: row.metric,
    value: Number(row.value),
  }));
}
