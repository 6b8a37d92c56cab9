import { describe, expect, it } from 'vitest';
import {
  allClaimsPValue,
  allOf,
  bootstrapInterval,
  claimPValue,
  decideInterval,
  fractionInterval,
  holmAdjusted,
  pairedDifferences,
  positiveInterval,
  tInterval,
  tQuantile975,
  tUpperTail,
} from '../../src/util/intervals.js';
import { mean, slope } from '../../src/util/stats.js';
import { chooseSetting, type SettingRuns } from '../../src/study/seedGroups.js';

describe('tInterval', () => {
  it('is mean +/- t(0.975, n-1) * s / sqrt(n)', () => {
    // values 1, 2, 3: mean 2, s = 1, t(0.975, 2) = 4.303, half-width 4.303 / sqrt(3) = 2.4843.
    const interval = tInterval([1, 2, 3]);
    expect(interval.estimate).toBe(2);
    expect(interval.low).toBeCloseTo(2 - 2.48434, 4);
    expect(interval.high).toBeCloseTo(2 + 2.48434, 4);
    expect(interval.n).toBe(3);
  });
  it('has no interval for one value, so a verdict on it cannot be decided', () => {
    const interval = tInterval([0.9]);
    expect(interval.estimate).toBe(0.9);
    expect(Number.isNaN(interval.low)).toBe(true);
    expect(decideInterval(interval, 'above', 0.5)).toBe('inconclusive');
  });
  it('uses the normal quantile beyond 30 degrees of freedom', () => {
    expect(tQuantile975(4)).toBe(2.776);
    expect(tQuantile975(100)).toBe(1.96);
  });
});

describe('bootstrapInterval', () => {
  it('is seeded: the same units and seed give the same interval', () => {
    const units = [0.1, 0.4, 0.35, 0.8, 0.5];
    expect(bootstrapInterval(units, mean, { seed: 3 })).toEqual(bootstrapInterval(units, mean, { seed: 3 }));
  });
  it('brackets the statistic and stays inside the range of the data for a mean', () => {
    const units = [1, 2, 3, 4, 5, 6];
    const interval = bootstrapInterval(units, mean);
    expect(interval.low).toBeLessThan(3.5);
    expect(interval.high).toBeGreaterThan(3.5);
    expect(interval.low).toBeGreaterThanOrEqual(1);
    expect(interval.high).toBeLessThanOrEqual(6);
  });
  it('resamples units, not points: the slope of noiseless seeds has a zero-width interval', () => {
    const seeds = [0, 1, 2].map(() => [
      [0, 1],
      [0, 2],
    ]);
    const statistic = (sample: readonly number[][][]) => mean(sample.map(([x, y]) => slope(x, y)));
    const interval = bootstrapInterval(seeds, statistic);
    expect(interval.low).toBe(2);
    expect(interval.high).toBe(2);
  });
});

describe('decideInterval', () => {
  it('supports a claim only when the whole interval is on its side, refutes it when the whole interval is on the other', () => {
    expect(decideInterval({ low: 0.25, high: 0.4 }, 'above', 0.2)).toBe('supported');
    expect(decideInterval({ low: 0.05, high: 0.15 }, 'above', 0.2)).toBe('not supported');
    expect(decideInterval({ low: 0.15, high: 0.25 }, 'above', 0.2)).toBe('inconclusive');
    expect(decideInterval({ low: -0.1, high: 0.1 }, 'below', 0.2)).toBe('supported');
    expect(decideInterval({ low: 0.3, high: 0.5 }, 'below', 0.2)).toBe('not supported');
  });
  it('combines conditions: any refuted refutes, any open leaves it open', () => {
    expect(allOf(['supported', 'supported'])).toBe('supported');
    expect(allOf(['supported', 'inconclusive'])).toBe('inconclusive');
    expect(allOf(['inconclusive', 'not supported'])).toBe('not supported');
  });
});

describe('pairedDifferences', () => {
  it('subtracts seed by seed and refuses lists of different length', () => {
    expect(pairedDifferences([3, 5], [1, 1])).toEqual([2, 4]);
    expect(() => pairedDifferences([1], [1, 2])).toThrow(/differ in length/);
  });
});

describe('chooseSetting', () => {
  const runs = (key: string, accuracies: number[]): SettingRuns => ({
    key,
    seeds: accuracies.map((_, i) => i + 1),
    accuracies,
    diverged: accuracies.map(() => false),
    divergedAt: accuracies.map(() => null),
    steps: accuracies.map(() => 10),
  });

  it('has no winner when every setting is at chance, or when the paired gap to the best reaches 0', () => {
    const chance = chooseSetting([runs('a', [0.1, 0.1, 0.1]), runs('b', [0.1, 0.11, 0.1])], 0.05);
    expect(chance.tie).toBe('at chance');
    expect(chance.tied.map((s) => s.key)).toEqual(['a', 'b']);
    // b beats a by 1, -1, 3 points: mean 1, paired t interval 1 +- 4.30 * 2 / sqrt(3), reaching 0.
    const overlapping = chooseSetting([runs('a', [0.8, 0.82, 0.8]), runs('b', [0.81, 0.81, 0.83])], 0.05);
    expect(overlapping.best.key).toBe('b');
    expect(overlapping.tie).toBe('overlapping');
    // b beats a by 5, 6, 7 points on the same seeds: a clear winner.
    const clear = chooseSetting([runs('a', [0.8, 0.8, 0.8]), runs('b', [0.85, 0.86, 0.87])], 0.05);
    expect(clear).toMatchObject({ tie: null, tied: [clear.best] });
    expect(clear.best.key).toBe('b');
  });
});

describe('intervals that respect the range of the quantity', () => {
  it('keeps an interval of accuracies near 1 inside [0, 1], where the t interval leaves it', () => {
    const accuracies = [0.99, 0.999, 0.95, 0.998, 0.97];
    // t: mean 0.9814, sd 0.0212, half-width 2.776 * 0.0212 / sqrt(5) = 0.0263: high 1.0077 > 1.
    expect(tInterval(accuracies).high).toBeGreaterThan(1);
    const bounded = fractionInterval(accuracies);
    expect(bounded.method).toBe('logit-t');
    expect(bounded.estimate).toBeCloseTo(0.9814, 4);
    expect(bounded.low).toBeGreaterThan(0.9);
    expect(bounded.high).toBeLessThan(1);
    expect(bounded.low).toBeLessThanOrEqual(bounded.estimate);
    expect(bounded.high).toBeGreaterThanOrEqual(bounded.estimate);
    // Near chance with one seed that learned: the t interval goes below 0 (27.2% [-9.0, 63.4] in the full study).
    const spread = [0.1, 0.1, 0.1, 0.1, 0.96];
    expect(tInterval(spread).low).toBeLessThan(0);
    expect(fractionInterval(spread).low).toBeGreaterThan(0);
    expect(fractionInterval(spread).high).toBeLessThan(1);
  });

  it('keeps an interval of positive values above 0', () => {
    const steps = [0.01, 0.2, 0.05, 0.3, 0.02];
    expect(tInterval(steps).low).toBeLessThan(0);
    const positive = positiveInterval(steps);
    expect(positive.low).toBeGreaterThan(0);
    expect(positive.method).toBe('log-t');
  });

  it('resamples blocks of consecutive units when asked, and is seeded', () => {
    const trend = Array.from({ length: 100 }, (_, i) => Math.floor(i / 25));
    const iid = bootstrapInterval(trend, mean, { seed: 5 });
    const blocks = bootstrapInterval(trend, mean, { seed: 5, block: 25 });
    expect(blocks.method).toBe('block bootstrap');
    // Whole plateaus move together in a block resample: the interval of the mean is wider.
    expect(blocks.high - blocks.low).toBeGreaterThan(iid.high - iid.low);
    expect(bootstrapInterval(trend, mean, { seed: 5, block: 25 })).toEqual(blocks);
  });
});

describe("p-values and Holm's correction", () => {
  it("gives Student's t upper tail at known points", () => {
    expect(tUpperTail(0, 4)).toBeCloseTo(0.5, 12);
    // The tabled 97.5% quantiles leave 2.5% above them.
    expect(tUpperTail(2.776, 4)).toBeCloseTo(0.025, 4);
    expect(tUpperTail(12.706, 1)).toBeCloseTo(0.025, 4);
    expect(tUpperTail(-2.571, 5)).toBeCloseTo(0.975, 4);
    // One degree of freedom is Cauchy: P(T > 1) = 1/4.
    expect(tUpperTail(1, 1)).toBeCloseTo(0.25, 10);
  });

  it('agrees with the interval: p = 0.025 where the 95% interval touches the bound', () => {
    const interval = tInterval([1, 2, 3, 4, 5]); // 3 +- 2.776 * 1.581 / sqrt(5) = [1.037, 4.963]
    expect(claimPValue({ interval, side: 'above', bound: interval.low })).toBeCloseTo(0.025, 4);
    expect(claimPValue({ interval, side: 'above', bound: 3 })).toBeCloseTo(0.5, 10);
    expect(claimPValue({ interval, side: 'below', bound: interval.high })).toBeCloseTo(0.025, 4);
    // All parts must hold: the weakest decides.
    expect(
      allClaimsPValue([
        { interval, side: 'above', bound: 0 },
        { interval, side: 'above', bound: 3 },
      ]),
    ).toBeCloseTo(0.5, 10);
    expect(claimPValue({ interval: bootstrapInterval([1, 2, 3], mean), side: 'above', bound: 0 })).toBeNaN();
  });

  it("adjusts by Holm's step-down rule", () => {
    // Sorted 0.01, 0.02, 0.03, 0.5 times 4, 3, 2, 1 = 0.04, 0.06, 0.06, 0.5, kept monotone.
    const adjusted = holmAdjusted([0.03, 0.5, 0.01, 0.02]);
    expect(adjusted[0]).toBeCloseTo(0.06, 12);
    expect(adjusted[1]).toBeCloseTo(0.5, 12);
    expect(adjusted[2]).toBeCloseTo(0.04, 12);
    expect(adjusted[3]).toBeCloseTo(0.06, 12);
    expect(holmAdjusted([0.2, 0.9])).toEqual([0.4, 0.9]);
  });
});
