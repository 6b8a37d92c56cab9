/**
 * `compare`: any runs side by side. For each metric one figure (SVG, PNG and its Vega-Lite
 * spec), plus one tidy CSV of every row of every run with its flattened hyperparameters, and a
 * final-metrics table (markdown and CSV) with seed groups summarised by mean and interval.
 */
import fs from 'node:fs';
import path from 'node:path';
import { makeFolder, writeFileAtomic } from '../util/fs.js';
import { writeChart, type VegaLiteSpec } from '../plot/chart.js';
import { readRun, type StoredRun } from '../runs/readRun.js';
import { writeCsvAtomic } from '../util/csv.js';
import { UserError } from '../util/errors.js';
import { compareChart, type ChartPoint } from './chart.js';
import { isPerStep, runSeries, X_TITLES, type XAxis } from './series.js';
import {
  checkComparable,
  checkLabelFields,
  differingFields,
  fieldsOf,
  flattenConfig,
  isSetting,
  labelOf,
  settingKey,
} from './settings.js';
import { findRunFolders } from './select.js';
import { finalMarkdown, finalRecords, finalTable, type FinalRow } from './table.js';
import type { ComparedRun } from './types.js';

/**
 * The files of `out` written since `sinceMs` (epoch milliseconds), by name: what a comparison
 * stopped midway has written (each file is whole: every write is atomic). None when `out` is absent.
 */
export function filesWrittenSince(out: string, sinceMs: number): string[] {
  if (!fs.existsSync(out)) return [];
  return fs
    .readdirSync(out, { withFileTypes: true })
    .filter((entry) => entry.isFile() && !entry.name.includes('.tmp-'))
    .filter((entry) => fs.statSync(path.join(out, entry.name)).mtimeMs >= sinceMs)
    .map((entry) => entry.name)
    .sort();
}

/** The figures drawn when no metric is named: the losses and the test accuracy. */
export const DEFAULT_COMPARE_METRICS = ['train/batch_loss', 'train/loss', 'test/loss', 'test/accuracy'];
/** Always in the final-metrics table, after the figures' own metrics. */
const TABLE_METRICS = ['test/accuracy', 'test/loss', 'train/loss'];

export interface CompareOptions {
  /** Run folders, folders of runs (a sweep, a study) or glob patterns. */
  runs: readonly string[];
  /** `split/name` metrics, one figure each (default {@link DEFAULT_COMPARE_METRICS}). */
  metrics?: readonly string[];
  x?: XAxis;
  /** config.json fields (dotted paths) that make the legend (default: the fields that differ between the runs). */
  label?: readonly string[];
  /** Moving-average window for per-step metrics such as train/batch_loss (default 1: raw). */
  smooth?: number;
  logY?: boolean;
  /** Folder for the files (created if needed; files of an earlier comparison there are replaced). */
  out: string;
  /** Compare runs of different datasets or models anyway. */
  force?: boolean;
}

export interface CompareFigure {
  metric: string;
  svg: string;
  png: string;
  spec: string;
}

export interface CompareResult {
  out: string;
  labelFields: string[];
  runs: { id: string; dir: string; label: string; status: string; divergedAtStep: number | null }[];
  figures: CompareFigure[];
  /** The tidy CSV: run, label, status, every hyperparameter (config.json without `data`), step, epoch, metric, value. */
  csv: string;
  table: { markdown: string; csv: string; rows: FinalRow[] };
}

function checkMetric(metric: string, runs: readonly StoredRun[]): void {
  const [split, name, extra] = metric.split('/');
  const present = new Set(runs.flatMap((run) => run.rows.map((row) => `${row.split}/${row.metric}`)));
  if (split === undefined || name === undefined || extra !== undefined || !present.has(metric)) {
    throw new UserError(`Unknown metric ${JSON.stringify(metric)}; these runs have: ${[...present].sort().join(', ')}`);
  }
}

/** Folder names, or paths when two runs share a folder name (the same id in two sweeps). */
function uniqueIds(runs: readonly StoredRun[]): StoredRun[] {
  const counts = new Map<string, number>();
  for (const run of runs) counts.set(run.id, (counts.get(run.id) ?? 0) + 1);
  return runs.map((run) => (counts.get(run.id)! > 1 ? { ...run, id: path.relative('.', run.dir) || run.id } : run));
}

/** The runs with their legend label (from `labelFields`) and setting (every field but the seed). */
export function comparedRuns(runs: readonly StoredRun[], labelFields: readonly string[]): ComparedRun[] {
  const settingFields = labelFields.filter((field) => field !== 'seed');
  return runs.map((run) => {
    const flat = flattenConfig(run.config);
    const label = labelOf(flat, labelFields, run.id);
    return { run, flat, label, setting: settingKey(flat), settingLabel: labelOf(flat, settingFields, label) };
  });
}

export interface FigureOptions {
  x: XAxis;
  smooth: number;
  logY: boolean;
  legendTitle: string;
}

/** The Vega-Lite spec of one metric over `compared`: a line per run, a cross where a diverged run ended. */
export function figureSpec(compared: readonly ComparedRun[], metric: string, options: FigureOptions): VegaLiteSpec {
  const points: ChartPoint[] = [];
  const diverged: ChartPoint[] = [];
  for (const { run, label } of compared) {
    const series = runSeries(run, metric, options);
    points.push(...series.points.map((point) => ({ ...point, run: run.id, label })));
    if (series.divergedAt) diverged.push({ ...series.divergedAt, run: run.id, label });
  }
  const smoothed = options.smooth > 1 && isPerStep(metric) ? ` (moving average of ${options.smooth})` : '';
  return compareChart(points, diverged, {
    title: `${metric}: ${compared.length} runs`,
    xTitle: X_TITLES[options.x],
    yTitle: `${metric}${smoothed}`,
    legendTitle: options.legendTitle,
    logY: options.logY,
  });
}

async function writeFigure(
  compared: readonly ComparedRun[],
  metric: string,
  options: FigureOptions & { out: string },
): Promise<CompareFigure> {
  const spec = figureSpec(compared, metric, options);
  const files = await writeChart(spec, path.join(options.out, metric.replace(/\//g, '-')), { saveSpec: true });
  return { metric, svg: files.svg, png: files.png, spec: files.spec! };
}

async function writeTidyCsv(compared: readonly ComparedRun[], file: string): Promise<void> {
  const fields = fieldsOf(compared.map((run) => run.flat)).filter(isSetting);
  const columns = ['run', 'label', 'status', ...fields, 'step', 'epoch', 'metric', 'value'];
  const records = compared.flatMap(({ run, flat, label }) => {
    const prefix: Record<string, unknown> = { run: run.id, label, status: run.record.status };
    for (const field of fields) prefix[field] = flat[field] ?? '';
    return run.rows.map((row) => ({
      ...prefix,
      step: row.step,
      epoch: row.epoch,
      metric: `${row.split}/${row.metric}`,
      value: row.value,
    }));
  });
  await writeCsvAtomic(file, columns, records);
}

/**
 * Lets the event loop turn between two files: rendering runs on promises alone, so without it
 * a stop signal would wait for the whole comparison.
 */
function betweenFiles(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export async function compare(options: CompareOptions): Promise<CompareResult> {
  const smoothWindow = options.smooth ?? 1;
  if (!Number.isInteger(smoothWindow) || smoothWindow < 1) {
    throw new UserError(`Invalid --smooth value: ${options.smooth} (expected an integer >= 1; 1 draws the raw values)`);
  }
  const stored = uniqueIds(findRunFolders(options.runs).map(readRun));
  const flats = stored.map((run) => flattenConfig(run.config));
  if (!options.force) checkComparable(stored.map((run, i) => ({ run, flat: flats[i] })));
  const metrics = [...new Set(options.metrics ?? DEFAULT_COMPARE_METRICS)];
  for (const metric of metrics) checkMetric(metric, stored);
  if (options.label) checkLabelFields(options.label, flats);
  const labelFields = [...(options.label ?? differingFields(flats))];
  const compared = comparedRuns(stored, labelFields);

  makeFolder(options.out);
  const figureOptions = {
    x: options.x ?? 'step',
    smooth: smoothWindow,
    logY: options.logY ?? false,
    out: options.out,
    legendTitle: labelFields.length > 0 ? labelFields.join(', ') : 'run',
  };
  const figures: CompareFigure[] = [];
  for (const metric of metrics) {
    figures.push(await writeFigure(compared, metric, figureOptions));
    await betweenFiles();
  }

  const csv = path.join(options.out, 'runs.csv');
  await writeTidyCsv(compared, csv);
  await betweenFiles();
  const tableMetrics = [...new Set([...metrics, ...TABLE_METRICS])];
  const rows = finalTable(compared, tableMetrics);
  const markdown = path.join(options.out, 'final.md');
  writeFileAtomic(markdown, finalMarkdown(rows, tableMetrics));
  const tableCsv = path.join(options.out, 'final.csv');
  const records = finalRecords(rows, tableMetrics);
  await writeCsvAtomic(tableCsv, Object.keys(records[0]), records);

  return {
    out: options.out,
    labelFields,
    runs: compared.map(({ run, label }) => ({
      id: run.id,
      dir: run.dir,
      label,
      status: run.record.status,
      divergedAtStep: run.record.divergedAtStep ?? null,
    })),
    figures,
    csv,
    table: { markdown, csv: tableCsv, rows },
  };
}
