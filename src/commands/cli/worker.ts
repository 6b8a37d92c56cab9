/** `inertia worker`: trains queued runs until stopped. */
import { outputOf } from '../output.js';
import { exitWithUsage } from '../errors.js';
import { defineCommand } from './command.js';

export const workerCommand = defineCommand({
  name: 'worker',
  describe:
    'Train the runs of studies and sweeps queued on Redis (run one on each machine; Ctrl-C stops after the active runs)',
  options: {
    queue: {
      type: 'string',
      describe: 'Redis URL: redis://[user:password@]host[:port][/db] (default: $INERTIA_QUEUE)',
    },
    concurrency: { type: 'number', default: 1, describe: 'Runs trained at the same time (one process each)' },
    'exit-on-unreachable': {
      type: 'number',
      describe:
        'Exit with an error after Redis has been unreachable (or refusing the password) this many seconds in a row (default: wait for it)',
    },
    quiet: { type: 'boolean', default: false, describe: 'No output but errors' },
  },
  examples: [
    ['$0 worker --queue redis://host:6379', 'Train the queued runs of every sweep and study, one at a time'],
    ['$0 worker --queue redis://:secret@host:6379 --concurrency 2', 'Two runs at a time, with a password'],
    ['$0 worker --exit-on-unreachable 60', 'With $INERTIA_QUEUE set: give up after a minute without Redis'],
  ],
  async handler(args) {
    const { workerCommand: work, formatWorker } = await import('../worker.js');
    const { queueUrlFrom } = await import('../../exec/queue/connection.js');
    const queue = queueUrlFrom(args.queue);
    if (queue === undefined) exitWithUsage('inertia worker needs --queue redis://host:port (or $INERTIA_QUEUE)');
    return outputOf(await work({ ...args, queue }), formatWorker);
  },
});
