import { describe, expect, it } from 'vitest';
import { compactTimestamp, formatNumber, formatPercent } from '../../src/util/format.js';

describe('format', () => {
  it.each([
    [0, '0'],
    [0.5, '0.5'],
    [0.12345, '0.123'],
    [-2.5, '-2.5'],
    [999.4, '999'],
    [12345.6, '12,346'],
    [0.000123, '1.23e-4'],
    [3.2e12, '3.20e+12'],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, 'Infinity'],
  ])('formatNumber(%s) is %s', (value, text) => {
    expect(formatNumber(value)).toBe(text);
  });

  it('keeps more digits on request, and writes percentages and timestamps', () => {
    expect(formatNumber(0.81234, 4)).toBe('0.8123');
    expect(formatPercent(0.8123)).toBe('81.2%');
    expect(formatPercent(Number.NaN)).toBe('n/a');
    expect(compactTimestamp(new Date('2026-11-30T10:45:07.123Z'))).toBe('20261130-104507');
  });
});
