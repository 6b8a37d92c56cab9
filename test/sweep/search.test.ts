/**
 * Seeds beyond 1..N, distributions in the grid file, random trials (seeded, stable when more
 * are drawn) and the rungs and decisions of successive halving, without training.
 */
import { describe, expect, it } from 'vitest';
import { expandGrid, makeGrid, parseSeeds, seedList, trialRuns, type GridRun } from '../../src/sweep/grid.js';
import { rungDecisions, rungEpochs } from '../../src/sweep/halving.js';
import type { SweepOutcome } from '../../src/sweep/summary.js';
import type { RunOutcome } from '../../src/exec/runBatch.js';

const base = { dataset: 'synthetic', epochs: '1', 'train-limit': '200' };

describe('--seeds', () => {
  it('reads N, a range and a list; sweep.json keeps N for 1..N', () => {
    expect(parseSeeds('3', false)).toBe(3);
    expect(parseSeeds(3, false)).toBe(3);
    expect(parseSeeds('4-6', false)).toEqual([4, 5, 6]);
    expect(parseSeeds('5,1,3', false)).toEqual([1, 3, 5]);
    expect(parseSeeds([1, 2, 3], false)).toBe(3);
    expect(parseSeeds('1,2', false)).toBe(2);
    const grid = makeGrid({}, { ...base, optimizer: 'sgd', lr: '0.1', seeds: '4-5' });
    expect(seedList(grid)).toEqual([4, 5]);
    expect(expandGrid(grid).map((run) => [run.id, run.config.seed])).toEqual([
      ['sgd-seed4', 4],
      ['sgd-seed5', 5],
    ]);
    expect(makeGrid({ seeds: [2, 7] }, { ...base, optimizer: 'sgd' }).seeds).toEqual([2, 7]);
    for (const bad of ['0', '6-4', '0-3', 'x', '1,,2', true]) {
      expect(() => parseSeeds(bad, false)).toThrow(/^Invalid seeds value: .* N for seeds 1\.\.N, a range like 4-6/);
    }
    // With a validation split, seeds 100 + s are the final runs' fresh seeds.
    expect(parseSeeds('99', true)).toBe(99);
    expect(() => parseSeeds('98-101', true)).toThrow(
      'Invalid seeds value: "98-101" (expected seeds below 100: with a validation split, seeds 100 + s are the fresh seeds of the final runs on the test split)',
    );
    expect(parseSeeds('98-101', false)).toEqual([98, 99, 100, 101]);
  });
});

describe('random search', () => {
  const file = {
    optimizer: ['heavy-ball', 'sgd'],
    lr: { logUniform: [1e-4, 1] },
    momentum: { choice: [0.5, 0.9] },
    'batch-size': { intUniform: [16, 64] },
    'label-smoothing': { uniform: [0, 0.2] },
  };

  it('reads distributions from the grid file and refuses them in a grid search', () => {
    const grid = makeGrid(file, { ...base, search: 'random', trials: 20, seeds: 2 });
    expect(grid.distributions).toEqual({
      lr: { logUniform: [1e-4, 1] },
      'batch-size': { intUniform: [16, 64] },
      'label-smoothing': { uniform: [0, 0.2] },
    });
    expect(grid.values.momentum).toEqual([0.5, 0.9]);
    expect(grid.search).toEqual({ kind: 'random', trials: 20, seed: 0 });
    expect(() => makeGrid(file, base)).toThrow(
      'lr, batch-size, label-smoothing are distributions, which a grid cannot list: add --search random (or asha) --trials N, or give a list of values',
    );
    const bad = (value: unknown) => () =>
      makeGrid({ optimizer: 'sgd', lr: value }, { ...base, search: 'random', trials: 2 });
    expect(bad({ logUniform: [0, 1] })).toThrow(
      'Invalid grid lr value: {"logUniform":[0,1]} (expected logUniform: [a, b] with 0 < a < b)',
    );
    expect(bad({ intUniform: [1, 2.5] })).toThrow(/expected intUniform: \[a, b\] with integers a < b/);
    expect(bad({ normal: [0, 1] })).toThrow(/expected one of \{ logUniform: \[a, b\] \}/);
    expect(() =>
      makeGrid({ optimizer: 'sgd', dataset: { uniform: [0, 1] } }, { ...base, search: 'random', trials: 2 }),
    ).toThrow(/a distribution needs a numeric field/);
    expect(() => makeGrid(file, { ...base, search: 'random' })).toThrow(
      '--search random draws --trials N settings: give N',
    );
    expect(() => makeGrid(file, { ...base, search: 'bayes', trials: 2 })).toThrow(
      'Invalid search value: "bayes" (expected one of: grid, random, asha)',
    );
    expect(() => makeGrid({ optimizer: 'sgd' }, { ...base, trials: 3 })).toThrow(
      '--trials applies to a random or asha search only; add --search random or --search asha',
    );
  });

  it('draws each trial from its own seeded stream: the same trials again, and more trials keep the first', () => {
    const grid = makeGrid(file, { ...base, search: 'random', trials: 20, seeds: 2 });
    const runs = expandGrid(grid);
    expect(runs).toHaveLength(40);
    expect(expandGrid(grid)).toEqual(runs);
    const more = expandGrid(makeGrid(file, { ...base, search: 'random', trials: 30, seeds: 2 }));
    expect(more.slice(0, 40)).toEqual(runs);
    const other = expandGrid(makeGrid(file, { ...base, search: 'random', trials: 20, seeds: 2, 'search-seed': 1 }));
    expect(other.map((run) => run.settings.lr)).not.toEqual(runs.map((run) => run.settings.lr));
    expect(runs[0].id).toMatch(/^trial1-(heavy-ball|sgd)-seed1$/);
    expect(runs[1].settings).toBe(runs[0].settings);
    for (const run of runs) {
      const { lr, momentum, optimizer } = run.settings;
      expect(Number(lr)).toBeGreaterThanOrEqual(1e-4);
      expect(Number(lr)).toBeLessThanOrEqual(1);
      expect(Number(lr)).toBe(Number(Number(lr).toPrecision(4)));
      expect(Number.isInteger(run.settings['batch-size'])).toBe(true);
      expect(run.config.batchSize).toBe(run.settings['batch-size']);
      // momentum goes to heavy-ball only.
      if (optimizer === 'sgd') expect(momentum).toBeUndefined();
      else expect([0.5, 0.9]).toContain(momentum);
    }
    // Log-uniform: about as many draws below 1e-2 as above (20 trials: not all on one side).
    const small = runs.filter((run) => Number(run.settings.lr) < 1e-2).length;
    expect(small).toBeGreaterThan(4);
    expect(small).toBeLessThan(36);
    expect(new Set(runs.map((run) => run.settings.optimizer))).toEqual(new Set(['heavy-ball', 'sgd']));
  });
});

describe('successive halving', () => {
  const grid = makeGrid(
    { optimizer: 'sgd', lr: { logUniform: [1e-3, 1] } },
    { ...base, epochs: '9', search: 'asha', trials: 9, seeds: 2 },
  );

  it('plans rungs eta times longer up to the epochs', () => {
    expect(grid.search).toEqual({ kind: 'asha', trials: 9, seed: 0, eta: 3, minEpochs: 1 });
    expect(rungEpochs(grid)).toEqual([1, 3, 9]);
    const ten = makeGrid(
      { optimizer: 'sgd' },
      { ...base, epochs: '10', search: 'asha', trials: 2, eta: 2, 'min-epochs': 2 },
    );
    expect(rungEpochs(ten)).toEqual([2, 4, 8, 10]);
    expect(expandGrid(ten)[0].id).toBe('trial1-sgd-ep2-seed1');
    expect(() => makeGrid({ optimizer: 'sgd' }, { ...base, epochs: '1,2', search: 'asha', trials: 2 })).toThrow(
      /successive halving up to one number of epochs: give --epochs E/,
    );
    expect(() => makeGrid({ optimizer: 'sgd' }, { ...base, epochs: '1', search: 'asha', trials: 2 })).toThrow(
      '--min-epochs 1 leaves no rung to halve below --epochs 1: give more epochs or fewer min-epochs',
    );
    expect(() => makeGrid({ optimizer: 'sgd' }, { ...base, search: 'random', trials: 2, eta: 3 })).toThrow(
      '--eta applies to --search asha only',
    );
  });

  /** Finished runs of trials at a rung with the given validation accuracy per seed (null: failed, 'diverged'). */
  function rung(accuracies: Record<number, (number | null | 'diverged')[]>, epochs: number): SweepOutcome[] {
    const runs: GridRun[] = trialRuns(grid, Object.keys(accuracies).map(Number), epochs);
    return runs.map((run) => {
      const value = accuracies[run.trial!][[...new Set(runs.map((r) => r.seed))].indexOf(run.seed)];
      if (value === null)
        return { run, result: { run, status: 'failed', error: 'boom', attempts: 1 } } as unknown as SweepOutcome;
      const result = {
        status: value === 'diverged' ? 'diverged' : 'completed',
        finalValidationAccuracy: value === 'diverged' ? 0.1 : value,
        finalValidationLoss: 1,
      } as unknown as RunOutcome;
      return { run, result } as SweepOutcome;
    });
  }

  it('promotes the best floor(n / eta) trials by mean accuracy over seeds; a failed or all-diverged trial never', () => {
    const outcomes = rung(
      {
        1: [0.5, 0.7], // mean 0.6
        2: [0.9, 0.9], // 0.9: best
        3: [0.8, null], // a failed run
        4: ['diverged', 'diverged'],
        5: [0.6, 0.6], // 0.6: tie with trial 1, which ranks first
        6: [0.7, 0.7],
      },
      1,
    );
    const decisions = rungDecisions(outcomes, grid, 1, 1, false);
    expect(decisions.map((row) => [row.trial, row.rank, row.decision])).toEqual([
      [1, 3, 'pruned'],
      [2, 1, 'promoted'],
      [3, 0, 'pruned'],
      [4, 0, 'pruned'],
      [5, 4, 'pruned'],
      [6, 2, 'promoted'],
    ]);
    expect(decisions[0].accuracy).toBeCloseTo(0.6, 12);
    expect(decisions[2].accuracy).toBeNaN();
    // Fewer trials than eta still promote one; the last rung promotes none.
    expect(
      rungDecisions(rung({ 1: [0.2, 0.2], 2: [0.4, 0.4] }, 3), grid, 2, 3, false).map((row) => row.decision),
    ).toEqual(['pruned', 'promoted']);
    expect(rungDecisions(rung({ 2: [0.4, 0.4] }, 9), grid, 3, 9, true).map((row) => row.decision)).toEqual([
      'last rung',
    ]);
  });
});
