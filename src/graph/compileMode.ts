/** Choices for compiled training steps, in a module that loads no TensorFlow.js (the CLI reads it first). */
import { UserError } from '../util/errors.js';

export const COMPILE_MODES = ['auto', 'on', 'off'] as const;

/**
 * - `auto`: compiled steps where they verify against eager steps, else eager with one warning line;
 * - `on`: compiled steps or an error saying why not;
 * - `off`: eager steps.
 */
export type CompileMode = (typeof COMPILE_MODES)[number];

/** INERTIA_COMPILE when set (the test suite runs both ways with it), else `auto`. */
export function defaultCompileMode(): CompileMode {
  const value = process.env.INERTIA_COMPILE;
  if (value === undefined || value === '') return 'auto';
  if ((COMPILE_MODES as readonly string[]).includes(value)) return value as CompileMode;
  throw new UserError(
    `Invalid INERTIA_COMPILE value: ${JSON.stringify(value)} (expected one of: ${COMPILE_MODES.join(', ')})`,
  );
}
