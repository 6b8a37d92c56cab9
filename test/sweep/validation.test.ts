/**
 * Choosing a sweep's best setting on a validation split carved from the training split (by
 * default a tenth of it; --validation-size N, 0 for none) and reporting it on fresh seeds on
 * the test split, the note on best values at the edge of their grid, and settings whose every
 * seed diverged: marked in the tables, left out of the best settings and the figures.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalExecutor } from '../../src/exec/local.js';
import { stableJson } from '../../src/util/json.js';
import { expandGrid, makeGrid, type GridRun } from '../../src/sweep/grid.js';
import { sensitivityPoints, writeSweepReport } from '../../src/sweep/report.js';
import { bestPerOptimizer, edgeNotes, groupBySetting, type SweepOutcome } from '../../src/sweep/summary.js';
import { runGridSweep } from '../../src/sweep/sweep.js';
import type { RunOutcome } from '../../src/exec/runBatch.js';
import { readCsv } from '../../src/util/csv.js';
import { runCli } from '../helpers/cli.js';
import { tempFolder, TINY_SWEEP_FLAGS } from '../helpers/runs.js';

const root = tempFolder('inertia-sweep-validation-');

const flags = {
  ...TINY_SWEEP_FLAGS,
  optimizer: 'heavy-ball',
  lr: '0.01,0.03,0.1,1',
  momentum: '0.9',
  // With --validation-size 32: 128 examples to train on.
  'train-limit': '160',
  'test-limit': '64',
  seeds: 2,
};

/** A finished run of `run` with the given final accuracy on the split the sweep evaluates on. */
function outcome(run: GridRun, accuracy: number, diverged = false): SweepOutcome {
  const result = {
    run: { id: run.id, experiment: 'sweep', config: run.config },
    status: diverged ? 'diverged' : 'completed',
    divergedAtStep: diverged ? 3 : null,
    finalTestAccuracy: accuracy,
    finalTestLoss: 1 - accuracy,
    finalValidationAccuracy: NaN,
    finalValidationLoss: NaN,
    finalTrainLoss: 0.5,
    steps: 4,
    seconds: 1,
    resumed: false,
  } as unknown as RunOutcome;
  return { run, result };
}

describe('sweep grid --validation-size', () => {
  it('carves the same validation split for every run and leaves run ids and a test-split grid as they were', () => {
    const plain = makeGrid({}, { ...flags, 'validation-size': 0 });
    const held = makeGrid({}, { ...flags, 'validation-size': 32 });
    // By default a tenth of the fewest training examples: 160 / 10.
    expect(makeGrid({}, flags).validation).toBe(16);
    expect(makeGrid({}, { ...flags, 'train-limit': undefined, dataset: 'synthetic,mnist-digits' }).validation).toBe(
      200,
    );
    expect(makeGrid({}, { ...flags, 'train-limit': undefined, dataset: 'mnist' }).validation).toBe(6000);
    // With 0 the grid (sweep.json) has no validation field, as folders swept before wrote it.
    expect('validation' in plain).toBe(false);
    expect(stableJson(plain)).toBe(stableJson({ values: plain.values, seeds: 2 }));
    expect(held.validation).toBe(32);
    const runs = expandGrid(held);
    expect(runs.map((run) => run.id)).toEqual(expandGrid(plain).map((run) => run.id));
    for (const run of runs) expect(run.config.validation).toEqual({ size: 32, seed: 7, evaluate: 'validation' });
    for (const run of expandGrid(plain)) expect(run.config.validation).toBeUndefined();
    // From a grid file too; the flag wins.
    expect(makeGrid({ 'validation-size': 16 }, flags).validation).toBe(16);
    expect(makeGrid({ 'validation-size': 16 }, { ...flags, 'validation-size': 24 }).validation).toBe(24);
    for (const bad of [-3, 2.5, 'many', true]) {
      expect(() => makeGrid({}, { ...flags, 'validation-size': bad })).toThrow(
        /Invalid validation-size value: .* \(expected a positive integer: the training examples held out.*; 0 to choose on the test split\)/,
      );
    }
  });
});

describe('sweep report: edges of the grid and all-diverged settings', () => {
  const grid = makeGrid({}, { ...flags, 'validation-size': 0 });
  const runs = expandGrid(grid);
  const byLr = (lr: number) => runs.filter((run) => run.settings.lr === lr);

  it('flags a best lr at the edge of the grid, not one inside it', () => {
    // lr 0.01, 0.03, 0.1 with means 0.5, 0.7, 0.9 (0.1 best); lr = 1 not in this grid.
    const three = makeGrid({}, { ...flags, lr: '0.01,0.03,0.1', 'validation-size': 0 });
    const at = (accuracies: number[]) =>
      groupBySetting(
        expandGrid(three).map((run, index) => outcome(run, accuracies[Math.floor(index / 2)])),
        three,
      );
    const edge = bestPerOptimizer(at([0.5, 0.7, 0.9]));
    expect(edge[0].settings.lr).toBe(0.1);
    expect(edgeNotes(edge, three)).toEqual([
      'heavy-ball: best lr = 0.1 is the largest of 0.01, 0.03, 0.1: at the edge of the grid: extend it',
    ]);
    expect(edgeNotes(bestPerOptimizer(at([0.9, 0.7, 0.5])), three)).toEqual([
      'heavy-ball: best lr = 0.01 is the smallest of 0.01, 0.03, 0.1: at the edge of the grid: extend it',
    ]);
    // 0.03 is inside the grid; momentum has one value, so it is never at an edge.
    expect(edgeNotes(bestPerOptimizer(at([0.5, 0.9, 0.7])), three)).toEqual([]);
  });

  it('marks a setting whose every seed diverged and keeps it out of the best settings and the figures', async () => {
    // lr = 1: both seeds diverged (an accuracy of 0.95 measured before the blow-up); lr = 0.1
    // has one diverged seed of two and stays an ordinary setting.
    const outcomes = [
      ...byLr(0.01).map((run) => outcome(run, 0.6)),
      ...byLr(0.03).map((run) => outcome(run, 0.8)),
      outcome(byLr(0.1)[0], 0.7),
      outcome(byLr(0.1)[1], 0.3, true),
      ...byLr(1).map((run) => outcome(run, 0.95, true)),
    ];
    const groups = groupBySetting(outcomes, grid);
    expect(groups.map((group) => [group.settings.lr, group.diverged, group.allDiverged])).toEqual([
      [0.01, 0, false],
      [0.03, 0, false],
      [0.1, 1, false],
      [1, 2, true],
    ]);
    const best = bestPerOptimizer(groups);
    expect(best.map((group) => [group.settings.lr, group.accuracy.estimate])).toEqual([[0.03, 0.8]]);
    expect(edgeNotes(best, grid)).toEqual([]);
    expect(sensitivityPoints(groups, 'accuracy').map((point) => [point.lr, point.mean])).toEqual([
      [0.01, 0.6],
      [0.03, 0.8],
      [0.1, 0.5],
    ]);

    const dir = path.join(root, 'report');
    fs.mkdirSync(dir, { recursive: true });
    const files = await writeSweepReport({
      dir,
      grid,
      groups,
      best,
      final: [],
      outcomes,
      facts: {},
      command: 'inertia sweep',
    });
    const report = fs.readFileSync(files.report, 'utf8');
    expect(report).toContain('| heavy-ball | lr=1 | 2 | 0 | 2 | diverged (all 2 seeds) | diverged (all 2 seeds) |');
    expect(report).toContain('Left out, every seed diverged: heavy-ball lr=1.');
    expect(report).toContain(
      '(--validation-size 0, or a folder swept before sweeps held one out by default), so the choice is made on the test set and is optimistic for it',
    );
  });
});

describe('runGridSweep with a validation split', () => {
  it('chooses on the held-out training examples, then trains the choice on fresh seeds for the test split', async () => {
    const grid = makeGrid({}, { ...flags, lr: '0.05,0.2', 'validation-size': 32 });
    const dir = path.join(root, 'sweep');
    const executor = new LocalExecutor({ workers: 1 });
    try {
      const result = await runGridSweep({ grid, dir, executor, command: 'inertia sweep --validation-size 32' });
      // 2 lr x 2 seeds to choose, then the best lr on seeds 101 and 102.
      expect(result.runs).toMatchObject({ total: 6, failed: 0 });
      expect(result.chosenOn).toBe('validation');
      const all = readCsv(result.files.summary).rows;
      const rows = all.filter((row) => row.purpose === 'selection');
      expect(rows).toHaveLength(4);
      for (const row of rows) {
        expect(row.final_test_accuracy).toBe('');
        // 32 validation examples: accuracies are multiples of 1/32.
        const correct = Number(row.final_validation_accuracy) * 32;
        expect(Math.abs(correct - Math.round(correct))).toBeLessThan(1e-4);
      }
      for (const row of rows) {
        const config = JSON.parse(fs.readFileSync(path.join(dir, 'runs', row.run_id, 'config.json'), 'utf8'));
        expect(config.validation).toEqual({ size: 32, seed: 7, evaluate: 'validation' });
      }
      const meanOf = (lr: string) =>
        rows.filter((row) => row.lr === lr).reduce((sum, row) => sum + Number(row.final_validation_accuracy), 0) / 2;
      expect(result.best[0].accuracy.estimate).toBeCloseTo(Math.max(meanOf('0.05'), meanOf('0.2')), 10);
      // The final runs: the chosen lr, fresh seeds, the same training examples, the test split.
      const bestLr = String(result.best[0].settings.lr);
      const finals = all.filter((row) => row.purpose === 'final');
      expect(finals.map((row) => [row.run_id, row.lr, row.seed])).toEqual([
        [`final-heavy-ball-lr${bestLr}-seed101`, bestLr, '101'],
        [`final-heavy-ball-lr${bestLr}-seed102`, bestLr, '102'],
      ]);
      for (const row of finals) {
        expect(row.final_validation_accuracy).toBe('');
        // 64 test examples: accuracies are multiples of 1/64.
        const correct = Number(row.final_test_accuracy) * 64;
        expect(Math.abs(correct - Math.round(correct))).toBeLessThan(1e-4);
        const config = JSON.parse(fs.readFileSync(path.join(dir, 'runs', row.run_id, 'config.json'), 'utf8'));
        expect(config.validation).toEqual({ size: 32, seed: 7, evaluate: 'test' });
        expect(config.seed).toBe(Number(row.seed));
      }
      expect(result.final).toHaveLength(1);
      expect(result.final[0].accuracy.estimate).toBeCloseTo(
        (Number(finals[0].final_test_accuracy) + Number(finals[1].final_test_accuracy)) / 2,
        10,
      );
      // Two learning rates: whichever is best is at an edge of the grid.
      expect(result.edges).toEqual([
        `heavy-ball: best lr = ${result.best[0].settings.lr} is the ${result.best[0].settings.lr === 0.05 ? 'smallest' : 'largest'} of 0.05, 0.2: at the edge of the grid: extend it`,
      ]);
      const report = fs.readFileSync(result.files.report, 'utf8');
      expect(report).toContain(
        '| optimizer | setting | seeds | diverged | final validation accuracy | final validation loss |',
      );
      expect(report).toContain('the choice is made on this validation split, never on the test split');
      expect(report).toContain('final validation accuracy against the learning rate');
      expect(report).toContain('## Final runs on the test split');
      expect(report).toContain('Each best setting trained again on seeds 101, 102 (fresh: none of them chose it)');
    } finally {
      await executor.close();
    }
  }, 120_000);
});

describe('inertia sweep --validation-size', () => {
  it('chooses on the validation split from the command line and says so in --json and on stdout', () => {
    const out = path.join(root, 'cli');
    const tiny = ['--dataset', 'synthetic', '--optimizer', 'sgd', '--lr', '0.05,0.2', '--hidden', '8', '--epochs', '1'];
    const limits = ['--train-limit', '128', '--test-limit', '64', '--batch-size', '32', '--workers', '1'];
    const args = ['sweep', '--out', out, '--validation-size', '32', '--quiet', ...tiny, ...limits];
    const json = runCli([...args, '--json']);
    expect(json.code, json.stderr.join('\n')).toBe(0);
    const document = JSON.parse(json.stdout);
    expect(document.chosenOn).toBe('validation');
    expect(document.best).toHaveLength(1);
    expect(document.best[0].finalValidationAccuracy.estimate).toBeGreaterThanOrEqual(0);
    expect(document.best[0].finalTestAccuracy).toBeUndefined();
    expect(document.best[0].final.seeds).toEqual([101]);
    expect(document.best[0].final.finalTestAccuracy.estimate).toBeGreaterThanOrEqual(0);
    expect(document.edges).toHaveLength(1);
    // The same command resumes the folder (nothing trained again) and prints the choice.
    const again = runCli(args);
    expect(again.code, again.stderr.join('\n')).toBe(0);
    expect(again.stdout).toMatch(/0 trained, 3 resumed/);
    expect(again.stdout).toMatch(/best sgd: lr=0\.(05|2), validation accuracy .*; on 1 fresh seeds, test accuracy /);
    expect(again.stdout).toContain('at the edge of the grid: extend it');
    expect(JSON.parse(fs.readFileSync(path.join(out, 'sweep.json'), 'utf8')).grid.validation).toBe(32);
  }, 120_000);
});
