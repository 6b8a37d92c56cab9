/** `inertia sweep`: a grid x seeds, locally or over a queue; exit 3 when every run failed. */
import { EXIT_CODES, outputOf } from '../output.js';
import { sweepOptions } from '../sweepOptions.js';
import { defineCommand } from './command.js';
import { exitOnStopSignalsResumable } from './resumable.js';

export const sweepCommand = defineCommand({
  name: 'sweep',
  describe:
    'Train every combination of a grid (flags or --grid file) x seeds, locally or over a queue; writes summary.csv and a report',
  options: sweepOptions,
  examples: [
    [
      '$0 sweep --optimizer heavy-ball,sgd --lr 0.01,0.03,0.1 --momentum 0.9 --seeds 3',
      'A learning-rate sweep of two optimizers (sgd runs without momentum)',
    ],
    ['$0 sweep --grid grid.yaml --out out/sweeps/mine', 'A grid from a file; the same command resumes it'],
    ['$0 sweep --optimizer sgd --lr 0.1 --loss cross-entropy,mse --json | jq .best', 'The best settings, for a script'],
  ],
  async handler(args, context) {
    const { sweepCommand: sweep, formatSweep, sweepJson, allFailedLine } = await import('../sweep.js');
    await exitOnStopSignalsResumable();
    const result = await sweep(args, context.words.join(' '));
    const allFailed = allFailedLine(result);
    const exit = allFailed === null ? {} : { warning: allFailed, exitCode: EXIT_CODES.allRunsFailed };
    return outputOf(result, formatSweep, sweepJson, exit);
  },
});
