#!/usr/bin/env node
/**
 * The inertia command line: it only wires commands to the plain functions in src/commands.
 * `--backend` is read (by the first import) before anything loads TensorFlow.js, since the
 * backend module decides at import time.
 */
import './commands/backendFlag.js';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { trainOptions } from './commands/trainOptions.js';
import { studyOptions } from './commands/studyOptions.js';
import { sweepOptions } from './commands/sweepOptions.js';
import { compareOptions, type CompareArgs } from './commands/compareOptions.js';

const argv = hideBin(process.argv);

/** A user error: one line, non-zero exit, no stack trace. */
function fail(message: string): never {
  const oneLine = message
    .split('\n')
    .map((part) => part.trim())
    .filter(Boolean)
    .join(' ');
  process.stderr.write(`inertia: ${oneLine}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  await yargs(argv)
    .scriptName('inertia')
    .usage(
      '$0 <command> [options]\n\nWhy does momentum still need a learning rate? Real training runs on TensorFlow.js answer it.',
    )
    .option('backend', {
      choices: ['tensorflow', 'cpu'] as const,
      describe: 'TensorFlow.js backend (default: tensorflow when its native binding loads, else cpu)',
      global: true,
    })
    .command(
      'doctor',
      'Print the backend in use, the TensorFlow and tfjs versions and thread settings',
      {},
      async () => {
        const { doctor, formatDoctor } = await import('./commands/doctor.js');
        console.log(formatDoctor(doctor()));
      },
    )
    .command(
      'bench',
      'Benchmark optimizer steps, training throughput, backends and peers (Keras, PyTorch); writes bench.csv and bench.md',
      (y) =>
        y.options({
          quick: {
            type: 'boolean',
            default: false,
            describe: 'One dataset (mnist-digits) and one timed epoch: a few minutes',
          },
          out: { type: 'string', default: 'out/bench', describe: 'Folder for the bench folders (<out>/<timestamp>/)' },
          sections: {
            type: 'string',
            default: 'optimizer,training,backends,peers',
            describe: 'Comma-separated sections to run',
          },
          threads: {
            type: 'number',
            describe: 'Intra-op threads for TensorFlow and the peers (default: the number of cores)',
          },
        }),
      async (args) => {
        const { bench, formatBench } = await import('./commands/bench.js');
        const command = ['inertia', ...argv].join(' ');
        const outcome = await bench({
          ...args,
          command,
          onProgress: (message) => process.stderr.write(`bench: ${message}\n`),
        });
        console.log(formatBench(outcome));
      },
    )
    .command(
      'train',
      'Train one model and write a run folder (config.json, run.json, metrics.csv, TensorBoard, loss plot)',
      (y) => y.options(trainOptions),
      async (args) => {
        const { trainCommand, formatResult } = await import('./commands/train.js');
        const { givenFlags } = await import('./commands/givenFlags.js');
        console.log(formatResult(await trainCommand(args, { given: givenFlags(argv), command: ['inertia', ...argv] })));
      },
    )
    .command(
      'study',
      'Run (or resume) the momentum / learning-rate study and write its report',
      (y) => y.options(studyOptions),
      async (args) => {
        const { studyCommand, formatStudy } = await import('./commands/study.js');
        console.log(formatStudy(await studyCommand(args)));
      },
    )
    .command(
      'compare <runs...>',
      'Overlay runs (train, sweep or study folders, or glob patterns) in one figure per metric, with a tidy CSV and a final-metrics table',
      (y) =>
        y
          .positional('runs', {
            type: 'string',
            array: true,
            demandOption: true,
            describe: 'Run folders, folders of runs, or quoted globs',
          })
          .options(compareOptions),
      async (args) => {
        const { compareCommand, formatCompare } = await import('./commands/compare.js');
        console.log(formatCompare(await compareCommand(args as CompareArgs)));
      },
    )
    .command(
      'sweep',
      'Train every combination of a grid (flags or --grid file) x seeds, locally or over a queue; writes summary.csv and a report',
      (y) => y.options(sweepOptions),
      async (args) => {
        const { sweepCommand, formatSweep, sweepJson } = await import('./commands/sweep.js');
        const result = await sweepCommand(args, ['inertia', ...argv].join(' '));
        console.log(args.json ? JSON.stringify(sweepJson(result), null, 2) : formatSweep(result));
      },
    )
    .command(
      'worker',
      'Train the runs of studies and sweeps queued on Redis (run one on each machine; Ctrl-C stops after the active runs)',
      (y) =>
        y.options({
          queue: {
            type: 'string',
            describe: 'Redis URL: redis://[user:password@]host[:port][/db] (default: $INERTIA_QUEUE)',
          },
          concurrency: { type: 'number', default: 1, describe: 'Runs trained at the same time (one process each)' },
          quiet: { type: 'boolean', default: false, describe: 'No output but errors' },
        }),
      async (args) => {
        const { workerCommand, formatWorker } = await import('./commands/worker.js');
        const { queueUrlFrom } = await import('./exec/queue/connection.js');
        const queue = queueUrlFrom(args.queue);
        if (queue === undefined) fail('inertia worker needs --queue redis://host:port (or $INERTIA_QUEUE)');
        console.log(formatWorker(await workerCommand({ ...args, queue })));
      },
    )
    .demandCommand(1, 'Name a command: doctor, train, study, sweep, worker, bench or compare (see --help)')
    .strict()
    .fail((message, error) => {
      fail(message ?? error?.message ?? 'unknown error');
    })
    .help()
    .parseAsync();
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
