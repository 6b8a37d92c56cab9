/** The options of `inertia study` (yargs infers the argument types). */
import type { InferredOptionTypes } from 'yargs';
import { jsonOption } from './output.js';
import { PRESET_NAMES, type PresetName } from '../study/presets.js';
import { compileOption } from './compileOption.js';
import { integerOption } from '../util/integerFlag.js';

export const studyOptions = {
  preset: {
    choices: PRESET_NAMES,
    default: 'default' as PresetName,
    describe:
      'quick: tests/CI (< 1 min); default: mnist-digits, every experiment (about 2 minutes); full: Fashion-MNIST, more seeds',
  },
  out: { type: 'string', default: 'out/study', describe: 'Parent folder of the study folder (<out>/<preset>/)' },
  seeds: integerOption('seeds', "Seeds for the reruns of each optimizer's best grid setting (default: the preset's)"),
  'data-dir': { type: 'string', describe: 'Folder with the IDX files (fashion-mnist for the full preset)' },
  workers: integerOption(
    'workers',
    'Worker processes training runs in parallel (default: one per core, at most 2; at most the number of cores)',
  ),
  queue: {
    type: 'string',
    describe:
      'Train on `inertia worker` processes through Redis: redis://[user:password@]host[:port][/db] (default: $INERTIA_QUEUE; none: local)',
  },
  ...compileOption,
  'allow-mixed-commits': {
    type: 'boolean',
    default: false,
    describe:
      'Resume runs trained at a commit whose training code (models, data, optimizers, training loop) differs from the current one; the report lists the mixture',
  },
  'finished-only': {
    type: 'boolean',
    default: false,
    describe:
      'Train nothing: report on the runs already finished (--preset atlas only; settings with unfinished runs are left out and listed in the report)',
  },
  quiet: { type: 'boolean', default: false, describe: 'No progress output' },
  ...jsonOption,
} as const;

export type StudyArgs = InferredOptionTypes<typeof studyOptions>;
