import { describe, expect, it } from 'vitest';
import { classCounts, loadDataset, runDataLoad } from '../../src/data/index.js';
import { runSplits } from '../../src/train/heldOut.js';

const dataset = await loadDataset('synthetic', { trainLimit: 1000, testLimit: 200 });

/** Each image's bytes as a string key, to compare splits by content. */
function keys(split: { images: Float32Array; count: number }): Set<string> {
  const size = split.images.length / split.count;
  return new Set(
    Array.from({ length: split.count }, (_, i) =>
      Buffer.from(split.images.buffer, i * size * 4, size * 4).toString('base64'),
    ),
  );
}

describe('runSplits', () => {
  it('without a validation split: all training examples, evaluated on test', () => {
    const splits = runSplits(dataset, {});
    expect(splits.heldOutName).toBe('test');
    expect(splits.train.count).toBe(1000);
    expect(splits.heldOut).toBe(dataset.test);
  });

  it('carves a seeded, stratified validation split disjoint from the examples the run trains on', () => {
    const validation = { size: 200, seed: 7, evaluate: 'validation' as const };
    const splits = runSplits(dataset, { validation });
    expect(splits.heldOutName).toBe('validation');
    expect(splits.train.count).toBe(800);
    expect(splits.heldOut.count).toBe(200);
    const trained = keys(splits.train);
    for (const key of keys(splits.heldOut)) expect(trained.has(key)).toBe(false);
    // Stratified: each class's share of the validation split is its share of the pool (within one example).
    const pool = classCounts(dataset.train.labels);
    classCounts(splits.heldOut.labels).forEach((count, label) =>
      expect(Math.abs(count - (pool[label] * 200) / 1000)).toBeLessThanOrEqual(1),
    );
    expect(runSplits(dataset, { validation }).heldOut.labels).toEqual(splits.heldOut.labels);
    expect(runSplits(dataset, { validation: { ...validation, seed: 8 } }).heldOut.labels).not.toEqual(
      splits.heldOut.labels,
    );
  });

  it('final runs train on the same examples as the selection runs and evaluate on test', () => {
    const selection = runSplits(dataset, { validation: { size: 200, seed: 7, evaluate: 'validation' } });
    const final = runSplits(dataset, { validation: { size: 200, seed: 7, evaluate: 'test' } });
    expect(final.heldOutName).toBe('test');
    expect(final.train.images).toEqual(selection.train.images);
    expect(final.heldOut).toBe(dataset.test);
  });

  it('makes the splits of a dataset and settings once: later runs share them', () => {
    const validation = { size: 200, seed: 7, evaluate: 'validation' as const };
    const splits = runSplits(dataset, { validation });
    expect(runSplits(dataset, { validation: { ...validation } })).toBe(splits);
    expect(runSplits(dataset, { validation: { ...validation, seed: 8 } }).train).not.toBe(splits.train);
    expect(runSplits(dataset, { validation, trainLimit: 900 }).train.count).toBe(700);
    // Another dataset object (another load) gets its own.
    expect(runSplits({ ...dataset, train: { ...dataset.train } }, { validation }).train).not.toBe(splits.train);
  });

  it('rejects a validation split as large as the training data, naming the limit', () => {
    expect(() => runSplits(dataset, { validation: { size: 1000, seed: 7, evaluate: 'validation' } })).toThrow(
      'Invalid validation size: 1000 (expected an integer from 1 to 999, the training examples available)',
    );
  });

  it('a limit larger than the split it limits is an error, never cut silently', () => {
    expect(runSplits(dataset, { trainLimit: 1000, testLimit: 200 }).train.count).toBe(1000);
    expect(() => runSplits(dataset, { trainLimit: 1001 })).toThrow(
      'Invalid trainLimit: 1001 (synthetic has 1000 examples in that split; use at most 1000 or leave it unset)',
    );
    expect(() => runSplits(dataset, { testLimit: 201 })).toThrow(
      'Invalid testLimit: 201 (synthetic has 200 examples in that split; use at most 200 or leave it unset)',
    );
  });
});

describe('runDataLoad', () => {
  it('generates synthetic data at the run limits; loads other datasets whole, shared across limits', () => {
    const synthetic = runDataLoad({ dataset: 'synthetic', trainLimit: 5000, testLimit: 100 });
    expect(synthetic.options).toEqual({ trainLimit: 5000, testLimit: 100 });
    expect(synthetic.key).not.toBe(runDataLoad({ dataset: 'synthetic', trainLimit: 300 }).key);
    const digits = runDataLoad({ dataset: 'mnist-digits', dataDir: 'd', trainLimit: 100 });
    expect(digits.options).toEqual({ dataDir: 'd' });
    expect(digits.key).toBe(runDataLoad({ dataset: 'mnist-digits', dataDir: 'd', trainLimit: 200 }).key);
  });
});
