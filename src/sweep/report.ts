/**
 * The sweep's report: the best setting per optimizer (chosen on the validation split when the
 * sweep has one, with a note when a numeric best value is at the edge of its grid) and, DeepOBS
 * style, each optimizer's final accuracy and loss against the learning rate (mean over seeds
 * with a 95% interval), one panel per optimizer, one line per other setting; a setting whose
 * every seed diverged is marked in the tables and left out of the figures. Charts go through the
 * shared Vega-Lite/resvg path; report.md links them, report.html inlines them.
 */
import { describeSchedule } from '../train/scheduledRate.js';
import fs from 'node:fs';
import path from 'node:path';
import { formatMetricInterval } from '../util/intervals.js';
import { writeChart, type VegaLiteSpec } from '../plot/chart.js';
import { writeFileAtomic } from '../util/fs.js';
import { markdownTable, renderHtml } from '../util/markdown.js';
import { maskUrl } from '../util/secrets.js';
import { FINAL_SEED_OFFSET } from '../train/heldOut.js';
import { seedList, type SweepGrid } from './grid.js';
import type { RungDecision } from './halving.js';
import { edgeNotes, heldOutSplit, type SettingGroup, type SweepOutcome } from './summary.js';

export interface SweepReportInput {
  dir: string;
  grid: SweepGrid;
  groups: SettingGroup[];
  /** The best setting per optimizer (bestPerOptimizer; of an asha search, among its last rung). */
  best: SettingGroup[];
  /** The best settings on fresh seeds, on the test split (sweeps with a validation split). */
  final: SettingGroup[];
  /** Successive halving's decisions (asha). */
  decisions?: readonly RungDecision[];
  outcomes: SweepOutcome[];
  facts: Record<string, string>;
  command: string;
}

interface SensitivityPoint {
  optimizer: string;
  setting: string;
  lr: number;
  mean: number;
  low: number;
  high: number;
}

export function sensitivityPoints(groups: readonly SettingGroup[], metric: 'accuracy' | 'loss'): SensitivityPoint[] {
  return groups.flatMap((group) => {
    const lr = group.settings.lr;
    const interval = group[metric];
    // A setting whose every seed diverged has no final value to draw: the caption names it.
    if (lr === undefined || group.allDiverged || !Number.isFinite(interval.estimate)) return [];
    const label = group.label
      .split(' ')
      .filter((part) => !part.startsWith('lr='))
      .join(' ');
    return [
      {
        optimizer: group.optimizer,
        setting: label || 'default',
        lr: Number(lr),
        mean: interval.estimate,
        low: interval.low,
        high: interval.high,
      },
    ];
  });
}

/** Final metric against the learning rate: one panel per optimizer, a line and a 95% band per setting. */
export function sensitivityChart(points: readonly SensitivityPoint[], metricTitle: string): VegaLiteSpec {
  const x = { field: 'lr', type: 'quantitative', title: 'learning rate alpha', scale: { type: 'log' } };
  const color = { field: 'setting', type: 'nominal', title: 'setting' };
  return {
    data: { values: points as unknown as Record<string, unknown>[] },
    facet: { column: { field: 'optimizer', type: 'nominal', title: 'optimizer' } },
    spec: {
      width: 220,
      height: 180,
      layer: [
        {
          transform: [{ filter: 'isFinite(datum.low) && isFinite(datum.high)' }],
          mark: { type: 'area', opacity: 0.2 },
          encoding: { x, y: { field: 'low', type: 'quantitative', title: metricTitle }, y2: { field: 'high' }, color },
        },
        {
          mark: { type: 'line', point: true },
          encoding: {
            x,
            y: { field: 'mean', type: 'quantitative', title: metricTitle, scale: { zero: false } },
            color,
          },
        },
      ],
    },
  } as unknown as VegaLiteSpec;
}

function failedTable(outcomes: readonly SweepOutcome[]): string[] {
  const failed = outcomes.flatMap(({ run, result }) =>
    result.status === 'failed' ? [[run.id, result.attempts, result.error]] : [],
  );
  if (failed.length === 0) return [];
  return [
    '## Failed runs',
    'These runs failed on every attempt; their rows in summary.csv have status `failed` and the error.',
    markdownTable(['run', 'attempts', 'error'], failed),
  ];
}

/** Writes plots/, report.md and report.html; returns their paths. */
export async function writeSweepReport(input: SweepReportInput): Promise<{ report: string; html: string }> {
  const figures = await writeSensitivityFigures(input);
  const markdown = sweepMarkdown(input, figures);
  const report = path.join(input.dir, 'report.md');
  const html = path.join(input.dir, 'report.html');
  writeFileAtomic(report, `${markdown}\n`);
  writeFileAtomic(html, renderHtml(markdown, input.dir, 'Sweep report'));
  return { report, html };
}

/** With more than one learning rate: the final accuracy and loss on the held-out split against it, as figures in plots/. */
async function writeSensitivityFigures(input: SweepReportInput): Promise<string[]> {
  const plotsDir = path.join(input.dir, 'plots');
  fs.mkdirSync(plotsDir, { recursive: true });
  const figures: string[] = [];
  // A search draws its learning rates: one line per trial would be a cloud of single points.
  if ((input.grid.values.lr ?? []).length < 2 || input.grid.search !== undefined) return figures;
  const split = heldOutSplit(input.grid);
  const diverged = input.groups.filter((group) => group.allDiverged && group.settings.lr !== undefined);
  const left =
    diverged.length === 0
      ? ''
      : ` Left out, every seed diverged: ${diverged.map((group) => `${group.optimizer} ${group.label}`).join('; ')}.`;
  for (const [metric, title] of [
    ['accuracy', `final ${split} accuracy`],
    ['loss', `final ${split} loss`],
  ] as const) {
    const points = sensitivityPoints(input.groups, metric);
    if (points.length === 0) continue;
    await writeChart(sensitivityChart(points, title), path.join(plotsDir, `lr-sensitivity-${metric}`));
    figures.push(
      `![${title} against the learning rate](plots/lr-sensitivity-${metric}.svg)\n\n*${title} against the learning rate: mean over seeds, band = 95% t-interval (with 2 or more seeds).${left}*`,
    );
  }
  return figures;
}

/** An interval cell, or the mark of a setting whose every seed diverged. */
function metricCell(group: SettingGroup, metric: 'accuracy' | 'loss'): string {
  return group.allDiverged ? `diverged (all ${group.diverged} seeds)` : formatMetricInterval(group[metric]);
}

/** What the grid's schedule does to every run's rate, or nothing without one. */
function scheduleSentence(grid: SweepGrid): string {
  if (grid.schedule === undefined) return '';
  return ` Every run's learning rate follows the schedule ${describeSchedule(grid.schedule)} around its listed rate, which is the rate this report names.`;
}

function choiceSentence(grid: SweepGrid): string {
  return grid.validation === undefined
    ? 'These runs have no validation split (--validation-size 0, or a folder swept before sweeps held one out by default), so the choice is made on the test set and is optimistic for it.'
    : `The runs train without ${grid.validation} examples held out of the training split (stratified, a fixed seed) and evaluate on them: the choice is made on this validation split, never on the test split; the numbers in this table are validation numbers.`;
}

/** One row per setting: its runs, failures, divergences and final metrics on `split`. */
function settingsTable(groups: readonly SettingGroup[], runs: 'runs' | 'seeds', split: string): string {
  return markdownTable(
    ['optimizer', 'setting', runs, 'failed', 'diverged', `final ${split} accuracy`, `final ${split} loss`],
    groups.map((group) => [
      group.optimizer,
      group.label,
      group.runs.length,
      group.failed,
      group.diverged,
      metricCell(group, 'accuracy'),
      metricCell(group, 'loss'),
    ]),
  );
}

/** The best settings on fresh seeds, on the test split: the numbers to report. */
function finalSection(input: SweepReportInput): string[] {
  if (input.grid.validation === undefined || input.final.length === 0) return [];
  const seeds = seedList(input.grid).map((seed) => seed + FINAL_SEED_OFFSET);
  return [
    '## Final runs on the test split',
    `Each best setting trained again on seeds ${seeds.join(', ')} (fresh: none of them chose it), on the same training examples, and evaluated on the test split, which no choice saw. These are the numbers to report.`,
    settingsTable(input.final, 'seeds', 'test'),
  ];
}

/** A random or asha search: what was drawn, and successive halving's decisions. */
function searchSection(input: SweepReportInput): string[] {
  const search = input.grid.search;
  if (search === undefined) return [];
  const drawn = Object.entries(input.grid.distributions ?? {}).map(
    ([field, distribution]) =>
      `${field} ~ ${Object.keys(distribution)[0]}${JSON.stringify(Object.values(distribution)[0])}`,
  );
  const lines = [
    '## Search',
    `${search.trials} trials drawn with search seed ${search.seed}${drawn.length > 0 ? ` (${drawn.join(', ')}; lists are choices)` : ' (lists are choices)'}.`,
  ];
  if (input.decisions === undefined) return lines;
  const rungs = [...new Set(input.decisions.map((row) => row.epochs))];
  const pruned = input.decisions.filter((row) => row.decision === 'pruned').length;
  return [
    ...lines,
    `Successive halving (synchronous rungs at ${rungs.join(', ')} epochs, eta = ${search.eta}): each rung keeps the best 1/${search.eta} of its trials by mean ${heldOutSplit(input.grid)} accuracy over the seeds at the rung's last epoch; a promoted trial trains again from its start for the next rung. ${pruned} trials pruned; every decision is a row of \`pruning.csv\`.`,
    markdownTable(
      ['trial', 'optimizer', 'rung', 'epochs', `mean ${heldOutSplit(input.grid)} accuracy`, 'rank', 'decision'],
      input.decisions.map((row) => [
        row.trial,
        row.optimizer,
        row.rung,
        row.epochs,
        Number.isFinite(row.accuracy) ? row.accuracy.toFixed(4) : 'failed or diverged',
        row.rank === 0 ? '' : row.rank,
        row.decision,
      ]),
    ),
  ];
}

function sweepMarkdown(input: SweepReportInput, figures: readonly string[]): string {
  const seeds = seedList(input.grid).length;
  const split = heldOutSplit(input.grid);
  const best = input.best;
  const edges = edgeNotes(best, input.grid);
  const finalRuns = input.final.reduce((sum, group) => sum + group.runs.length, 0);
  return [
    '# Sweep report',
    `${input.outcomes.length} runs: ${input.groups.length} settings x ${seeds} seed${seeds > 1 ? 's' : ''}${finalRuns > 0 ? `, and ${finalRuns} final runs on fresh seeds` : ''}. Every run is a folder under \`runs/\`; \`summary.csv\` has one row per run.` +
      scheduleSentence(input.grid),
    '## Best setting per optimizer',
    `The setting with the highest mean final ${split} accuracy over its seeds${input.decisions === undefined ? '' : ' among the trials of the last rung'} (settings with a failed run, or whose every seed diverged, are left out). ` +
      choiceSentence(input.grid),
    markdownTable(
      ['optimizer', 'setting', 'seeds', 'diverged', `final ${split} accuracy`, `final ${split} loss`],
      best.map((group) => [
        group.optimizer,
        group.label,
        group.runs.length,
        group.diverged,
        formatMetricInterval(group.accuracy),
        formatMetricInterval(group.loss),
      ]),
    ),
    ...(edges.length > 0 ? [edges.map((line) => `- ${line}`).join('\n')] : []),
    ...finalSection(input),
    ...searchSection(input),
    ...(figures.length > 0 ? ['## Learning-rate sensitivity', ...figures] : []),
    '## Every setting',
    settingsTable(input.groups, 'runs', split),
    ...failedTable(input.outcomes),
    '## Facts',
    markdownTable(
      ['', ''],
      Object.entries(input.facts).map(([key, value]) => [key, value]),
    ),
    '## Reproduce',
    '```sh\n' + maskUrl(input.command) + '\n```',
  ].join('\n\n');
}
