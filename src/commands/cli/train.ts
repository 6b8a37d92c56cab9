/** `inertia train`: one run, stopped cleanly by a signal; exit 2 on divergence with --fail-on-diverge. */
import { EXIT_CODES, outputOf } from '../output.js';
import { trainOptions } from '../trainOptions.js';
import { defineCommand } from './command.js';

export const trainCommand = defineCommand({
  name: 'train',
  describe: 'Train one model and write a run folder (config.json, run.json, metrics.csv, TensorBoard, loss plot)',
  options: trainOptions,
  examples: [
    ['$0 train --optimizer heavy-ball --lr 0.05 --momentum 0.9 --epochs 5', 'Heavy-ball momentum on mnist-digits'],
    ['$0 train --config out/runs/<id>/config.json --seed 2', 'The same run again with another seed'],
    [
      '$0 train --validation-size 5000 --epochs 30 --checkpoint best --early-stop validation/loss:3',
      'Keep the best epoch, stop after 3 epochs without a better validation loss',
    ],
    ['$0 train --resume out/runs/<id>', 'Continue an interrupted run from its last checkpoint'],
    ["$0 train --optimizer adam --lr 0.001 --tag baseline --note 'reference for the momentum runs'", 'A labelled run'],
    [
      '$0 train --dataset synthetic --optimizer sgd --lr 0.5 --json --fail-on-diverge',
      'For scripts: JSON out, exit 2 on divergence',
    ],
  ],
  async handler(args, context) {
    const { trainCommand: train, formatResult, trainRecord } = await import('../train.js');
    const { exitOnStopSignals } = await import('../../runs/stopSignals.js');
    exitOnStopSignals((signal, runs) =>
      process.stderr.write(
        `\ninertia: stopped by ${signal}; ${runs.length > 0 ? `${runs.join(', ')} marked interrupted` : 'no run folder was written yet'}\n`,
      ),
    );
    const { givenFlags } = await import('../givenFlags.js');
    const result = await train(args, { given: givenFlags(context.argv), command: context.words });
    const diverged = args['fail-on-diverge'] && result.status !== 'completed';
    return outputOf(result, formatResult, trainRecord, diverged ? { exitCode: EXIT_CODES.diverged } : {});
  },
});
