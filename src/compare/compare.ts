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
import { TRAIN_DEFAULTS } from '../train/defaults.js';
import { compareChart, type ChartPoint } from './chart.js';
import { isLogScaled, isPerStep, runSeries, X_TITLES, type XAxis } from './series.js';
import {
  checkComparable,
  checkLabelFields,
  differingFields,
  fieldsOf,
  flattenConfig,
  type FlatConfig,
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

/** The figures drawn when no metric is named: those of these the runs have (validation, test or both). */
export const DEFAULT_COMPARE_METRICS = [
  'train/batch_loss',
  'train/loss',
  'validation/loss',
  'validation/accuracy',
  'test/loss',
  'test/accuracy',
];
/** In the final-metrics table after the figures' own metrics, when the runs have them. */
const TABLE_METRICS = ['validation/accuracy', 'validation/loss', 'test/accuracy', 'test/loss', 'train/loss'];

export interface CompareOptions {
  /** Run folders, folders of runs (a sweep, a study) or glob patterns. */
  runs: readonly string[];
  /** `split/name` metrics, one figure each (default: those of {@link DEFAULT_COMPARE_METRICS} the runs have). */
  metrics?: readonly string[];
  x?: XAxis;
  /** config.json fields (dotted paths) that make the legend (default: the fields that differ between the runs). */
  label?: readonly string[];
  /** Moving-average window for per-step metrics such as train/batch_loss (default 1: raw). */
  smooth?: number;
  /** Logarithmic y axis for losses and norms (accuracy and timings stay linear). */
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

function metricsOf(runs: readonly StoredRun[]): Set<string> {
  return new Set(runs.flatMap((run) => run.rows.map((row) => `${row.split}/${row.metric}`)));
}

function checkMetric(metric: string, present: ReadonlySet<string>): void {
  const [split, name, extra] = metric.split('/');
  if (split === undefined || name === undefined || extra !== undefined || !present.has(metric)) {
    throw new UserError(`Unknown metric ${JSON.stringify(metric)}; these runs have: ${[...present].sort().join(', ')}`);
  }
}

/**
 * A run's config.json flattened, with TRAIN_DEFAULTS for fields it leaves out: runs written
 * before config.json recorded `loss` and `reduction` at their defaults join the same setting.
 */
function runSettings(run: StoredRun): FlatConfig {
  return flattenConfig({ ...TRAIN_DEFAULTS, ...run.config });
}

/** Folder names, or paths when two runs share a folder name (the same id in two sweeps). */
function uniqueIds(runs: readonly StoredRun[]): StoredRun[] {
  const counts = new Map<string, number>();
  for (const run of runs) counts.set(run.id, (counts.get(run.id) ?? 0) + 1);
  return runs.map((run) => (counts.get(run.id)! > 1 ? { ...run, id: path.relative('.', run.dir) || run.id } : run));
}

/**
 * The label fields without the seed name a setting; when none is left, one setting is named
 * by its run (one run) or `all runs` (several seeds).
 */
function comparedRuns(runs: readonly StoredRun[], labelFields: readonly string[]): ComparedRun[] {
  const settingFields = labelFields.filter((field) => field !== 'seed');
  const flats = runs.map(runSettings);
  const oneSetting = new Set(flats.map(settingKey)).size === 1;
  return runs.map((run, i) => {
    const flat = flats[i];
    const label = labelOf(flat, labelFields, run.id);
    const unnamed = oneSetting ? (runs.length === 1 ? run.id : 'all runs') : label;
    return { run, flat, label, setting: settingKey(flat), settingLabel: labelOf(flat, settingFields, unnamed) };
  });
}

export interface FigureOptions {
  x: XAxis;
  smooth: number;
  logY: boolean;
  legendTitle: string;
}

/** The Vega-Lite spec of one metric over `compared`: a line and band per setting, a cross where a diverged run ended. */
export function figureSpec(compared: readonly ComparedRun[], metric: string, options: FigureOptions): VegaLiteSpec {
  const points: ChartPoint[] = [];
  const diverged: ChartPoint[] = [];
  const logY = options.logY && isLogScaled(metric);
  for (const { run, settingLabel } of compared) {
    const series = runSeries(run, metric, { ...options, logY });
    points.push(...series.points.map((point) => ({ ...point, run: run.id, setting: settingLabel })));
    if (series.divergedAt) diverged.push({ ...series.divergedAt, run: run.id, setting: settingLabel });
  }
  const smoothed = options.smooth > 1 && isPerStep(metric) ? ` (moving average of ${options.smooth})` : '';
  const settings = [...new Set(compared.map((run) => run.settingLabel))];
  const seeds = settings.length < compared.length ? '; line: mean over seeds, band: their range' : '';
  return compareChart(points, diverged, {
    title: `${metric}: ${compared.length} runs, ${settings.length} settings${seeds}`,
    xTitle: X_TITLES[options.x],
    yTitle: `${metric}${smoothed}`,
    legendTitle: options.legendTitle,
    settings,
    logY,
  });
}

/** The legend's title: the label fields but the seed (seeds of a setting share its line). */
function legendTitleOf(labelFields: readonly string[]): string {
  return labelFields.filter((field) => field !== 'seed').join(', ') || 'setting';
}

/** The figure of one metric over `runs`, labelled by the fields that differ: what compare draws for them. */
export function figureOf(
  runs: readonly StoredRun[],
  metric: string,
  options: Pick<FigureOptions, 'x' | 'smooth' | 'logY'>,
): VegaLiteSpec {
  const labelFields = differingFields(runs.map(runSettings));
  return figureSpec(comparedRuns(runs, labelFields), metric, { ...options, legendTitle: legendTitleOf(labelFields) });
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
  const flats = stored.map(runSettings);
  if (!options.force) checkComparable(stored.map((run, i) => ({ run, flat: flats[i] })));
  const present = metricsOf(stored);
  const metrics = [...new Set(options.metrics ?? DEFAULT_COMPARE_METRICS.filter((metric) => present.has(metric)))];
  for (const metric of metrics) checkMetric(metric, present);
  if (options.label) checkLabelFields(options.label, flats);
  const labelFields = [...(options.label ?? differingFields(flats))];
  const compared = comparedRuns(stored, labelFields);

  makeFolder(options.out);
  const figureOptions = {
    x: options.x ?? 'step',
    smooth: smoothWindow,
    logY: options.logY ?? false,
    out: options.out,
    legendTitle: legendTitleOf(labelFields),
  };
  const figures: CompareFigure[] = [];
  for (const metric of metrics) {
    figures.push(await writeFigure(compared, metric, figureOptions));
    await betweenFiles();
  }

  const csv = path.join(options.out, 'runs.csv');
  await writeTidyCsv(compared, csv);
  await betweenFiles();
  const tableMetrics = [...new Set([...metrics, ...TABLE_METRICS.filter((metric) => present.has(metric))])];
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
