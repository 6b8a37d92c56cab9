/** Parse-time checks for numeric flags, so `--epochs 2.5` fails before anything runs. */
import { UserError } from '../util/errors.js';

/** A yargs `coerce` that accepts integers only (ranges are checked where the value is used). */
export function integer(flag: string): (value: number) => number {
  return (value) => {
    if (!Number.isInteger(value)) throw new UserError(`Invalid --${flag} value: ${value} (expected an integer)`);
    return value;
  };
}
