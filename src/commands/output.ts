/**
 * What a command prints and how it exits. Text for people by default; with `--json`, one JSON
 * document on stdout (progress and warnings stay on stderr), so scripts can pipe it to `jq`.
 */

/** Exit codes of every command. */
export const EXIT_CODES = {
  ok: 0,
  /** A bad flag, value, file or combination: one line on stderr. */
  userError: 1,
  /** `train --fail-on-diverge` and the run diverged (or failed). */
  diverged: 2,
  /** `sweep`: every run of the grid failed (the report lists their errors). */
  allRunsFailed: 3,
} as const;

export const EXIT_CODES_HELP =
  'Exit codes: 0 ok; 1 user error (one line on stderr); 2 the run diverged, with --fail-on-diverge; 3 every run of a sweep failed; anything else is a bug (please report it with the stack trace).';

export const jsonOption = {
  json: {
    type: 'boolean',
    default: false,
    describe: 'Print one JSON document on stdout instead of text (progress stays on stderr)',
  },
} as const;

/** What a command gives back to print: its result as text, or with --json as one JSON document. */
export interface CommandOutput {
  text(): string;
  record(): unknown;
  /** A line for stderr after the result (e.g. why the exit code is not 0). */
  warning?: string;
  /** The exit code (default 0). */
  exitCode?: number;
}

/** The output of `result`: `text(result)`, or with --json the JSON document `record(result)`. */
export function outputOf<T>(
  result: T,
  text: (result: T) => string,
  record: (result: T) => unknown = (value) => value,
  exit: Pick<CommandOutput, 'warning' | 'exitCode'> = {},
): CommandOutput {
  return { text: () => text(result), record: () => record(result), ...exit };
}

/** The one printer of every command's output: stdout, then a warning line on stderr, then the exit code. */
export function printOutput(output: CommandOutput, json: boolean): void {
  process.stdout.write(json ? `${JSON.stringify(output.record(), null, 2)}\n` : `${output.text()}\n`);
  if (output.warning !== undefined) process.stderr.write(`${output.warning}\n`);
  if (output.exitCode !== undefined) process.exitCode = output.exitCode;
}
