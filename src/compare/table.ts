/**
 * The final-metrics table of a comparison: one row per setting (runs that differ only in their
 * seed share a row), with the mean and 95% t-interval of each metric's last value when a
 * setting has several seeds.
 */
import type { MetricRow } from '../runs/metrics.js';
import { markdownTable } from '../util/markdown.js';
import { boundedMeanInterval } from '../util/stats.js';
import { formatMetricInterval, tInterval, type Interval } from '../util/intervals.js';
import type { ComparedRun } from './types.js';

export interface FinalRow {
  setting: string;
  runs: string[];
  diverged: number;
  metrics: Record<string, Interval>;
}

/** The value of `split/name` at the last row that has it (undefined when the run never wrote it). */
export function finalValue(rows: readonly MetricRow[], metric: string): number | undefined {
  const [split, name] = metric.split('/');
  for (let i = rows.length - 1; i >= 0; i--) {
    if (rows[i].split === split && rows[i].metric === name) return rows[i].value;
  }
  return undefined;
}

/**
 * Mean and interval of the last values of the runs that wrote `metric` (n = 0 when none did);
 * an accuracy's interval is kept inside [0, 1], where its mean lies.
 */
function finalInterval(group: readonly ComparedRun[], metric: string): Interval {
  const values = group
    .map((run) => finalValue(run.run.rows, metric))
    .filter((value): value is number => value !== undefined);
  const interval = tInterval(values);
  return metric.endsWith('/accuracy') ? boundedMeanInterval(interval, 0, 1) : interval;
}

/** Groups runs by setting, in the order their first run appears. */
export function finalTable(runs: readonly ComparedRun[], metrics: readonly string[]): FinalRow[] {
  const groups = new Map<string, ComparedRun[]>();
  for (const run of runs) groups.set(run.setting, [...(groups.get(run.setting) ?? []), run]);
  return [...groups.values()].map((group) => ({
    setting: group[0].settingLabel,
    runs: group.map((run) => run.run.id),
    diverged: group.filter((run) => run.run.record.status === 'diverged').length,
    metrics: Object.fromEntries(metrics.map((metric) => [metric, finalInterval(group, metric)])),
  }));
}

export function finalMarkdown(rows: readonly FinalRow[], metrics: readonly string[]): string {
  const table = markdownTable(
    ['setting', 'runs', 'diverged', ...metrics],
    rows.map((row) => [
      row.setting,
      row.runs.length,
      row.diverged,
      ...metrics.map((metric) => formatMetricInterval(row.metrics[metric])),
    ]),
  );
  const missing = rows.some((row) => metrics.some((metric) => row.metrics[metric].n === 0));
  const notes = [
    'Last value of each metric; with several seeds: mean [95% t-interval of the mean, accuracy kept within [0, 1]].',
    "A diverged run's last values are those after it diverged.",
    ...(missing ? ['n/a: no run of the setting wrote the metric.'] : []),
  ];
  return `${table}\n\n${notes.join(' ')}\n`;
}

/** One CSV record per setting: `<metric>_mean`, `_low`, `_high` (low and high empty for a single run). */
export function finalRecords(rows: readonly FinalRow[], metrics: readonly string[]): Record<string, unknown>[] {
  return rows.map((row) => {
    const record: Record<string, unknown> = {
      setting: row.setting,
      runs: row.runs.length,
      diverged: row.diverged,
      run_ids: row.runs.join(' '),
    };
    for (const metric of metrics) {
      const interval = row.metrics[metric];
      record[`${metric}_mean`] = interval.n === 0 ? '' : interval.estimate;
      record[`${metric}_low`] = interval.n < 2 ? '' : interval.low;
      record[`${metric}_high`] = interval.n < 2 ? '' : interval.high;
    }
    return record;
  });
}
