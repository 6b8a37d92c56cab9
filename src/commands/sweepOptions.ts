/** The options of `inertia sweep` (yargs infers the argument types); its grid fields come from train/fields.ts. */
import type { InferredOptionTypes } from 'yargs';
import { sweepFieldOptions, TRAIN_FIELDS } from '../train/fields.js';
import { runSettingOptions } from './runSettings.js';
import { SEARCH_KINDS } from '../sweep/search.js';
import { parseIntegerFlag } from '../util/integerFlag.js';

/** An integer flag of at least `min`, parsed from its text. */
const integer = (flag: string, min: number, describe: string) =>
  ({ type: 'string', requiresArg: true, coerce: parseIntegerFlag(flag, min), describe }) as const;

export const sweepOptions = {
  grid: { type: 'string', describe: 'JSON or YAML file with a list of values per field (flags replace its lists)' },
  ...sweepFieldOptions,
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
    choices: SEARCH_KINDS,
    describe:
      "grid (every combination), random (--trials settings drawn from the lists and the grid file's distributions) or asha (the same draws, trained by successive halving up to --epochs)",
  },
  trials: integer('trials', 1, 'random, asha: settings drawn (more trials on an existing --out grow it)'),
  'search-seed': integer('search-seed', 0, 'random, asha: seed of the draws (default 0)'),
  eta: integer('eta', 2, 'asha: each rung keeps the best 1/eta of its trials (default 3)'),
  'min-epochs': integer(
    'min-epochs',
    1,
    'asha: epochs of the first rung; each next rung eta times more, up to --epochs (default 1)',
  ),
  // The schedule and its parameters as `inertia train` takes them: one value each, applied to every run's rate.
  schedule: TRAIN_FIELDS.schedule.option,
  'warmup-steps': TRAIN_FIELDS['warmup-steps'].option,
  'decay-steps': TRAIN_FIELDS['decay-steps'].option,
  'end-lr': TRAIN_FIELDS['end-lr'].option,
  'decay-rate': TRAIN_FIELDS['decay-rate'].option,
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
  ...runSettingOptions,
  quiet: { type: 'boolean', default: false, describe: 'No progress output' },
} as const;

export type SweepArgs = InferredOptionTypes<typeof sweepOptions>;
