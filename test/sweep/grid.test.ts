import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandGrid, makeGrid, readGridFile } from '../../src/sweep/grid.js';
import { groupBySetting, summaryColumns, type SweepOutcome } from '../../src/sweep/summary.js';

describe('sweep grid', () => {
  it('applies a field only to the kinds that take it, and names the varying fields in run ids', () => {
    const grid = makeGrid(
      {},
      { optimizer: 'heavy-ball,sgd', lr: '0.01,0.1', momentum: '0.9', seeds: 2, dataset: 'synthetic', epochs: '1' },
    );
    const runs = expandGrid(grid);
    // heavy-ball: 2 lr x 1 momentum x 2 seeds; sgd: 2 lr x 2 seeds (no momentum).
    expect(runs.map((run) => run.id)).toEqual([
      'heavy-ball-lr0.01-seed1',
      'heavy-ball-lr0.01-seed2',
      'heavy-ball-lr0.1-seed1',
      'heavy-ball-lr0.1-seed2',
      'sgd-lr0.01-seed1',
      'sgd-lr0.01-seed2',
      'sgd-lr0.1-seed1',
      'sgd-lr0.1-seed2',
    ]);
    expect(runs[0].config.optimizer).toEqual({ kind: 'heavy-ball', learningRate: 0.01, momentum: 0.9 });
    expect(runs[4].config.optimizer).toEqual({ kind: 'sgd', learningRate: 0.01 });
    expect(runs[4].settings.momentum).toBeUndefined();
    expect(runs.map((run) => run.config.seed)).toEqual([1, 2, 1, 2, 1, 2, 1, 2]);
    expect(runs[0].config).toMatchObject({ dataset: 'synthetic', model: 'mlp', epochs: 1, batchSize: 128 });
  });

  it('sweeps the fields of the parameter-free kinds, each on the kinds that take it', () => {
    const grid = makeGrid(
      {},
      { optimizer: 'rprop,cocob,dowg', 'eta-plus': '1.1,1.3', alpha: '50', 'init-sq-dist': '0.01', epochs: '1' },
    );
    const runs = expandGrid(grid);
    expect(runs.map((run) => run.id)).toEqual([
      'rprop-etaplus1.1-seed1',
      'rprop-etaplus1.3-seed1',
      'cocob-seed1',
      'dowg-seed1',
    ]);
    expect(runs.map((run) => run.config.optimizer)).toEqual([
      { kind: 'rprop', etaPlus: 1.1 },
      { kind: 'rprop', etaPlus: 1.3 },
      { kind: 'cocob', alpha: 50 },
      { kind: 'dowg', initSqDist: 0.01 },
    ]);
    expect(() => makeGrid({}, { optimizer: 'adam', rho: '0.9' })).toThrow(
      '--rho applies to none of the optimizers swept (adam); kinds that take it: adadelta',
    );
  });

  it('sweeps the fields of the self-scaling kinds; beta goes to momo and schedule-free alike', () => {
    const grid = makeGrid(
      {},
      {
        optimizer: 'mechanic,momo,schedule-free',
        'base-lr': '0.1,1',
        beta: '0.8',
        'weight-lr-power': '1',
        epochs: '1',
      },
    );
    expect(expandGrid(grid).map((run) => [run.id, run.config.optimizer])).toEqual([
      ['mechanic-baselr0.1-seed1', { kind: 'mechanic', baseLearningRate: 0.1 }],
      ['mechanic-baselr1-seed1', { kind: 'mechanic', baseLearningRate: 1 }],
      ['momo-seed1', { kind: 'momo', beta: 0.8 }],
      ['schedule-free-seed1', { kind: 'schedule-free', beta: 0.8, weightLrPower: 1 }],
    ]);
    expect(() => makeGrid({}, { optimizer: 'adam', 'num-betas': '3' })).toThrow(
      '--num-betas applies to none of the optimizers swept (adam); kinds that take it: mechanic',
    );
  });

  // Each grid case is written out: the flags, then the run ids and configs they expand to.
  it('sweeps the training loss and the minibatch reduction like the other training fields', () => {
    const grid = makeGrid(
      { reduction: ['mean', 'sum'] },
      { optimizer: 'sgd', lr: '0.1', loss: 'cross-entropy,mse', dataset: 'synthetic', epochs: '1' },
    );
    const runs = expandGrid(grid);
    expect(runs.map((run) => run.id)).toEqual([
      'sgd-cross-entropy-mean-seed1',
      'sgd-cross-entropy-sum-seed1',
      'sgd-mse-mean-seed1',
      'sgd-mse-sum-seed1',
    ]);
    expect(runs.map((run) => [run.config.loss, run.config.reduction])).toEqual([
      ['cross-entropy', 'mean'],
      ['cross-entropy', 'sum'],
      ['mse', 'mean'],
      ['mse', 'sum'],
    ]);
    expect(runs[3].settings).toMatchObject({ loss: 'mse', reduction: 'sum' });
    expect(summaryColumns(grid)).toEqual(expect.arrayContaining(['loss', 'reduction']));
    // A grid that does not list them leaves them out of the run's config (the defaults apply; config.json writes them out).
    const plain = expandGrid(makeGrid({}, { optimizer: 'sgd', lr: '0.1' }))[0].config;
    expect(plain).not.toHaveProperty('loss');
    expect(plain).not.toHaveProperty('reduction');
    expect(() => makeGrid({}, { optimizer: 'sgd', reduction: 'median' })).toThrow(
      'Invalid --reduction value: "median" (expected one of: mean, sum)',
    );
    expect(() => makeGrid({ loss: ['hinge'] }, { optimizer: 'sgd' })).toThrow(
      'Invalid grid loss value: "hinge" (expected one of: cross-entropy, mse)',
    );
  });

  it('sweeps the models, the inputs, the initialisation and label smoothing; defaults stay out of config.json', () => {
    const grid = makeGrid(
      { model: ['mlp', 'deep-mlp', 'cnn-bn'], 'label-smoothing': [0, 0.1] },
      { optimizer: 'sgd', lr: '0.1', inputs: 'unit,raw', init: 'glorot,he', dataset: 'synthetic', epochs: '1' },
    );
    const runs = expandGrid(grid);
    expect(runs).toHaveLength(24);
    expect(runs.slice(0, 4).map((run) => run.id)).toEqual([
      'unit-mlp-glorot-sgd-ls0-seed1',
      'unit-mlp-glorot-sgd-ls0.1-seed1',
      'unit-mlp-he-sgd-ls0-seed1',
      'unit-mlp-he-sgd-ls0.1-seed1',
    ]);
    const byId = new Map(runs.map((run) => [run.id, run.config]));
    // The defaults (unit, glorot, 0) are never written: the same config.json as a run that names none.
    const plain = byId.get('unit-mlp-glorot-sgd-ls0-seed1')!;
    for (const field of ['inputs', 'init', 'labelSmoothing']) expect(plain).not.toHaveProperty(field);
    expect(byId.get('raw-cnn-bn-he-sgd-ls0.1-seed1')).toMatchObject({
      model: 'cnn-bn',
      inputs: 'raw',
      init: 'he',
      labelSmoothing: 0.1,
    });
    expect(summaryColumns(grid)).toEqual(expect.arrayContaining(['inputs', 'init', 'label_smoothing']));
    expect(() => makeGrid({}, { optimizer: 'sgd', inputs: 'normalized' })).toThrow(
      'Invalid --inputs value: "normalized" (expected one of: unit, standardized, raw)',
    );
    expect(() => makeGrid({ init: ['lecun'] }, { optimizer: 'sgd' })).toThrow(
      'Invalid grid init value: "lecun" (expected one of: glorot, he, glorot-0.1)',
    );
    expect(() => makeGrid({}, { optimizer: 'sgd', 'label-smoothing': 'some' })).toThrow(
      'Invalid --label-smoothing value: "some" (expected numbers)',
    );
  });

  it('trains a model that hidden does not apply to once, not once per hidden value', () => {
    const grid = makeGrid(
      { hidden: ['256,128', '64'] },
      { model: 'mlp,cnn', optimizer: 'sgd', lr: '0.1', seeds: 2, dataset: 'synthetic', epochs: '1' },
    );
    const runs = expandGrid(grid);
    // 2 hidden x 2 seeds for the mlp; the cnn has no hidden layers to size: 1 setting x 2 seeds.
    expect(runs.map((run) => run.id)).toEqual([
      'mlp-h256x128-sgd-seed1',
      'mlp-h256x128-sgd-seed2',
      'mlp-h64-sgd-seed1',
      'mlp-h64-sgd-seed2',
      'cnn-sgd-seed1',
      'cnn-sgd-seed2',
    ]);
    expect(runs[4].config).not.toHaveProperty('hidden');
    expect(runs[0].config.hidden).toEqual([256, 128]);
  });

  it('refuses a field that no listed kind takes, unknown fields and bad values', () => {
    expect(() => makeGrid({}, { optimizer: 'sgd', momentum: '0.9' })).toThrow(
      /--momentum applies to none of the optimizers swept \(sgd\); kinds that take it: heavy-ball, nesterov/,
    );
    expect(() => makeGrid({ learning_rate: [0.1] }, { optimizer: 'sgd' })).toThrow(
      /Unknown grid field "learning_rate" \(expected: dataset, inputs, model/,
    );
    expect(() => makeGrid({}, { optimizer: 'sgd,adamw' })).toThrow(
      /Invalid --optimizer value: "adamw" \(expected one of: sgd/,
    );
    expect(() => makeGrid({}, { optimizer: 'sgd', lr: '0.1,fast' })).toThrow(
      'Invalid --lr value: "fast" (expected numbers)',
    );
    expect(() => makeGrid({}, { optimizer: 'sgd', seeds: 0 })).toThrow(/Invalid seeds value: 0/);
    expect(() => makeGrid({}, {})).toThrow(/Name the optimizers to sweep/);
  });

  it('reads JSON and YAML grid files; a flag replaces the file list of its field', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inertia-grid-'));
    try {
      fs.writeFileSync(
        path.join(dir, 'g.yaml'),
        'optimizer: [ema-momentum, no-lr-momentum]\nlr: [0.1, 0.3]\nmomentum: 0.9\nseeds: 3\n',
      );
      fs.writeFileSync(path.join(dir, 'g.json'), JSON.stringify({ optimizer: ['sgd'], lr: [0.5] }));
      const yamlGrid = makeGrid(readGridFile(path.join(dir, 'g.yaml')), { lr: '0.2' });
      expect(yamlGrid.values).toMatchObject({
        optimizer: ['ema-momentum', 'no-lr-momentum'],
        lr: [0.2],
        momentum: [0.9],
      });
      expect(yamlGrid.seeds).toBe(3);
      // no-lr-momentum refuses a learning rate: its runs get momentum only.
      const runs = expandGrid(yamlGrid);
      expect(runs.filter((run) => run.settings.optimizer === 'no-lr-momentum')[0].config.optimizer).toEqual({
        kind: 'no-lr-momentum',
        momentum: 0.9,
      });
      expect(makeGrid(readGridFile(path.join(dir, 'g.json')), {}).values.lr).toEqual([0.5]);
      fs.writeFileSync(path.join(dir, 'bad.yaml'), 'optimizer: [sgd\n');
      expect(() => readGridFile(path.join(dir, 'bad.yaml'))).toThrow(/Cannot parse the grid file .*bad\.yaml/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps a setting's accuracy interval inside [0, 1]", () => {
    const grid = makeGrid({}, { optimizer: 'sgd', lr: '0.1', seeds: 2, 'validation-size': 0 });
    const accuracies = [0.99, 0.95];
    const outcomes = expandGrid(grid).map((run, i) => ({
      run,
      result: { status: 'completed', finalTestAccuracy: accuracies[i], finalTestLoss: 0.1 + i / 10 },
    })) as unknown as SweepOutcome[];
    const [group] = groupBySetting(outcomes, grid);
    // Mean 0.97; t(0.975, 1) = 12.706, s = 0.04 / sqrt(2): half-width 12.706 * 0.04 / 2 = 0.25412,
    // so [0.71588, 1.22412], cut to [0.71588, 1]. The loss keeps its t-interval.
    expect(group.accuracy.estimate).toBeCloseTo(0.97, 12);
    expect(group.accuracy.low).toBeCloseTo(0.71588, 10);
    expect(group.accuracy.high).toBe(1);
    expect(group.loss.high).toBeCloseTo(0.15 + 0.6353, 10);
  });
});
