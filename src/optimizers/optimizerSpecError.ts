import { UserError } from '../util/errors.js';
/** A user error in an optimizer spec; the message names the field, the value and what is allowed. */
export class OptimizerSpecError extends UserError {}

/** A value as it should appear in an error message. */
export function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}
