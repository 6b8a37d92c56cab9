/**
 * compare on three real runs (two seeds of one setting and one that diverges): figures, specs,
 * tidy CSV and final-metrics table, with the numbers checked against the runs' own files.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataset, type Dataset } from '../../src/data/index.js';
import { compare } from '../../src/compare/index.js';
import { compareChart, type SettingPoint } from '../../src/compare/chart.js';
import { smooth } from '../../src/compare/series.js';
import { renderSvg, withDefaults } from '../../src/plot/chart.js';
import { readRun } from '../../src/runs/readRun.js';
import type { TrainConfig } from '../../src/train/config.js';
import { train, type RunResult } from '../../src/train/train.js';
import { UserError } from '../../src/util/errors.js';
import { syntheticConfig, tempFolder } from '../helpers/runs.js';

let dataset: Dataset;
const root = tempFolder('inertia-compare-');
let runs: Record<'seed1' | 'seed2' | 'diverged', RunResult>;

function config(overrides: Partial<TrainConfig>): TrainConfig {
  // This file's small run: only the fields that differ from the defaults, written out.
  return syntheticConfig({
    hidden: [16],
    optimizer: { kind: 'heavy-ball', learningRate: 0.05, momentum: 0.9 },
    epochs: 2,
    batchSize: 64,
    logEvery: 1,
    normEvery: 0,
    ...overrides,
  });
}

beforeAll(async () => {
  dataset = await loadDataset('synthetic', { trainLimit: 256, testLimit: 128 });
  const options = (runId: string) => ({ outRoot: path.join(root, 'runs'), runId, dataset, plot: false });
  runs = {
    seed1: await train(config({ seed: 1 }), options('seed1')),
    seed2: await train(config({ seed: 2 }), options('seed2')),
    diverged: await train(
      config({ seed: 1, optimizer: { kind: 'heavy-ball', learningRate: 40, momentum: 0.9 } }),
      options('diverged'),
    ),
  };
});

interface SpecLayer {
  /** Band and line layers hold SettingPoints; the marker layer ChartPoints (with the run). */
  data: { values: (SettingPoint & { run: string })[] };
  encoding: { y: { scale: { type?: string } }; color: { scale: { domain: string[]; range: string[] } } };
}

/** The figure's layers: the seeds' range per setting, the mean line per setting, and any diverged-run markers. */
function layers(specFile: string): SpecLayer[] {
  return (JSON.parse(fs.readFileSync(specFile, 'utf8')) as { layer: SpecLayer[] }).layer;
}

describe('compare', () => {
  it('writes a figure, spec, tidy CSV and final table; the legend names the fields that differ', async () => {
    expect(runs.diverged.status).toBe('diverged');
    expect(runs.seed1.status).toBe('completed');
    const out = path.join(root, 'cmp');
    const result = await compare({ runs: [path.join(root, 'runs')], out });

    expect(result.labelFields).toEqual(['optimizer.learningRate', 'seed']);
    expect(result.runs.map((run) => run.label).sort()).toEqual([
      'learningRate=0.05 seed=1',
      'learningRate=0.05 seed=2',
      'learningRate=40 seed=1',
    ]);
    expect(result.figures.map((figure) => figure.metric)).toEqual([
      'train/batch_loss',
      'train/loss',
      'test/loss',
      'test/accuracy',
    ]);
    for (const figure of result.figures) {
      // One legend entry per setting: the two seeds of learningRate=0.05 share a colour.
      const svg = fs.readFileSync(figure.svg, 'utf8');
      expect(svg).toContain('learningRate=40');
      expect(svg).not.toContain('seed=');
      expect(layers(figure.spec)[1].encoding.color.scale.domain).toEqual(['learningRate=40', 'learningRate=0.05']);
      expect(fs.statSync(figure.png).size).toBeGreaterThan(1000);
    }

    // The diverged run's line ends before the step where it diverged, and that end is marked.
    const divergedAt = runs.diverged.divergedAtStep!;
    const [band, lines, markers] = layers(result.figures[0].spec);
    const divergedPoints = lines.data.values.filter((point) => point.setting === 'learningRate=40');
    const lastX = Math.max(...divergedPoints.map((point) => point.x));
    expect(lastX).toBeLessThan(divergedAt);
    expect(markers.data.values).toEqual([expect.objectContaining({ run: 'diverged', x: lastX })]);
    // The two seeds: one mean line over all their minibatch losses, and a band from the lower to the higher.
    const pairLine = lines.data.values.filter((point) => point.setting === 'learningRate=0.05');
    expect(pairLine).toHaveLength(runs.seed1.steps);
    const batchLosses = ['seed1', 'seed2'].map((id) =>
      readRun(path.join(root, 'runs', id)).rows.filter((row) => row.metric === 'batch_loss'),
    );
    const [a, b] = batchLosses.map((rows) => rows[2].value);
    expect(pairLine[2]).toMatchObject({ step: 3, n: 2, low: Math.min(a, b), high: Math.max(a, b) });
    expect(pairLine[2].value).toBeCloseTo((a + b) / 2, 12);
    // A single run has no band.
    expect(band.data.values).toHaveLength(runs.seed1.steps);
    expect(band.data.values.every((point) => point.setting === 'learningRate=0.05')).toBe(true);

    // Tidy CSV: one line per metric row of every run, with the flattened hyperparameters.
    const csv = fs.readFileSync(result.csv, 'utf8').trim().split('\n');
    const header = csv[0].split(',');
    expect(header.slice(0, 3)).toEqual(['run', 'label', 'status']);
    expect(header).toEqual(expect.arrayContaining(['optimizer.kind', 'optimizer.learningRate', 'seed', 'hidden']));
    expect(header.slice(-4)).toEqual(['step', 'epoch', 'metric', 'value']);
    const stored = ['seed1', 'seed2', 'diverged'].map((id) => readRun(path.join(root, 'runs', id)));
    expect(csv.length - 1).toBe(stored.reduce((sum, run) => sum + run.rows.length, 0));

    // Final table: the two seeds share a row with mean and t-interval; the diverged run has its own.
    expect(result.table.rows).toHaveLength(2);
    const pair = result.table.rows.find((row) => row.runs.length === 2)!;
    const single = result.table.rows.find((row) => row.runs.length === 1)!;
    expect(pair.setting).toBe('learningRate=0.05');
    expect(pair.runs).toEqual(['seed1', 'seed2']);
    const accuracies = [runs.seed1.final.test.accuracy, runs.seed2.final.test.accuracy];
    const mean = (accuracies[0] + accuracies[1]) / 2;
    // n = 2: half-width = t(0.975, 1) * s / sqrt(2) with s = |a - b| / sqrt(2), so 12.706 * |a - b| / 2.
    const half = (12.706 * Math.abs(accuracies[0] - accuracies[1])) / 2;
    expect(pair.metrics['test/accuracy'].estimate).toBeCloseTo(mean, 12);
    expect(pair.metrics['test/accuracy'].high! - mean).toBeCloseTo(half, 12);
    expect(single).toMatchObject({ setting: 'learningRate=40', runs: ['diverged'], diverged: 1 });
    expect(single.metrics['test/accuracy'].n).toBe(1);
    const markdown = fs.readFileSync(result.table.markdown, 'utf8');
    expect(markdown).toContain('| setting | runs | diverged |');
    expect(markdown).toMatch(/\| learningRate=0.05 \| 2 \| 0 \| \d\.\d{1,4} \[\d\.\d{1,4}, \d\.\d{1,4}\]/);
    const finalCsv = fs.readFileSync(result.table.csv, 'utf8').split('\n');
    expect(finalCsv[0]).toContain('test/accuracy_mean,test/accuracy_low,test/accuracy_high');
  });

  it('puts epochs and training seconds on the x axis, and smooths per-step metrics', async () => {
    const byEpoch = await compare({
      runs: [path.join(root, 'runs', 'seed*')],
      out: path.join(root, 'epoch'),
      x: 'epoch',
      metrics: ['train/batch_loss'],
      smooth: 3,
    });
    // Only the seed differs: one setting, drawn as the mean of the two seeds' smoothed losses.
    const points = layers(byEpoch.figures[0].spec)[1].data.values;
    expect(new Set(points.map((point) => point.setting))).toEqual(new Set(['all runs']));
    // 4 steps per epoch: step k sits at epoch k / 4.
    expect(points.map((point) => point.x)).toEqual([0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2]);
    const smoothed = ['seed1', 'seed2'].map((id) => {
      const raw = readRun(path.join(root, 'runs', id)).rows.filter((row) => row.metric === 'batch_loss');
      return (raw[1].value + raw[2].value + raw[3].value) / 3;
    });
    expect(points[3].value).toBeCloseTo((smoothed[0] + smoothed[1]) / 2, 6);
    expect(points[3].low).toBeCloseTo(Math.min(...smoothed), 6);
    expect(byEpoch.labelFields).toEqual(['seed']);

    const bySeconds = await compare({
      runs: [path.join(root, 'runs', 'seed1')],
      out: path.join(root, 'seconds'),
      x: 'seconds',
      metrics: ['test/loss'],
    });
    const seconds = readRun(path.join(root, 'runs', 'seed1'))
      .rows.filter((row) => row.metric === 'epoch_seconds')
      .map((row) => row.value);
    const xs = layers(bySeconds.figures[0].spec)[1].data.values.map((point) => point.x);
    expect(xs[0]).toBe(0);
    expect(xs[1]).toBeCloseTo(seconds[0], 9);
    expect(xs[2]).toBeCloseTo(seconds[0] + seconds[1], 9);
    expect(bySeconds.runs[0].label).toBe('seed1');
  });

  it('gives 42 settings 42 colours and lists every one in the legend', async () => {
    const settings = Array.from({ length: 42 }, (_, i) => `lr=${i}`);
    const points = settings.map((setting, i) => ({ run: setting, setting, step: 1, x: 1, value: i }));
    const options = { title: 't', xTitle: 'x', yTitle: 'y', legendTitle: 'lr', settings, logY: false };
    const spec = compareChart(points, [], options) as unknown as { layer: SpecLayer[] };
    expect(new Set(spec.layer[1].encoding.color.scale.range).size).toBe(42);
    const svg = await renderSvg(withDefaults(spec as unknown as Parameters<typeof renderSvg>[0]));
    for (const setting of settings) expect(svg).toContain(`>${setting}</text>`);
    expect(svg).not.toContain('entries');
  });

  it('draws losses on a log axis with --log-y and keeps accuracy linear', async () => {
    const result = await compare({
      runs: [path.join(root, 'runs', 'seed*')],
      out: path.join(root, 'log'),
      metrics: ['train/loss', 'test/accuracy'],
      logY: true,
    });
    const scales = result.figures.map((figure) => layers(figure.spec)[1].encoding.y.scale.type);
    expect(scales).toEqual(['log', undefined]);
  });

  it('plots the splits the runs have: validation-only runs by default, n/a where a setting lacks a metric', async () => {
    const validation = { size: 64, seed: 7, evaluate: 'validation' as const };
    const options = (runId: string) => ({ outRoot: path.join(root, 'validation'), runId, dataset, plot: false });
    await train(config({ seed: 1, validation }), options('val1'));
    await train(config({ seed: 2, validation }), options('val2'));
    const result = await compare({ runs: [path.join(root, 'validation')], out: path.join(root, 'val-cmp') });
    expect(result.figures.map((figure) => figure.metric)).toEqual([
      'train/batch_loss',
      'train/loss',
      'validation/loss',
      'validation/accuracy',
    ]);
    const markdown = fs.readFileSync(result.table.markdown, 'utf8');
    expect(markdown.split('\n')[0]).toBe(
      '| setting | runs | diverged | train/batch_loss | train/loss | validation/loss | validation/accuracy |',
    );
    expect(markdown).not.toContain('NaN');

    // With a test-split run beside them, each setting's cells of the other split say n/a, explained once.
    const mixed = await compare({
      runs: [path.join(root, 'validation'), path.join(root, 'runs', 'seed1')],
      out: path.join(root, 'mixed-splits'),
      metrics: ['validation/accuracy', 'test/accuracy'],
    });
    const table = fs.readFileSync(mixed.table.markdown, 'utf8');
    expect(table).toMatch(
      /\| evaluate=validation seed=7 size=64 \| 2 \| 0 \| \d\.\d+ \[\d(\.\d+)?, \d(\.\d+)?\] \| n\/a \|/,
    );
    expect(table).toMatch(/\| evaluate=- seed=- size=- \| 1 \| 0 \| n\/a \| \d\.\d+ \|/);
    // Two seeds' accuracy interval stays inside [0, 1].
    const accuracy = mixed.table.rows[0].metrics['validation/accuracy'];
    expect(accuracy.n).toBe(2);
    expect(accuracy.low).toBeGreaterThanOrEqual(0);
    expect(accuracy.high).toBeLessThanOrEqual(1);
    expect(table.match(/n\/a:/g)).toHaveLength(1);
    expect(table).not.toContain('NaN');
  });

  it('smooths with a trailing moving average', () => {
    const points = [1, 2, 3, 4].map((value, x) => ({ x, value }));
    expect(smooth(points, 2).map((point) => point.value)).toEqual([1, 1.5, 2.5, 3.5]);
    expect(smooth(points, 1)).toEqual(points);
  });

  it('refuses runs of different models unless forced, and unknown metrics or label fields', async () => {
    await train(config({ model: 'logreg', hidden: undefined, seed: 3 }), {
      outRoot: path.join(root, 'other'),
      runId: 'logreg',
      dataset,
      plot: false,
    });
    const both = [path.join(root, 'runs', 'seed1'), path.join(root, 'other', 'logreg')];
    const out = path.join(root, 'mixed');
    await expect(compare({ runs: both, out })).rejects.toThrow(
      /different models \(mlp: seed1; logreg: logreg\).*--force/,
    );
    await expect(compare({ runs: both, out })).rejects.toBeInstanceOf(UserError);
    const forced = await compare({ runs: both, out, force: true, metrics: ['test/accuracy'] });
    expect(forced.labelFields).toEqual(expect.arrayContaining(['model', 'seed']));
    await expect(compare({ runs: both.slice(0, 1), out, metrics: ['test/los'] })).rejects.toThrow(
      /Unknown metric "test\/los"; these runs have: .*test\/loss/,
    );
    await expect(compare({ runs: both.slice(0, 1), out, label: ['optimizer.lr'] })).rejects.toThrow(
      /Unknown --label field "optimizer.lr".*optimizer.learningRate/,
    );
    await expect(compare({ runs: [path.join(root, 'nothing-*')], out })).rejects.toThrow(/No folder matches/);
  });

  it('runs from the command line: files listed on stdout, one-line errors', () => {
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, [path.resolve('dist/cli.js'), 'compare', ...args], { encoding: 'utf8' });
    const out = path.join(root, 'cli');
    const ok = cli(
      path.join(root, 'runs'),
      '--metric',
      'test/accuracy',
      '--label',
      'optimizer.learningRate',
      '--out',
      out,
    );
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^3 runs compared \(legend: optimizer.learningRate; 1 diverged\)/);
    expect(fs.readdirSync(out).sort()).toEqual([
      'final.csv',
      'final.md',
      'runs.csv',
      'test-accuracy.png',
      'test-accuracy.svg',
      'test-accuracy.vl.json',
    ]);
    const bad = cli(path.join(root, 'runs'), '--smooth', '0', '--out', out);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^inertia: Invalid --smooth value: 0 .*\n$/);
  });
});
