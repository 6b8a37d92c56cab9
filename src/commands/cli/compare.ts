/** `inertia compare`: runs overlaid per metric, a tidy CSV and a final-metrics table. */
import { outputOf } from '../output.js';
import { compareOptions, type CompareArgs } from '../compareOptions.js';
import { RUN_FOLDERS } from './runFolders.js';
import { defineCommand } from './command.js';

export const compareCommand = defineCommand({
  name: 'compare',
  args: '<runs...>',
  describe:
    'Overlay runs (train, sweep or study folders, or glob patterns) in one figure per metric, with a tidy CSV and a final-metrics table',
  positionals: { runs: RUN_FOLDERS },
  options: compareOptions,
  examples: [
    ['$0 compare out/runs/a out/runs/b', 'Two runs: losses and test accuracy, legend from the fields that differ'],
    ["$0 compare 'out/study/default/runs/grid-*' --x epoch --smooth 10 --log-y", 'Every grid run of a study'],
    ['$0 compare out/runs --metric test/accuracy --label optimizer.kind --out out/cmp', 'One figure, legend by kind'],
  ],
  async handler(args) {
    const { compareCommand: compare, formatCompare, stoppedCompareLine } = await import('../compare.js');
    const { exitOnStopSignals } = await import('../../runs/stopSignals.js');
    // Files already there may be from an earlier comparison: only those written from now on are this one's.
    const started = Date.now() - 1000;
    let finished = false;
    exitOnStopSignals((signal) => {
      if (!finished) process.stderr.write(`\n${stoppedCompareLine(signal, args.out, started)}\n`);
    });
    const result = await compare(args as CompareArgs);
    finished = true;
    return outputOf(result, formatCompare);
  },
});
