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
