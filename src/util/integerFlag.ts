/**
 * Integer flags are parsed from their text, not by yargs's number parser: `--epochs 0x10`,
 * `--seed 1e3`, `--epochs ""` or `--epochs` with no value are errors, not 16, 1000 or 0.
 */
import { UserError } from './errors.js';

const DECIMAL = /^\d+$/;

/** A yargs `coerce` for `--<flag>`: a plain decimal integer >= `min`. */
export function parseIntegerFlag(flag: string, min: number): (value: unknown) => number {
  return (value: unknown) => {
    if (Array.isArray(value)) throw new UserError(`--${flag} was given ${value.length} times; give it once`);
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= min) return value;
    const text = String(value);
    const number = Number(text);
    if (typeof value !== 'string' || !DECIMAL.test(text) || !Number.isSafeInteger(number) || number < min) {
      throw new UserError(`Invalid --${flag} value: ${JSON.stringify(text)} (expected a decimal integer >= ${min})`);
    }
    return number;
  };
}

/** The yargs option for an integer flag >= 0 (the text is parsed by {@link parseIntegerFlag}). */
export function integerOption(flag: string, describe: string) {
  return { type: 'string', requiresArg: true, coerce: parseIntegerFlag(flag, 0), describe } as const;
}

/** {@link integerOption} with a default value. */
export function integerOptionWithDefault(flag: string, describe: string, defaultValue: number) {
  return { ...integerOption(flag, describe), default: defaultValue } as const;
}
