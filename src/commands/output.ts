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

/** Prints `result` as text, or with `json` as the JSON document `record(result)`. */
export function printResult<T>(
  json: boolean,
  result: T,
  text: (result: T) => string,
  record: (result: T) => unknown = (value) => value,
): void {
  process.stdout.write(json ? `${JSON.stringify(record(result), null, 2)}\n` : `${text(result)}\n`);
}
