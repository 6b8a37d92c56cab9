/**
 * The one table of training fields: what it generates for train (the config its flags
 * describe), for sweep (the list flags and the grid's fields, in the order run ids name them)
 * and for both (the optimizer flags).
 */
import { describe, expect, it } from 'vitest';
import { GRID_FIELDS, NUMERIC_GRID_FIELDS } from '../../src/sweep/grid.js';
import {
  configFromFields,
  OPTIMIZER_FLAG_FIELDS,
  sweepFieldOptions,
  TRAIN_FIELDS,
  trainFieldOptions,
} from '../../src/train/fields.js';

describe('training fields', () => {
  it('builds the config that flag values describe, through each field path', () => {
    const config = configFromFields({
      dataset: 'synthetic',
      hidden: '64,32',
      optimizer: 'heavy-ball',
      lr: 0.1,
      momentum: 0.9,
      keras: false,
      'validation-size': 40,
      'batch-size': 32,
      // Flags without a config field of their own, and files their command reads, are left out.
      schedule: 'cosine-decay',
      'decay-steps': 100,
      'optimizer-spec': 'stages.json',
    });
    expect(config).toEqual({
      dataset: 'synthetic',
      hidden: [64, 32],
      optimizer: { kind: 'heavy-ball', learningRate: 0.1, momentum: 0.9 },
      batchSize: 32,
      mode: 'custom',
      validation: { size: 40, seed: 7, evaluate: 'validation' },
    });
    expect(configFromFields({ keras: true })).toEqual({ mode: 'keras' });
    expect(() => configFromFields({ hidden: '64,0' })).toThrow(
      'Invalid --hidden value: "64,0" (expected positive integers separated by commas, e.g. 256,128)',
    );
  });

  it('lists the grid fields in the order run ids and summary.csv name them', () => {
    // A new field goes where it reads best; moving one renames the runs of existing sweeps.
    expect(GRID_FIELDS).toEqual([
      ...['dataset', 'inputs', 'model', 'hidden', 'init', 'optimizer', 'lr', 'momentum', 'gradient-steps'],
      ...['beta1', 'beta2', 'epsilon', 'decay', 'max-lr', 'f-min', 'd0', 'rho', 'eta-minus', 'eta-plus'],
      ...['min-step', 'max-step', 'r-epsilon', 'init-sq-dist', 'alpha', 'base-lr', 'base-momentum'],
      ...['weight-decay', 's-init', 'num-betas', 'beta', 'lower-bound', 'weight-lr-power', 'epochs'],
      ...['batch-size', 'loss-scale', 'loss', 'reduction', 'label-smoothing', 'train-limit', 'test-limit'],
      ...['max-steps', 'checkpoint'],
    ]);
    expect(NUMERIC_GRID_FIELDS).toEqual([
      ...Object.keys(OPTIMIZER_FLAG_FIELDS),
      ...['epochs', 'batch-size', 'loss-scale', 'label-smoothing', 'train-limit', 'test-limit', 'max-steps'],
    ]);
  });

  it('gives sweep a list flag per grid field and train an option per row', () => {
    expect(Object.keys(trainFieldOptions)).toEqual(Object.keys(TRAIN_FIELDS));
    expect(Object.keys(sweepFieldOptions)).toEqual(
      Object.keys(TRAIN_FIELDS).filter(
        (flag) => (GRID_FIELDS as readonly string[]).includes(flag) || flag === 'data-dir',
      ),
    );
    expect(sweepFieldOptions.lr).toEqual({
      type: 'string',
      describe: 'Learning rates, e.g. 0.01,0.03,0.1 (rprop: initial step sizes)',
    });
    expect(OPTIMIZER_FLAG_FIELDS).toMatchObject({ lr: 'learningRate', 'gradient-steps': 'gradientSteps' });
    expect(Object.keys(OPTIMIZER_FLAG_FIELDS)).toHaveLength(26);
  });
});
