/** `inertia bench`: the benchmark sections into bench.csv and bench.md. */
import { outputOf } from '../output.js';
import { benchOptions } from '../benchOptions.js';
import { defineCommand } from './command.js';

export const benchCommand = defineCommand({
  name: 'bench',
  describe:
    'Benchmark optimizer steps, training throughput, backends and peers (Keras, PyTorch); writes bench.csv and bench.md',
  options: benchOptions,
  examples: [
    ['$0 bench --quick', 'One timed epoch, oneDNN on and off: a few minutes'],
    ['$0 bench --onednn on --sections optimizer', 'One section with oneDNN on only'],
    ['$0 bench --sections optimizer,training --threads 1', 'Two sections on one thread'],
    ['$0 bench --quick --json | jq .markdown', 'Where the report was written, for a script'],
  ],
  async handler(args, context) {
    const { bench, formatBench } = await import('../bench.js');
    const outcome = await bench({
      ...args,
      command: context.words.join(' '),
      onProgress: (message) => process.stderr.write(`bench: ${message}\n`),
    });
    return outputOf(outcome, formatBench);
  },
});
