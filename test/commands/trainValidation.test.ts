/**
 * `inertia train --validation-size N`: the config field a config file sets (validation), from
 * the command line, with the seed sweeps and the study carve with; the run evaluates on the
 * held-out training examples.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempFolder } from '../helpers/runs.js';
import { configFromArgs } from '../../src/commands/train.js';
import { trainOptions, type TrainArgs } from '../../src/commands/trainOptions.js';
import { expandGrid, makeGrid } from '../../src/sweep/grid.js';

const defaults = Object.fromEntries(
  Object.entries(trainOptions).map(([flag, option]) => [flag, 'default' in option ? option.default : undefined]),
) as unknown as TrainArgs;

const out = tempFolder('inertia-train-validation-');

describe('train --validation-size', () => {
  it('sets the validation field as a sweep run of the same size does; absent, the run evaluates on test', () => {
    const args = { ...defaults, optimizer: 'sgd', lr: 0.1, dataset: 'synthetic', 'validation-size': 40 } as TrainArgs;
    const config = configFromArgs(args);
    expect(config.validation).toEqual({ size: 40, seed: 7, evaluate: 'validation' });
    const [run] = expandGrid(makeGrid({}, { dataset: 'synthetic', optimizer: 'sgd', lr: 0.1, 'validation-size': 40 }));
    expect(run.config.validation).toEqual(config.validation);
    expect(configFromArgs({ ...defaults, optimizer: 'sgd', lr: 0.1 } as TrainArgs).validation).toBeUndefined();
  });

  it('trains on the rest and reports the validation split; with --config the flag overrides the file', () => {
    const flags = [
      '--dataset',
      'synthetic',
      '--train-limit',
      '160',
      '--test-limit',
      '64',
      '--model',
      'logreg',
      '--optimizer',
      'sgd',
      '--lr',
      '0.1',
    ];
    const first = runCli(['train', ...flags, '--validation-size', '32', '--out', out, '--run-id', 'held']);
    expect(first.code, first.stderr.join('\n')).toBe(0);
    expect(first.stdout).toMatch(/validation accuracy \d+(\.\d+)?%, validation loss /);
    const config = JSON.parse(fs.readFileSync(path.join(out, 'held', 'config.json'), 'utf8'));
    expect(config.validation).toEqual({ size: 32, seed: 7, evaluate: 'validation' });
    const metrics = fs.readFileSync(path.join(out, 'held', 'metrics.csv'), 'utf8');
    // Long format (step,epoch,split,metric,value): validation rows, no test rows.
    expect(metrics).toContain(',validation,accuracy,');
    expect(metrics).not.toContain(',test,');

    const plain = runCli(['train', ...flags, '--out', out, '--run-id', 'plain', '--quiet']);
    expect(plain.code, plain.stderr.join('\n')).toBe(0);
    const file = path.join(out, 'plain', 'config.json');
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).validation).toBeUndefined();
    const over = runCli([
      'train',
      '--config',
      file,
      '--validation-size',
      '16',
      '--out',
      out,
      '--run-id',
      'over',
      '--quiet',
    ]);
    expect(over.code, over.stderr.join('\n')).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'over', 'config.json'), 'utf8')).validation).toEqual({
      size: 16,
      seed: 7,
      evaluate: 'validation',
    });
  }, 120_000);
});
