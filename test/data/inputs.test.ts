/** Pixel scalings (src/data/inputs.ts): unit as loaded, standardised by training statistics, raw 0-255. */
import { describe, expect, it } from 'vitest';
import { loadDataset, pixelStatistics, scaleInputs, type Split } from '../../src/data/index.js';
import { runSplits } from '../../src/train/heldOut.js';

const dataset = await loadDataset('synthetic', { trainLimit: 1000, testLimit: 300 });

/** A split of `count` images of `pixels` values each. */
function split(rows: number[][]): Split {
  return { images: Float32Array.from(rows.flat()), labels: new Int32Array(rows.length), count: rows.length };
}

describe('scaleInputs', () => {
  it('unit: the splits themselves', () => {
    const scaled = scaleInputs('unit', dataset.train, dataset.test);
    expect(scaled.train).toBe(dataset.train);
    expect(scaled.heldOut).toBe(dataset.test);
  });

  it('raw: grey levels x 255, exactly k for the IDX values k / 255', () => {
    const levels = split([Array.from({ length: 256 }, (_, k) => k / 255)]);
    const { train, heldOut } = scaleInputs('raw', levels, dataset.test);
    expect(Array.from(train.images)).toEqual(Array.from({ length: 256 }, (_, k) => k));
    expect(heldOut.images[7]).toBe(Math.fround(dataset.test.images[7] * 255));
    expect(levels.images[255]).toBe(1);
  });

  it('standardized, worked by hand: training mean and population sd per pixel, applied to both splits', () => {
    // Pixel 0: 0, 0.5, 1 (mean 0.5, sd sqrt(1/6)); pixel 1: 0.25 always (sd 0: only centred).
    const train = split([
      [0, 0.25],
      [0.5, 0.25],
      [1, 0.25],
    ]);
    const heldOut = split([[0.75, 1]]);
    const scaled = scaleInputs('standardized', train, heldOut);
    const sd = Math.sqrt(1 / 6);
    const expected = [-0.5 / sd, 0, 0, 0, 0.5 / sd, 0];
    scaled.train.images.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
    expect(scaled.heldOut.images[0]).toBeCloseTo(0.25 / sd, 6);
    expect(scaled.heldOut.images[1]).toBeCloseTo(0.75, 6);
    // The loaded splits are left as they were.
    expect(Array.from(train.images)).toEqual([0, 0.25, 0.5, 0.25, 1, 0.25]);
  });

  it('standardized: every varying pixel has mean ~0 and sd ~1 on the training split, not on the held-out one', () => {
    const { train, heldOut } = scaleInputs('standardized', dataset.train, dataset.test);
    const before = pixelStatistics(dataset.train);
    const after = pixelStatistics(train);
    const varying = Array.from(before.sd.keys()).filter((p) => before.sd[p] > 0);
    expect(varying.length).toBeGreaterThan(700);
    expect(Math.max(...varying.map((p) => Math.abs(after.mean[p])))).toBeLessThan(1e-5);
    expect(Math.max(...varying.map((p) => Math.abs(after.sd[p] - 1)))).toBeLessThan(1e-5);
    const test = pixelStatistics(heldOut);
    expect(Math.max(...varying.map((p) => Math.abs(test.mean[p])))).toBeGreaterThan(0.01);
  });
});

describe('runSplits with inputs', () => {
  it('standardises with the statistics of the examples the run trains on (after the validation carve)', () => {
    const validation = { size: 200, seed: 7, evaluate: 'validation' as const };
    const plain = runSplits(dataset, { validation });
    const scaled = runSplits(dataset, { validation, inputs: 'standardized' });
    expect(scaled.train.count).toBe(800);
    const { mean } = pixelStatistics(plain.train);
    const { sd } = pixelStatistics(plain.train);
    const p = Array.from(sd.keys()).find((q) => sd[q] > 0)!;
    expect(scaled.train.images[p]).toBeCloseTo((plain.train.images[p] - mean[p]) / sd[p], 5);
    expect(scaled.heldOut.images[p]).toBeCloseTo((plain.heldOut.images[p] - mean[p]) / sd[p], 5);
    // Shared by runs with the same settings; unit is the unscaled split.
    expect(runSplits(dataset, { validation, inputs: 'standardized' })).toBe(scaled);
    expect(runSplits(dataset, { validation, inputs: 'unit' }).train).toBe(plain.train);
  });
});
