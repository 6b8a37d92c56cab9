/** The options of `inertia compare` (yargs infers the argument types). */
import type { InferredOptionTypes } from 'yargs';
import { integer } from './coerce.js';
import { jsonOption } from './output.js';
import { X_AXES } from '../compare/series.js';

/** A comma-separated flag's values; a repeated flag (`--metric a --metric b`) gives an array. */
const list = (value: string | string[]) =>
  [value]
    .flat()
    .flatMap((text) => String(text).split(','))
    .map((part) => part.trim())
    .filter(Boolean);

export const compareOptions = {
  metric: {
    type: 'string',
    describe:
      'Metrics to plot, split/name comma-separated (default: those of train/batch_loss,train/loss,validation/loss,validation/accuracy,test/loss,test/accuracy the runs have)',
    coerce: list,
  },
  x: { choices: X_AXES, default: 'step' as const, describe: 'x axis: optimizer step, epoch, or training seconds' },
  label: {
    type: 'string',
    describe: 'config.json fields for the legend, comma-separated (default: the fields that differ between the runs)',
    coerce: list,
  },
  smooth: {
    type: 'number',
    coerce: integer('smooth'),
    default: 1,
    describe: 'Moving-average window for per-step metrics (1: raw)',
  },
  'log-y': {
    type: 'boolean',
    default: false,
    describe: 'Logarithmic y axis for losses and norms (accuracy stays linear)',
  },
  out: { type: 'string', default: 'out/compare', describe: 'Folder for the figures, runs.csv and final.md/csv' },
  force: { type: 'boolean', default: false, describe: 'Compare runs of different datasets or models anyway' },
  ...jsonOption,
} as const;

export type CompareArgs = InferredOptionTypes<typeof compareOptions> & { runs: string[] };
