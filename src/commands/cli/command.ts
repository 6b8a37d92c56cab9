/**
 * The shape of a command of the `inertia` command line: its name, one line for `--help`, its
 * options (yargs infers the argument types from them), examples, and a handler that imports the
 * command's plain function when the command runs and gives back what to print. `src/cli.ts`
 * builds the parser from the list of commands (./index.ts); no handler prints its result itself.
 */
import type { InferredOptionTypes, Options, PositionalOptions } from 'yargs';
import type { CommandOutput } from '../output.js';

/** What a handler knows beside its arguments: the command line as typed (a URL's password masked). */
export interface CommandContext {
  /** The arguments after `inertia`, as given. */
  argv: readonly string[];
  /** `inertia` and the arguments, with any URL's password masked (recorded in run.json and reports). */
  words: string[];
}

type OptionTable = Record<string, Options>;
type PositionalTable = Record<string, PositionalOptions>;

export interface Command<O extends OptionTable = OptionTable, P extends PositionalTable = PositionalTable> {
  name: string;
  /** The positional arguments, as yargs writes them after the name (`<runs...>`, `[folder]`). */
  args?: string;
  /** One line for `inertia --help`. */
  describe: string;
  positionals?: P;
  options: O;
  /** [command line, what it does] pairs for the command's --help. */
  examples: [string, string][];
  /** Runs the command; null when it prints nothing. */
  handler(args: InferredOptionTypes<O & P>, context: CommandContext): Promise<CommandOutput | null>;
}

/** A command as the parser sees it (its argument types erased, so that commands share one list). */
export type AnyCommand = Omit<Command, 'handler'> & {
  handler(args: Record<string, unknown>, context: CommandContext): Promise<CommandOutput | null>;
};

/** A command for the list, its handler typed by its options. */
export function defineCommand<O extends OptionTable, P extends PositionalTable = Record<never, PositionalOptions>>(
  command: Command<O, P>,
): AnyCommand {
  return command as unknown as AnyCommand;
}
