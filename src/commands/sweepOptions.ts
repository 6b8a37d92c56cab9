/** The options of `inertia sweep` (yargs infers the argument types); its grid fields come from train/fields.ts. */
import type { InferredOptionTypes } from 'yargs';
import { sweepFieldOptions } from '../train/fields.js';
import { runSettingOptions } from './runSettings.js';

export const sweepOptions = {
  grid: { type: 'string', describe: 'JSON or YAML file with a list of values per field (flags replace its lists)' },
  ...sweepFieldOptions,
  seeds: { type: 'number', describe: 'Seeds 1..N for every setting (default 1)' },
  'validation-size': {
    type: 'number',
    describe:
      'Hold N training examples out (stratified, a fixed seed) and choose the best setting on them, not on the test split (default: none, the choice is made on the test split)',
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
  ...runSettingOptions,
  quiet: { type: 'boolean', default: false, describe: 'No progress output' },
} as const;

export type SweepArgs = InferredOptionTypes<typeof sweepOptions>;
