/** The options of `inertia sweep` (yargs infers the argument types). */
import type { InferredOptionTypes } from 'yargs';
import { compileOption } from './compileOption.js';
import { labelOptions } from './labelOptions.js';
import { MODEL_KINDS } from '../models/kinds.js';

const list = (describe: string) => ({ type: 'string', describe }) as const;

export const sweepOptions = {
  grid: { type: 'string', describe: 'JSON or YAML file with a list of values per field (flags replace its lists)' },
  dataset: list('Datasets, comma-separated (default mnist-digits)'),
  'data-dir': {
    type: 'string',
    describe:
      'Folder with the IDX files, for local runs (default: $INERTIA_DATA_DIR, datasets/<name>/, then system locations)',
  },
  inputs: list('Pixel scalings: unit, standardized, raw (default unit)'),
  model: list(`Models: ${MODEL_KINDS.join(', ')} (default mlp)`),
  hidden: list('Hidden layer sizes of the mlp, e.g. 256,128 (one setting; several in a grid file)'),
  init: list('Kernel initialisations: glorot, he, glorot-0.1 (default glorot)'),
  optimizer: list('Optimizer kinds, comma-separated, e.g. heavy-ball,sgd,adam'),
  lr: list('Learning rates, e.g. 0.01,0.03,0.1 (rprop: initial step sizes)'),
  momentum: list('Momenta (kinds that take momentum only)'),
  'gradient-steps': list('pure-momentum: steps that feed the gradient in'),
  beta1: list('adam, prodigy, dadapt-adamw: first-moment decays'),
  beta2: list('adam, prodigy, dadapt-adamw: second-moment decays'),
  epsilon: list('adam, rmsprop, polyak, prodigy, adadelta, dog, dowg, cocob, dadapt-adamw, mechanic: epsilons'),
  decay: list('rmsprop: decays'),
  'max-lr': list('polyak: largest step sizes'),
  'f-min': list('polyak: loss lower bounds'),
  d0: list('prodigy, dadapt-adamw: initial distance estimates'),
  rho: list('adadelta: decays of its averages'),
  'eta-minus': list('rprop: step factors when the gradient changes sign'),
  'eta-plus': list('rprop: step factors when the gradient keeps its sign'),
  'min-step': list('rprop: smallest step sizes'),
  'max-step': list('rprop: largest step sizes'),
  'r-epsilon': list('dog: initial distance factors'),
  'init-sq-dist': list('dowg: initial squared-distance estimates'),
  alpha: list('cocob: fraction-to-bet parameters'),
  'base-lr': list('mechanic: rates of the base heavy-ball'),
  'base-momentum': list('mechanic: momenta of the base heavy-ball'),
  'weight-decay': list("mechanic: Mechanic's weight decays"),
  's-init': list('mechanic: initial scales'),
  'num-betas': list('mechanic: numbers of betas'),
  beta: list('momo: averaging decays; schedule-free: interpolations'),
  'lower-bound': list('momo: loss lower bounds'),
  'weight-lr-power': list('schedule-free: averaging weight powers'),
  epochs: list('Epochs (default 5)'),
  'batch-size': list('Minibatch sizes (default 128)'),
  'loss-scale': list('Loss scales (default 1)'),
  loss: list('Training losses: cross-entropy, mse (default cross-entropy)'),
  reduction: list('Minibatch reductions: mean, sum (default mean)'),
  'label-smoothing': list('Label smoothing of the cross-entropy, 0 <= e < 1 (default 0)'),
  'train-limit': list('Use only the first N training examples'),
  'test-limit': list('Use only the first N test examples'),
  'max-steps': list('Stop each run after this many optimizer steps'),
  seeds: {
    type: 'string',
    describe:
      'Seeds of every setting: N for 1..N, a range 4-6 or a list 1,3,5 (default 1); more seeds on an existing --out grow it',
  },
  'validation-size': {
    type: 'number',
    describe:
      'Hold N training examples out (stratified, a fixed seed), choose the best setting on them and train it again on fresh seeds for the test split (default: a tenth of the training examples; 0: choose on the test split)',
  },
  search: {
    type: 'string',
    describe:
      "grid (every combination), random (--trials settings drawn from the lists and the grid file's distributions) or asha (the same draws, trained by successive halving up to --epochs)",
  },
  trials: { type: 'number', describe: 'random, asha: settings drawn (more trials on an existing --out grow it)' },
  'search-seed': { type: 'number', describe: 'random, asha: seed of the draws (default 0)' },
  eta: { type: 'number', describe: 'asha: each rung keeps the best 1/eta of its trials (default 3)' },
  'min-epochs': {
    type: 'number',
    describe: 'asha: epochs of the first rung; each next rung eta times more, up to --epochs (default 1)',
  },
  out: {
    type: 'string',
    describe: 'The sweep folder (default out/sweeps/<hash of the grid>, so the same command resumes)',
  },
  workers: { type: 'number', describe: 'Local worker processes (default: one per core, at most 2)' },
  queue: {
    type: 'string',
    describe:
      'Train on `inertia worker` processes through Redis: redis://[user:password@]host[:port][/db] (default: $INERTIA_QUEUE)',
  },
  json: {
    type: 'boolean',
    default: false,
    describe: 'Print one JSON document (the result) on stdout; progress on stderr',
  },
  yes: {
    type: 'boolean',
    default: false,
    describe: 'Train a grid of more than 10,000 runs (refused without it: usually a typo such as --seeds 100000)',
  },
  ...compileOption,
  ...labelOptions,
  quiet: { type: 'boolean', default: false, describe: 'No progress output' },
} as const;

export type SweepArgs = InferredOptionTypes<typeof sweepOptions>;
