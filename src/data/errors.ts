import { UserError } from '../util/errors.js';
/**
 * The one error type of the data layer. Its message is a complete user-facing line (what is
 * wrong, with which file, and what to do), so a CLI can print `error.message` alone, without a
 * stack trace.
 */
export class DatasetError extends UserError {
  /** The file the problem is about, when there is one. */
  readonly file: string | undefined;

  constructor(message: string, file?: string) {
    super(message);
    this.file = file;
  }
}
