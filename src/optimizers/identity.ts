import type { GradientTransformation, TensorsByName } from './types.js';

/** No state. */
export type IdentityState = Readonly<Record<string, never>>;

/**
 * Passes the updates through unchanged: u = g. No learning rate, no buffer.
 * A chain of `identity` alone moves each weight by its raw gradient (w -= g).
 */
export function identity(): GradientTransformation<IdentityState> {
  return {
    name: 'identity',
    config: { name: 'identity' },
    init: () => ({}),
    update: (updates: TensorsByName, state: IdentityState) => [updates, state],
  };
}
