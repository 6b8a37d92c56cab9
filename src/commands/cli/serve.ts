/** `inertia serve`: the runs dashboard, until stopped. */
import { outputOf } from '../output.js';
import { RUNS_FOLDER } from './runFolders.js';
import { defineCommand } from './command.js';

export const serveCommand = defineCommand({
  name: 'serve',
  args: '[folder]',
  describe:
    'A dashboard in the browser over a folder of runs (train, sweep or study): a runs table with filters and charts, refreshed while runs are written',
  positionals: { folder: RUNS_FOLDER },
  options: {
    host: {
      type: 'string',
      default: '127.0.0.1',
      describe: 'Address to listen on (the default: this machine only; 0.0.0.0 opens it to the network)',
    },
    port: { type: 'number', default: 0, describe: 'Port to listen on (0: a free one, printed)' },
    queue: {
      type: 'string',
      describe:
        "Also show this queue's sweeps and studies: waiting, active and failed jobs (redis://[user:password@]host[:port][/db]; default: $INERTIA_QUEUE)",
    },
  },
  examples: [
    ['$0 serve out', 'Every run under out/, at the printed URL'],
    ['$0 serve out/sweeps/mine --port 8080', 'One sweep, live while it runs, on a fixed port'],
    ['$0 serve out --host 0.0.0.0 --port 8080', 'Open to the network: whoever reaches the port sees the runs'],
    ['$0 serve out/sweeps/mine --queue redis://localhost:6379', "The runs, and the queue's jobs"],
  ],
  async handler(args) {
    const { serveCommand: serve, formatServe } = await import('../serve.js');
    const options = { folder: args.folder, host: args.host, port: args.port, queue: args.queue };
    return outputOf(await serve(options), (served) => formatServe(served, options));
  },
});
