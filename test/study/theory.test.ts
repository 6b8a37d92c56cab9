import { describe, expect, it } from 'vitest';
import {
  heavyBallSteadyGain,
  noLearningRateEmaBoundaryScale,
  noLearningRateEmaLimit,
  noLearningRateEmaStable,
} from '../../src/study/theory.js';

/** |w| after `steps` (Infinity once it passes 1e6) of no-lr EMA momentum on L = s * lambda w^2 / 2, from w = 1, v = 0. */
function emaOnQuadratic(lossScale: number, lambda: number, beta: number, steps: number): number {
  let w = 1;
  let v = 0;
  for (let t = 0; t < steps; t++) {
    v = beta * v + (1 - beta) * lossScale * lambda * w;
    w -= v;
    if (Math.abs(w) > 1e6) return Infinity;
  }
  return Math.abs(w);
}

describe('no-lr EMA stability boundary', () => {
  it('is 2 (1 + beta) / (1 - beta): 38 at beta = 0.9, 398 at beta = 0.99', () => {
    expect(noLearningRateEmaLimit(0.9)).toBeCloseTo(38, 10);
    expect(noLearningRateEmaLimit(0.99)).toBeCloseTo(398, 9);
    expect(noLearningRateEmaBoundaryScale(19, 0.9)).toBeCloseTo(2, 10);
  });

  it.each([0, 0.5, 0.9, 0.99])('separates shrinking from growing runs on a quadratic (beta = %s)', (beta) => {
    const lambda = 3;
    const boundary = noLearningRateEmaBoundaryScale(lambda, beta);
    // 2% inside and outside the boundary: the iterates shrink inside and grow outside.
    expect(noLearningRateEmaStable(boundary * 0.98, lambda, beta)).toBe(true);
    expect(noLearningRateEmaStable(boundary * 1.02, lambda, beta)).toBe(false);
    expect(emaOnQuadratic(boundary * 0.98, lambda, beta, 20000)).toBeLessThan(1e-3);
    expect(emaOnQuadratic(boundary * 1.02, lambda, beta, 20000)).toBeGreaterThan(1e3);
  });

  it('heavy-ball without a rate multiplies the steady step by 1 / (1 - mu)', () => {
    let v = 0;
    for (let t = 0; t < 5000; t++) v = 0.99 * v + 1;
    expect(v).toBeCloseTo(heavyBallSteadyGain(0.99), 6);
  });
});
