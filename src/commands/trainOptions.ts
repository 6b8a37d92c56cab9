/** The options of `inertia train`, with their defaults (yargs infers the argument types). */
import type { InferredOptionTypes } from 'yargs';
import { jsonOption } from './output.js';
import { trainFieldOptions } from '../train/fields.js';
import { runSettingOptions } from './runSettings.js';

/** The training fields (train/fields.ts) between the flags about the run itself. */
export const trainOptions = {
  config: {
    type: 'string',
    describe: "A run's config.json to train again; flags given with it override its fields",
  },
  ...trainFieldOptions,
  resume: {
    type: 'string',
    describe:
      'Continue the interrupted run in this folder from its newest checkpoint (bit for bit as if never interrupted); its config.json says everything else',
  },
  out: { type: 'string', default: 'out/runs', describe: 'Folder of run folders' },
  'run-id': {
    type: 'string',
    describe: 'Name of the run folder (default: dataset-model-optimizer-seed-time); never overwritten',
  },
  ...runSettingOptions,
  quiet: { type: 'boolean', default: false, describe: 'No progress output' },
  'fail-on-diverge': {
    type: 'boolean',
    default: false,
    describe: 'Exit with code 2 when the run diverges (for scripts and CI)',
  },
  ...jsonOption,
} as const;

export type TrainArgs = InferredOptionTypes<typeof trainOptions>;
