/**
 * How the command line reports an error. A `UserError` (bad flag, spec, config or data file,
 * a run that exists) is one line and exit code 1; anything else is a bug in inertia: the full
 * stack, a line asking to report it, and exit code 70 (EX_SOFTWARE in sysexits.h).
 */
import { UserError } from '../util/errors.js';
import { maskUrl } from '../util/secrets.js';
import { EXIT_CODES } from './output.js';

export const USER_ERROR_EXIT = EXIT_CODES.userError;
export const BUG_EXIT = 70;

const REPORT =
  'This is a bug in inertia, not something you did: please report it with the command line and the output above.';

/** The error's message on one line (multi-line messages joined). */
function oneLine(message: string): string {
  return message
    .split('\n')
    .map((part) => part.trim())
    .filter(Boolean)
    .join(' ');
}

/** What to print on stderr for `error`, and the exit code. */
export function describeError(error: unknown): { text: string; exitCode: number } {
  if (error instanceof UserError) {
    return { text: `inertia: ${maskUrl(oneLine(error.message))}\n`, exitCode: USER_ERROR_EXIT };
  }
  const trace = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  return { text: `inertia: internal error\n${maskUrl(trace)}\n${REPORT}\n`, exitCode: BUG_EXIT };
}

/** Prints a usage problem (the argument parser's message) as one line and exits 1. */
export function exitWithUsage(message: string): never {
  process.stderr.write(`inertia: ${maskUrl(oneLine(message))}\n`);
  process.exit(USER_ERROR_EXIT);
}

/** Prints `error` as `describeError` says and exits with its code. */
export function exitWithError(error: unknown): never {
  const { text, exitCode } = describeError(error);
  process.stderr.write(text);
  process.exit(exitCode);
}
