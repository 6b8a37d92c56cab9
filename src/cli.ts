#!/usr/bin/env node
/**
 * The inertia command line: it only wires commands to the plain functions in src/commands.
 * `--backend` is read (by the first import) into INERTIA_BACKEND, which the backend module
 * reads when it loads.
 */
import './commands/backendFlag.js';
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { trainOptions } from './commands/trainOptions.js';
import { studyOptions } from './commands/studyOptions.js';
import { sweepOptions } from './commands/sweepOptions.js';
import { compareOptions, type CompareArgs } from './commands/compareOptions.js';
import { benchOptions } from './commands/benchOptions.js';
import { EXIT_CODES, EXIT_CODES_HELP, jsonOption, printResult } from './commands/output.js';
import { withFlagSuggestions } from './commands/suggest.js';
import { exitWithError, exitWithUsage } from './commands/errors.js';
import { maskCommand } from './util/secrets.js';

const argv = hideBin(process.argv);
/** The command line as it may be recorded: any URL's password masked. */
const commandWords = maskCommand(['inertia', ...argv]);

/** The flags of each command, for "did you mean" hints. */
const FLAGS: Record<string, readonly string[]> = {
  doctor: Object.keys(jsonOption),
  setup: [],
  bench: Object.keys(benchOptions),
  train: Object.keys(trainOptions),
  study: Object.keys(studyOptions),
  compare: Object.keys(compareOptions),
  export: Object.keys(jsonOption),
  sweep: Object.keys(sweepOptions),
  serve: ['host', 'port'],
  runs: ['filter', 'sort', ...Object.keys(jsonOption)],
};
let commandHint: string | null = null;

/** Stop signals for the commands that resume (study, sweep): finished runs are kept, the rest marked interrupted. */
async function exitOnStopSignalsResumable(): Promise<void> {
  const { exitOnStopSignals } = await import('./runs/stopSignals.js');
  exitOnStopSignals((signal) =>
    process.stderr.write(
      `\ninertia: stopped by ${signal}; finished runs are kept, unfinished ones marked interrupted; rerun the same command to resume\n`,
    ),
  );
}

// Each command is added in one yargs shape: name, description, options with examples, and a handler
// that imports its module only when the command runs.

/** `inertia doctor`: the backend, versions and threads. */
function addDoctor(cli: Argv): Argv {
  return cli.command(
    'doctor',
    'Print the backend in use, the TensorFlow and tfjs versions and thread settings',
    (y) =>
      y.options(jsonOption).example([
        ['$0 doctor', 'Which backend runs, with which versions and threads'],
        ['$0 doctor --backend cpu', 'What the pure-JS fallback reports'],
        ['$0 doctor --json | jq -r .backend', 'The backend name, for a script'],
      ]),
    async (args) => {
      const { doctor, formatDoctor } = await import('./commands/doctor.js');
      printResult(args.json, doctor(), formatDoctor);
    },
  );
}

/** `inertia setup`: the native backend, in the project inertia is installed in. */
function addSetup(cli: Argv): Argv {
  return cli.command(
    'setup',
    "Set up TensorFlow's native backend (tfjs-node with TensorFlow's C library) in the project inertia is installed in",
    (y) =>
      y.example([
        ['$0 setup', 'What npm 11 skips when it does not run install scripts: a minute or less with a warm cache'],
        ['$0 setup && $0 doctor', 'Set up, then show the backend in use'],
      ]),
    async () => {
      const { setup } = await import('./commands/setup.js');
      const note = await setup();
      if (note !== null) console.log(note);
    },
  );
}

/** `inertia bench`: the benchmark sections into bench.csv and bench.md. */
function addBench(cli: Argv): Argv {
  return cli.command(
    'bench',
    'Benchmark optimizer steps, training throughput, backends and peers (Keras, PyTorch); writes bench.csv and bench.md',
    (y) =>
      y.options(benchOptions).example([
        ['$0 bench --quick', 'One timed epoch, oneDNN on and off: a few minutes'],
        ['$0 bench --onednn on --sections optimizer', 'One section with oneDNN on only'],
        ['$0 bench --sections optimizer,training --threads 1', 'Two sections on one thread'],
        ['$0 bench --quick --json | jq .markdown', 'Where the report was written, for a script'],
      ]),
    async (args) => {
      const { bench, formatBench } = await import('./commands/bench.js');
      const command = commandWords.join(' ');
      const outcome = await bench({
        ...args,
        command,
        onProgress: (message) => process.stderr.write(`bench: ${message}\n`),
      });
      printResult(args.json, outcome, formatBench);
    },
  );
}

/** `inertia train`: one run, stopped cleanly by a signal; exit 2 on divergence with --fail-on-diverge. */
function addTrain(cli: Argv): Argv {
  return cli.command(
    'train',
    'Train one model and write a run folder (config.json, run.json, metrics.csv, TensorBoard, loss plot)',
    (y) =>
      y.options(trainOptions).example([
        ['$0 train --optimizer heavy-ball --lr 0.05 --momentum 0.9 --epochs 5', 'Heavy-ball momentum on mnist-digits'],
        ['$0 train --config out/runs/<id>/config.json --seed 2', 'The same run again with another seed'],
        [
          '$0 train --validation-size 5000 --epochs 30 --checkpoint best --early-stop validation/loss:3',
          'Keep the best epoch, stop after 3 epochs without a better validation loss',
        ],
        ['$0 train --resume out/runs/<id>', 'Continue an interrupted run from its last checkpoint'],
        [
          "$0 train --optimizer adam --lr 0.001 --tag baseline --note 'reference for the momentum runs'",
          'A labelled run',
        ],
        [
          '$0 train --dataset synthetic --optimizer sgd --lr 0.5 --json --fail-on-diverge',
          'For scripts: JSON out, exit 2 on divergence',
        ],
      ]),
    async (args) => {
      const { trainCommand, formatResult, trainRecord } = await import('./commands/train.js');
      const { exitOnStopSignals } = await import('./runs/stopSignals.js');
      exitOnStopSignals((signal, runs) =>
        process.stderr.write(
          `\ninertia: stopped by ${signal}; ${runs.length > 0 ? `${runs.join(', ')} marked interrupted` : 'no run folder was written yet'}\n`,
        ),
      );
      const { givenFlags } = await import('./commands/givenFlags.js');
      const result = await trainCommand(args, { given: givenFlags(argv), command: commandWords });
      printResult(args.json, result, formatResult, trainRecord);
      if (args['fail-on-diverge'] && result.status !== 'completed') process.exitCode = EXIT_CODES.diverged;
    },
  );
}

/** `inertia study`: the study, resumable after a stop. */
function addStudy(cli: Argv): Argv {
  return cli.command(
    'study',
    'Run (or resume) the momentum / learning-rate study and write its report',
    (y) =>
      y.options(studyOptions).example([
        ['$0 study', 'The default preset: every experiment on mnist-digits, a few minutes'],
        ['$0 study --preset quick --workers 1', 'The small preset in this process'],
        ['$0 study --preset quick --json | jq .verdicts', 'The verdicts, for a script'],
      ]),
    async (args) => {
      const { studyCommand, formatStudy, studyRecord } = await import('./commands/study.js');
      await exitOnStopSignalsResumable();
      printResult(args.json, await studyCommand(args), formatStudy, studyRecord);
    },
  );
}

/** `inertia compare`: runs overlaid per metric, a tidy CSV and a final-metrics table. */
function addCompare(cli: Argv): Argv {
  return cli.command(
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
        .options(compareOptions)
        .example([
          [
            '$0 compare out/runs/a out/runs/b',
            'Two runs: losses and test accuracy, legend from the fields that differ',
          ],
          ["$0 compare 'out/study/default/runs/grid-*' --x epoch --smooth 10 --log-y", 'Every grid run of a study'],
          [
            '$0 compare out/runs --metric test/accuracy --label optimizer.kind --out out/cmp',
            'One figure, legend by kind',
          ],
        ]),
    async (args) => {
      const { compareCommand, formatCompare, stoppedCompareLine } = await import('./commands/compare.js');
      const { exitOnStopSignals } = await import('./runs/stopSignals.js');
      // Files already there may be from an earlier comparison: only those written from now on are this one's.
      const started = Date.now() - 1000;
      let finished = false;
      exitOnStopSignals((signal) => {
        if (!finished) process.stderr.write(`\n${stoppedCompareLine(signal, args.out, started)}\n`);
      });
      const result = await compareCommand(args as CompareArgs);
      finished = true;
      printResult(args.json, result, formatCompare);
    },
  );
}

/** `inertia export tensorboard`: event files for existing run folders. */
function addExportRuns(cli: Argv): Argv {
  return cli.command(
    'export <format> <runs...>',
    'Write TensorBoard event files (scalars and HParams) for run folders of train, sweep or study',
    (y) =>
      y
        .positional('format', { choices: ['tensorboard'] as const, demandOption: true, describe: 'What to write' })
        .positional('runs', {
          type: 'string',
          array: true,
          demandOption: true,
          describe: 'Run folders, folders of runs, or quoted globs',
        })
        .options(jsonOption)
        .example([
          ['$0 export tensorboard out', 'Every run under out/, then: tensorboard --logdir out'],
          ["$0 export tensorboard 'out/sweeps/*/runs/lr*'", 'Some runs of every sweep'],
          [
            '$0 export tensorboard out/study/default --json | jq .logdir',
            'The folder to give tensorboard, for a script',
          ],
        ]),
    async (args) => {
      const { exportTensorboard, formatExport } = await import('./commands/export.js');
      const result = exportTensorboard(args.runs, (done, total) => {
        if (done % 50 === 0 || done === total) process.stderr.write(`export: ${done}/${total} runs\n`);
      });
      printResult(args.json, result, formatExport);
    },
  );
}

/** `inertia serve`: the runs dashboard, until stopped. */
function addServe(cli: Argv): Argv {
  return cli.command(
    'serve [folder]',
    'A dashboard in the browser over a folder of runs (train, sweep or study): a runs table with filters and charts, refreshed while runs are written',
    (y) =>
      y
        .positional('folder', {
          type: 'string',
          default: 'out',
          describe: 'The folder of runs (searched 4 folders deep)',
        })
        .options({
          host: {
            type: 'string',
            default: '127.0.0.1',
            describe: 'Address to listen on (the default: this machine only; 0.0.0.0 opens it to the network)',
          },
          port: { type: 'number', default: 0, describe: 'Port to listen on (0: a free one, printed)' },
        })
        .example([
          ['$0 serve out', 'Every run under out/, at the printed URL'],
          ['$0 serve out/sweeps/mine --port 8080', 'One sweep, live while it runs, on a fixed port'],
          ['$0 serve out --host 0.0.0.0 --port 8080', 'Open to the network: whoever reaches the port sees the runs'],
        ]),
    async (args) => {
      const { serveCommand, formatServe } = await import('./commands/serve.js');
      const options = { folder: args.folder, host: args.host, port: args.port };
      console.log(formatServe(await serveCommand(options), options));
    },
  );
}

/** `inertia runs ls`: the runs of a folder, filtered and sorted. */
function addRuns(cli: Argv): Argv {
  return cli.command(
    'runs <action> [folder]',
    'List the runs under a folder (train, sweep or study) with their differing settings and final metrics, filtered and sorted',
    (y) =>
      y
        .positional('action', { choices: ['ls'] as const, demandOption: true, describe: 'What to do' })
        .positional('folder', {
          type: 'string',
          default: 'out',
          describe: 'The folder of runs (searched 4 folders deep)',
        })
        .options({
          filter: {
            type: 'string',
            default: '',
            describe:
              'Space-separated terms that must all hold: field=value, field!=value, metric>number (< >= <=), or text in the run id',
          },
          sort: {
            type: 'string',
            default: '',
            describe:
              'A config field or metric to sort by (test/accuracy); a leading - sorts descending (write --sort=-test/loss)',
          },
          ...jsonOption,
        })
        .example([
          ['$0 runs ls out --filter optimizer.kind=adam --sort=-test/accuracy', 'Adam runs, most accurate first'],
          ["$0 runs ls out/sweeps/mine --filter 'status=diverged'", 'The runs of a sweep that diverged'],
          ['$0 runs ls out --filter tag=baseline', 'The runs tagged baseline (train or sweep --tag baseline)'],
          ['$0 runs ls out --json | jq -r .runs[].id', 'The run ids, for a script'],
        ]),
    async (args) => {
      const { runsLs, formatRunsLs } = await import('./commands/runs.js');
      printResult(args.json, runsLs({ folder: args.folder, filter: args.filter, sort: args.sort }), formatRunsLs);
    },
  );
}

/** `inertia sweep`: a grid x seeds, locally or over a queue. */
function addSweep(cli: Argv): Argv {
  return cli.command(
    'sweep',
    'Train every combination of a grid (flags or --grid file) x seeds, locally or over a queue; writes summary.csv and a report',
    (y) =>
      y.options(sweepOptions).example([
        [
          '$0 sweep --optimizer heavy-ball,sgd --lr 0.01,0.03,0.1 --momentum 0.9 --seeds 3',
          'A learning-rate sweep of two optimizers (sgd runs without momentum)',
        ],
        ['$0 sweep --grid grid.yaml --out out/sweeps/mine', 'A grid from a file; the same command resumes it'],
        [
          '$0 sweep --optimizer sgd --lr 0.1 --loss cross-entropy,mse --json | jq .best',
          'The best settings, for a script',
        ],
      ]),
    async (args) => {
      const { sweepCommand, formatSweep, sweepJson, allFailedLine } = await import('./commands/sweep.js');
      await exitOnStopSignalsResumable();
      const result = await sweepCommand(args, commandWords.join(' '));
      console.log(args.json ? JSON.stringify(sweepJson(result), null, 2) : formatSweep(result));
      const allFailed = allFailedLine(result);
      if (allFailed !== null) {
        process.stderr.write(`${allFailed}\n`);
        process.exitCode = EXIT_CODES.allRunsFailed;
      }
    },
  );
}

/** `inertia worker`: trains queued runs until stopped. */
function addWorker(cli: Argv): Argv {
  return cli.command(
    'worker',
    'Train the runs of studies and sweeps queued on Redis (run one on each machine; Ctrl-C stops after the active runs)',
    (y) =>
      y.options({
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
      }),
    async (args) => {
      const { workerCommand, formatWorker } = await import('./commands/worker.js');
      const { queueUrlFrom } = await import('./exec/queue/connection.js');
      const queue = queueUrlFrom(args.queue);
      if (queue === undefined) exitWithUsage('inertia worker needs --queue redis://host:port (or $INERTIA_QUEUE)');
      console.log(formatWorker(await workerCommand({ ...args, queue })));
    },
  );
}

/** The command-line parser: global options, every command, and how usage errors are reported. */
function parser(): Argv {
  const cli = yargs(argv)
    .scriptName('inertia')
    .usage(
      '$0 <command> [options]\n\nWhy does momentum still need a learning rate? Real training runs on TensorFlow.js answer it.',
    )
    .option('backend', {
      choices: ['tensorflow', 'cpu'] as const,
      describe: 'TensorFlow.js backend (default: tensorflow when its native binding loads, else cpu)',
      global: true,
    });
  const commands = [
    addDoctor,
    addSetup,
    addBench,
    addTrain,
    addStudy,
    addCompare,
    addExportRuns,
    addSweep,
    addWorker,
    addServe,
    addRuns,
  ];
  return commands
    .reduce((withCommands: Argv, add) => add(withCommands), cli)
    .demandCommand(
      1,
      'Name a command: setup, doctor, train, study, sweep, worker, bench, compare, export, serve or runs (see --help)',
    )
    .strict()
    .recommendCommands()
    .epilogue(EXIT_CODES_HELP)
    .fail((message, error) => {
      // recommendCommands reports "Did you mean train?" first, then strict the unknown command.
      if (message?.startsWith('Did you mean')) {
        commandHint = message;
        return;
      }
      // yargs passes its own parsing problems as a message, errors thrown by a command as `error`.
      if (error && error.name !== 'YError') exitWithError(error);
      const text = message ? withFlagSuggestions(message, argv[0], FLAGS) : (error?.message ?? 'invalid command line');
      exitWithUsage(commandHint ? `${text} (${commandHint})` : text);
    })
    .help();
}

async function main(): Promise<void> {
  await parser().parseAsync();
}

main().catch(exitWithError);
