/** `inertia export tensorboard`: event files for existing run folders. */
import { jsonOption, outputOf } from '../output.js';
import { RUN_FOLDERS } from './runFolders.js';
import { defineCommand } from './command.js';

export const exportCommand = defineCommand({
  name: 'export',
  args: '<format> <runs...>',
  describe: 'Write TensorBoard event files (scalars and HParams) for run folders of train, sweep or study',
  positionals: {
    format: { choices: ['tensorboard'] as const, demandOption: true, describe: 'What to write' },
    runs: RUN_FOLDERS,
  },
  options: jsonOption,
  examples: [
    ['$0 export tensorboard out', 'Every run under out/, then: tensorboard --logdir out'],
    ["$0 export tensorboard 'out/sweeps/*/runs/lr*'", 'Some runs of every sweep'],
    ['$0 export tensorboard out/study/default --json | jq .logdir', 'The folder to give tensorboard, for a script'],
  ],
  async handler(args) {
    const { exportTensorboard, formatExport } = await import('../export.js');
    const result = exportTensorboard(args.runs, (done, total) => {
      if (done % 50 === 0 || done === total) process.stderr.write(`export: ${done}/${total} runs\n`);
    });
    return outputOf(result, formatExport);
  },
});
