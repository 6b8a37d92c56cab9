/**
 * The initial weights' evaluation is made once per process for the same weights on the same
 * split objects (src/train/initialEvaluation.ts), and again for anything else.
 */
import { describe, expect, it } from 'vitest';
import { tf } from '../../src/backend.js';
import type { Split } from '../../src/data/index.js';
import { initialEvaluation } from '../../src/train/initialEvaluation.js';

const split = (count: number): Split => ({
  images: new Float32Array(count * 784),
  labels: new Int32Array(count),
  count,
});

describe('initialEvaluation', () => {
  it('evaluates once for the same weights, data and settings, and again when any of them differs', () => {
    const data = { train: split(4), heldOut: split(2) };
    let evaluations = 0;
    const evaluate = () => {
      evaluations += 1;
      return { train: { loss: 2.5, accuracy: 0.25 }, test: { loss: 2.25, accuracy: 0.5 } };
    };
    const weights = [tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor1d([0, -0])];
    const model = { spec: ['mlp', [2]], evalBatchSize: 100, weights };
    const first = initialEvaluation(data, model, evaluate);
    expect(first).toEqual({ train: { loss: 2.5, accuracy: 0.25 }, test: { loss: 2.25, accuracy: 0.5 } });
    // Same values in new tensors: the same weights.
    const again = [tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor1d([0, -0])];
    expect(initialEvaluation(data, { ...model, weights: again }, evaluate)).toEqual(first);
    expect(evaluations).toBe(1);

    const reshaped = [tf.tensor2d([1, 2, 3, 4], [4, 1]), tf.tensor1d([0, -0])];
    const others = [
      { data, model: { ...model, weights: [weights[0], tf.tensor1d([0, 0])] } },
      { data, model: { ...model, weights: reshaped } },
      { data, model: { ...model, evalBatchSize: 50 } },
      { data, model: { ...model, spec: ['mlp', [3]] } },
      { data: { ...data, heldOut: split(2) }, model },
      { data: { ...data, train: split(4) }, model },
    ];
    others.forEach((other, i) => {
      initialEvaluation(other.data, other.model, evaluate);
      expect(evaluations).toBe(i + 2);
    });
    tf.dispose([...weights, ...again, ...reshaped, others[0].model.weights[1]]);
  });
});
