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
    .demandCommand(1, 'Name a command: doctor, train, study or bench (see --help)')
    .strict()
    .fail((message, error) => {
      fail(message ?? error?.message ?? 'unknown error');
    })
    .help()
    .parseAsync();
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
