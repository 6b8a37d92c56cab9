#!/usr/bin/env node
/**
 * The inertia command line: it only wires commands to the plain functions in src/commands.
 * `--backend` is read before anything loads TensorFlow.js, since the backend module decides
 * at import time.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';

const argv = hideBin(process.argv);
const backendFlag = argv.findIndex((arg) => arg === '--backend' || arg.startsWith('--backend='));
if (backendFlag >= 0) {
  const value = argv[backendFlag].includes('=') ? argv[backendFlag].split('=')[1] : argv[backendFlag + 1];
  if (value !== undefined) process.env.INERTIA_BACKEND = value;
}

/** A user error: one line, non-zero exit, no stack trace. */
function fail(message: string): never {
  process.stderr.write(`inertia: ${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  await yargs(argv)
    .scriptName('inertia')
    .usage('$0 <command> [options]\n\nWhy does momentum still need a learning rate? Real training runs on TensorFlow.js answer it.')
    .option('backend', {
      choices: ['tensorflow', 'cpu'] as const,
      describe: 'TensorFlow.js backend (default: tensorflow when its native binding loads, else cpu)',
      global: true,
    })
    .command('doctor', 'Print the backend in use, the TensorFlow and tfjs versions and thread settings', {}, async () => {
      const { doctor, formatDoctor } = await import('./commands/doctor.js');
      console.log(formatDoctor(doctor()));
    })
    .command(
      'bench',
      'Benchmark optimizer steps, training throughput, backends and peers (Keras, PyTorch); writes bench.csv and bench.md',
      (y) =>
        y.options({
          quick: { type: 'boolean', default: false, describe: 'One dataset (mnist-digits) and one timed epoch: a few minutes' },
          out: { type: 'string', default: 'out/bench', describe: 'Folder for the bench folders (<out>/<timestamp>/)' },
          sections: { type: 'string', default: 'optimizer,training,backends,peers', describe: 'Comma-separated sections to run' },
          threads: { type: 'number', describe: 'Intra-op threads for TensorFlow and the peers (default: the number of cores)' },
        }),
      async (args) => {
        const { bench, formatBench } = await import('./commands/bench.js');
        const command = ['inertia', ...argv].join(' ');
        const outcome = await bench({ ...args, command, onProgress: (message) => process.stderr.write(`bench: ${message}\n`) });
        console.log(formatBench(outcome));
      },
    )
    .demandCommand(1, 'Name a command: doctor, train, study or bench (see --help)')
    .strict()
    .fail((message, error) => {
      fail(message ?? error?.message ?? 'unknown error');
    })
    .help()
    .parseAsync();
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
