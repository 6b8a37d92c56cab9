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
import { smooth } from '../../src/compare/series.js';
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
  data: { values: { run: string; label: string; x: number; value: number }[] };
}

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
      expect(fs.readFileSync(figure.svg, 'utf8')).toContain('learningRate=40 seed=1');
      expect(fs.statSync(figure.png).size).toBeGreaterThan(1000);
    }

    // The diverged run's line ends before the step where it diverged, and that end is marked.
    const divergedAt = runs.diverged.divergedAtStep!;
    const [lines, markers] = layers(result.figures[0].spec);
    const divergedPoints = lines.data.values.filter((point) => point.run === 'diverged');
    const lastX = Math.max(...divergedPoints.map((point) => point.x));
    expect(lastX).toBeLessThan(divergedAt);
    expect(markers.data.values).toEqual([expect.objectContaining({ run: 'diverged', x: lastX })]);
    // The completed runs keep all their minibatch losses.
    expect(lines.data.values.filter((point) => point.run === 'seed1')).toHaveLength(runs.seed1.steps);

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
    const points = layers(byEpoch.figures[0].spec)[0].data.values.filter((point) => point.run === 'seed1');
    // 4 steps per epoch: step k sits at epoch k / 4.
    expect(points.map((point) => point.x)).toEqual([0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2]);
    const raw = readRun(path.join(root, 'runs', 'seed1')).rows.filter((row) => row.metric === 'batch_loss');
    expect(points[3].value).toBeCloseTo((raw[1].value + raw[2].value + raw[3].value) / 3, 6);
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
    const xs = layers(bySeconds.figures[0].spec)[0].data.values.map((point) => point.x);
    expect(xs[0]).toBe(0);
    expect(xs[1]).toBeCloseTo(seconds[0], 9);
    expect(xs[2]).toBeCloseTo(seconds[0] + seconds[1], 9);
    expect(bySeconds.runs[0].label).toBe('seed1');
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
