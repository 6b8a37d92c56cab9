/** `inertia runs ls`: the runs of a folder, filtered and sorted. */
import { jsonOption, outputOf } from '../output.js';
import { RUNS_FOLDER } from './runFolders.js';
import { defineCommand } from './command.js';

export const runsCommand = defineCommand({
  name: 'runs',
  args: '<action> [folder]',
  describe:
    'List the runs under a folder (train, sweep or study) with their differing settings and final metrics, filtered and sorted',
  positionals: {
    action: { choices: ['ls'] as const, demandOption: true, describe: 'What to do' },
    folder: RUNS_FOLDER,
  },
  options: {
    filter: {
      type: 'string',
      default: '',
      describe:
        'Space-separated terms that must all hold: field=value, field!=value, metric>number (< >= <=), or text in the run id',
    },
    sort: {
      type: 'string',
      default: '',
      describe:
        'A config field or metric to sort by (test/accuracy); a leading - sorts descending (write --sort=-test/loss)',
    },
    ...jsonOption,
  },
  examples: [
    ['$0 runs ls out --filter optimizer.kind=adam --sort=-test/accuracy', 'Adam runs, most accurate first'],
    ["$0 runs ls out/sweeps/mine --filter 'status=diverged'", 'The runs of a sweep that diverged'],
    ['$0 runs ls out --filter tag=baseline', 'The runs tagged baseline (train or sweep --tag baseline)'],
    ['$0 runs ls out --json | jq -r .runs[].id', 'The run ids, for a script'],
  ],
  async handler(args) {
    const { runsLs, formatRunsLs } = await import('../runs.js');
    return outputOf(runsLs({ folder: args.folder, filter: args.filter, sort: args.sort }), formatRunsLs);
  },
});
