/**
 * The optimizer-step timing (src/train/stepTiming.ts): both paths time every step asked for; the
 * compiled path's steps are verified compiled steps, one function call each.
 */
import { describe, expect, it } from 'vitest';
import { currentBackend } from '../../src/backend.js';
import { createOptimizer, type OptimizerSpec } from '../../src/optimizers/index.js';
import { measurePair } from '../../src/train/stepTiming.js';

const native = currentBackend() === 'tensorflow';
const set = { name: 'small', shapes: [[8, 4], [4]] };

describe('measurePair', () => {
  for (const compiled of [false, true]) {
    it.skipIf(compiled && !native)(`times custom and built-in heavy-ball steps (compiled: ${compiled})`, async () => {
      const timing = await measurePair(
        set,
        { kind: 'heavy-ball', builtin: 'tf.train.momentum' },
        { createCustom: (spec) => createOptimizer(spec as OptimizerSpec), steps: 3, warmupSteps: 5, compiled },
      );
      expect(timing).toMatchObject({ compiled, parameters: 36 });
      expect(timing.customMs).toHaveLength(3);
      expect(timing.builtinMs).toHaveLength(3);
      if (compiled) expect([timing.customKernels, timing.builtinKernels]).toEqual([1, 1]);
    });
  }
});
