#!/usr/bin/env node
/**
 * The inertia command line: it only wires the commands of src/commands/cli (one module each:
 * name, options, examples, handler) into one parser, and prints what each handler gives back.
 * `--backend` is read (by the first import) into INERTIA_BACKEND, which the backend module
 * reads when it loads.
 */
import './commands/backendFlag.js';
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { COMMANDS } from './commands/cli/index.js';
import type { AnyCommand, CommandContext } from './commands/cli/command.js';
import { EXIT_CODES_HELP, printOutput } from './commands/output.js';
import { withFlagSuggestions } from './commands/suggest.js';
import { exitWithError, exitWithUsage } from './commands/errors.js';
import { maskCommand } from './util/secrets.js';

const argv = hideBin(process.argv);
/** The command line as typed, and as it may be recorded: any URL's password masked. */
const context: CommandContext = { argv, words: maskCommand(['inertia', ...argv]) };

/** The flags of each command, for "did you mean" hints. */
const FLAGS: Record<string, readonly string[]> = Object.fromEntries(
  COMMANDS.map((command) => [command.name, Object.keys(command.options)]),
);
let commandHint: string | null = null;

/** Adds one command: its positionals, options and examples, and a handler whose output is printed here. */
function addCommand(cli: Argv, command: AnyCommand): Argv {
  return cli.command(
    command.args === undefined ? command.name : `${command.name} ${command.args}`,
    command.describe,
    (y) =>
      Object.entries(command.positionals ?? {})
        .reduce((withPositionals: Argv, [name, positional]) => withPositionals.positional(name, positional), y)
        .options(command.options)
        .example(command.examples),
    async (args) => {
      const output = await command.handler(args, context);
      if (output !== null) printOutput(output, args.json === true);
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
  return COMMANDS.reduce(addCommand, cli)
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
