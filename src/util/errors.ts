/**
 * Every error a user can cause (a bad flag, spec, config or data file, a run that already
 * exists) is a `UserError`: the CLI prints its message as one line and exits 1. Anything
 * else is a bug and keeps its stack trace.
 */
export class UserError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The first line of a thrown value's message (the value itself when it is not an Error). */
export function firstLine(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] : String(error);
}

/**
 * What `parse()` returns; when it throws, `failure(reason)` is thrown instead, with `reason` the
 * first line of the parser's message (for a user error that names the file and the fix).
 */
export function parsedOr<T>(parse: () => T, failure: (reason: string) => Error): T {
  try {
    return parse();
  } catch (error) {
    throw failure(firstLine(error));
  }
}
