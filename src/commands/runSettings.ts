/**
 * The flags of how runs are trained beside their config (train, sweep, study): compiled steps,
 * tags and a note. They travel with every run in its settings (to this process's training, a
 * pool worker or a queue job) and run.json records them; none is part of a run's id or config.
 */
import type { RunSettings } from '../exec/executor.js';
import type { CompileMode } from '../graph/compileMode.js';
import { labelsFromFlags } from '../runs/labels.js';
import { compileOption } from './compileOption.js';

/** `--compile`, then the labels recorded in run.json (not in the run id or config). */
export const runSettingOptions = {
  ...compileOption,
  tag: {
    type: 'string',
    array: true,
    describe:
      'Tag the run(s): a short word (letters, digits, -_.:); repeat or comma-separate for several. Recorded in run.json, not in the run id or config',
  },
  note: { type: 'string', describe: 'A note on the run(s), at most 1,000 characters, recorded in run.json' },
} as const;

/** The run settings the flags give (absent fields where a flag is not given). */
export function runSettingsFromFlags(args: { compile?: CompileMode; tag?: string[]; note?: string }): RunSettings {
  return { ...(args.compile === undefined ? {} : { compile: args.compile }), ...labelsFromFlags(args.tag, args.note) };
}
