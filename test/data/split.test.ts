import { describe, expect, it } from 'vitest';
import { stratifiedQuotas, stratifiedSplit } from '../../src/data/split.js';

describe('stratifiedQuotas', () => {
  it('gives each class floor(n * share) plus the largest remainders', () => {
    // counts 5, 3, 2 -> 7 to train: exact 3.5, 2.1, 1.4 -> floors 3, 2, 1 (6), one more to class 0 (.5)
    expect(stratifiedQuotas([5, 3, 2], 7)).toEqual([4, 2, 1]);
    // ties go to the lower label: exact 1.5, 1.5 -> 1, 1 + one more to class 0
    expect(stratifiedQuotas([3, 3], 3)).toEqual([2, 1]);
    expect(stratifiedQuotas([10, 10], 20)).toEqual([10, 10]);
  });
});

describe('stratifiedSplit', () => {
  const labels = Int32Array.from({ length: 50 }, (_, i) => i % 10);

  it('puts every index in exactly one split with per-class quotas', () => {
    const { train, test } = stratifiedSplit(labels, 40, 3);
    expect(train.length + test.length).toBe(50);
    expect(new Set([...train, ...test]).size).toBe(50);
    const perClass = new Array(10).fill(0);
    for (const i of train) perClass[labels[i]]++;
    expect(perClass).toEqual(new Array(10).fill(4));
  });

  it('repeats for a seed and differs across seeds', () => {
    expect(Array.from(stratifiedSplit(labels, 40, 3).train)).toEqual(Array.from(stratifiedSplit(labels, 40, 3).train));
    expect(Array.from(stratifiedSplit(labels, 40, 3).train)).not.toEqual(
      Array.from(stratifiedSplit(labels, 40, 4).train),
    );
  });
});
