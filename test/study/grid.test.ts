import { describe, expect, it } from 'vitest';
import { interpolatedBest } from '../../src/study/experiments/grid.js';

describe('interpolatedBest', () => {
  const rates = [0.001, 0.01, 0.1, 1, 10];
  it('finds the vertex of a parabola in log(alpha) between grid points', () => {
    // log(loss) = (log10(alpha) - log10(0.05))^2 + 0.1: minimum at alpha = 0.05.
    const losses = rates.map((a) => Math.exp((Math.log10(a) - Math.log10(0.05)) ** 2 + 0.1));
    expect(interpolatedBest(rates, losses)).toBeCloseTo(0.05, 10);
  });
  it('returns the best grid point at an edge or next to a diverged cell', () => {
    expect(interpolatedBest(rates, [0.5, 1, 2, 3, 4])).toBe(0.001);
    expect(interpolatedBest(rates, [3, 2, 1, Infinity, Infinity])).toBe(0.1);
  });
  it('stays between the neighbours of the best cell', () => {
    const best = interpolatedBest(rates, [5, 4, 1, 1.0001, 4]);
    expect(best).toBeGreaterThan(0.1);
    expect(best).toBeLessThan(1);
  });
});
