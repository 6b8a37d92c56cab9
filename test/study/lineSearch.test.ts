import { describe, expect, it } from 'vitest';
import { minimiseOverLogStep } from '../../src/study/lineSearch.js';

describe('minimiseOverLogStep', () => {
  it('finds the minimum of a parabola in c to 4 digits, far from any grid point', () => {
    // f(c) = (c - 0.0372)^2: the grid of 25 points on [1e-4, 1e2] does not contain 0.0372.
    const result = minimiseOverLogStep((c) => (c - 0.0372) ** 2, { low: 1e-4, high: 1e2 });
    expect(result.best).toBeCloseTo(0.0372, 4);
    expect(result.atBoundary).toBe(false);
    expect(result.scan).toHaveLength(25);
  });

  it('prefers the deeper of two basins and treats NaN as worse than anything', () => {
    // A shallow basin at c = 0.01, a deeper one at c = 10, and NaN beyond 50 (a diverged loss).
    const f = (c: number) => (c > 50 ? NaN : Math.min(1 + Math.log(c / 0.01) ** 2, Math.log(c / 10) ** 2));
    const result = minimiseOverLogStep(f, { low: 1e-3, high: 1e3, gridPoints: 31 });
    expect(result.best).toBeCloseTo(10, 3);
    expect(result.value).toBeCloseTo(0, 6);
  });

  it('says when the best point is an end of the range', () => {
    const result = minimiseOverLogStep((c) => -c, { low: 1, high: 100, gridPoints: 5 });
    expect(result.best).toBeCloseTo(100, 10);
    expect(result.atBoundary).toBe(true);
  });

  it('rejects an empty or non-positive range', () => {
    expect(() => minimiseOverLogStep((c) => c, { low: 0, high: 1 })).toThrow(/0 < low < high/);
  });
});
