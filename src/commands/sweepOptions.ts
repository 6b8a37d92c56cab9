/** The options of `inertia sweep` (yargs infers the argument types). */
import type { InferredOptionTypes } from 'yargs';
import { compileOption } from './compileOption.js';

const list = (describe: string) => ({ type: 'string', describe }) as const;

export const sweepOptions = {
  grid: { type: 'string', describe: 'JSON or YAML file with a list of values per field (flags replace its lists)' },
  dataset: list('Datasets, comma-separated (default mnist-digits)'),
  'data-dir': {
    type: 'string',
    describe:
      'Folder with the IDX files, for local runs (default: $INERTIA_DATA_DIR, datasets/<name>/, then system locations)',
  },
  model: list('Models: logreg, mlp, cnn (default mlp)'),
  hidden: list('Hidden layer sizes of the mlp, e.g. 256,128 (one setting; several in a grid file)'),
  optimizer: list('Optimizer kinds, comma-separated, e.g. heavy-ball,sgd,adam'),
  lr: list('Learning rates, e.g. 0.01,0.03,0.1'),
  momentum: list('Momenta (kinds that take momentum only)'),
  'gradient-steps': list('pure-momentum: steps that feed the gradient in'),
  beta1: list('adam, prodigy: first-moment decays'),
  beta2: list('adam, prodigy: second-moment decays'),
  epsilon: list('adam, rmsprop, polyak, prodigy: epsilons'),
  decay: list('rmsprop: decays'),
  'max-lr': list('polyak: largest step sizes'),
  'f-min': list('polyak: loss lower bounds'),
  d0: list('prodigy: initial distance estimates'),
  epochs: list('Epochs (default 5)'),
  'batch-size': list('Minibatch sizes (default 128)'),
  'loss-scale': list('Loss scales (default 1)'),
  loss: list('Training losses: cross-entropy, mse (default cross-entropy)'),
  reduction: list('Minibatch reductions: mean, sum (default mean)'),
  'train-limit': list('Use only the first N training examples'),
  'test-limit': list('Use only the first N test examples'),
  'max-steps': list('Stop each run after this many optimizer steps'),
  seeds: { type: 'number', describe: 'Seeds 1..N for every setting (default 1)' },
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
  quiet: { type: 'boolean', default: false, describe: 'No progress output' },
} as const;

export type SweepArgs = InferredOptionTypes<typeof sweepOptions>;
