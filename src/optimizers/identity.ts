import { statelessStage, type NoState } from './statelessStage.js';
import type { GradientTransformation } from './types.js';

/** No state. */
export type IdentityState = NoState;

/**
 * Passes the updates through unchanged: u = g. No learning rate, no buffer.
 * A chain of `identity` alone moves each weight by its raw gradient (w -= g).
 */
export function identity(): GradientTransformation<IdentityState> {
  return statelessStage({ name: 'identity' }, { map: (updates) => updates });
}
