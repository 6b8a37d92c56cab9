/** Counting the eager kernel launches a piece of code makes on the native backend. */
import { tf } from '../../src/backend.js';
import type { NodeBackend } from '../../src/graph/graphBinding.js';

/** Eager kernel launches (executeOp calls through the backend) while `fn` runs. */
export function launches(fn: () => void): number {
  const backend = tf.backend() as unknown as NodeBackend;
  const real = backend.binding;
  let count = 0;
  backend.binding = Object.create(real, {
    executeOp: {
      value: (...args: Parameters<typeof real.executeOp>) => {
        count += 1;
        return real.executeOp(...args);
      },
    },
  });
  try {
    fn();
  } finally {
    backend.binding = real;
  }
  return count;
}
