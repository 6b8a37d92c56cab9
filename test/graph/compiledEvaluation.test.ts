/**
 * Evaluations as graph functions (src/graph/compiledEvaluation.ts): the same loss and accuracy
 * as the eager evaluation, bit for bit, for the MLP and the CNN; the function is checked against
 * the eager evaluation on its first calls in the process, then trusted, and shared with the next
 * run's evaluator.
 */
import { describe, expect, it } from 'vitest';
import { tf, currentBackend } from '../../src/backend.js';
import { buildModel, type ModelKind } from '../../src/models/index.js';
import { SplitEvaluator } from '../../src/graph/compiledEvaluation.js';
import { CHECKED_CALLS } from '../../src/graph/compile.js';
import { evaluate } from '../../src/graph/evaluate.js';
import { registeredFunctions } from '../../src/graph/functionRegistry.js';
import type * as TF from '@tensorflow/tfjs';
import { launches } from '../helpers/launches.js';

const native = currentBackend() === 'tensorflow';

describe.skipIf(!native)('compiled evaluation', () => {
  const x = tf.randomUniform([70, 28, 28, 1], 0, 1, 'float32', 4);
  const labels = tf.randomUniform([70], 0, 10, 'int32', 5) as TF.Tensor1D;

  for (const kind of ['mlp', 'cnn'] as ModelKind[]) {
    it(`${kind}: gives the eager evaluation's numbers, checked on its first calls and shared by the next run`, () => {
      const model = buildModel({ kind, seed: 3, ...(kind === 'mlp' ? { hidden: [32, 16] } : {}) });
      const forward = (input: TF.Tensor) => model.apply(input, { training: false }) as TF.Tensor;
      const eager = evaluate(forward, x, labels, 10, 32);
      const architecture = `${kind} in a test`;
      const weights = (m: TF.Sequential) => m.weights.map((w) => w.read() as TF.Variable);
      const evaluator = new SplitEvaluator({ forward, weights: weights(model), architecture }, 10, 32, true);
      // The first call is the trace, then CHECKED_CALLS checked calls, then plain calls.
      for (let i = 0; i < CHECKED_CALLS + 3; i++) expect(evaluator.evaluate(x, labels)).toEqual(eager);
      const [fn] = registeredFunctions().slice(-1);
      expect([fn.checks, fn.verified]).toEqual([CHECKED_CALLS, true]);
      evaluator.dispose();

      // Another run: new weights, the same function, no new trace and no new check.
      const next = buildModel({ kind, seed: 4, ...(kind === 'mlp' ? { hidden: [32, 16] } : {}) });
      const nextForward = (input: TF.Tensor) => next.apply(input, { training: false }) as TF.Tensor;
      const nextEvaluator = new SplitEvaluator(
        { forward: nextForward, weights: weights(next), architecture },
        10,
        32,
        true,
      );
      const nextEager = evaluate(nextForward, x, labels, 10, 32);
      const built = registeredFunctions().length;
      expect(nextEager).not.toEqual(eager);
      // No eager kernel (no trace) from the first evaluation on: only the function's call, which
      // goes through the compiled step's own handle on the binding.
      expect(launches(() => expect(nextEvaluator.evaluate(x, labels)).toEqual(nextEager))).toBe(0);
      for (let i = 0; i < 2; i++) expect(nextEvaluator.evaluate(x, labels)).toEqual(nextEager);
      expect(registeredFunctions().slice(-1)).toEqual([fn]);
      expect(registeredFunctions()).toHaveLength(built);
      expect(fn.checks).toBe(CHECKED_CALLS);
      nextEvaluator.dispose();
      model.dispose();
      next.dispose();
    });
  }
});
