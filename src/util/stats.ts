/**
 * Small statistics for verdicts and timings.
 *
 * NaN policy: `median` and `quantile` summarise what was measured, so they drop non-finite
 * values (a diverged run's NaN or Infinity) and return NaN when nothing finite is left.
 * `mean`, `std` and `slope` use every value, so one NaN makes the result NaN and a caller
 * sees that something diverged; they return NaN for an empty list.
 */

export function mean(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

/** Sample standard deviation (n - 1); 0 for a single value. */
export function std(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  if (values.length < 2) return 0;
  const m = mean(values);
  return Math.sqrt(values.reduce((sum, v) => sum + (v - m) ** 2, 0) / (values.length - 1));
}

/** Linear-interpolated quantile (q in [0, 1]) of the finite values. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Least-squares slope of y on x. */
export function slope(x: readonly number[], y: readonly number[]): number {
  const mx = mean(x);
  const my = mean(y);
  let numerator = 0;
  let denominator = 0;
  for (let i = 0; i < x.length; i++) {
    numerator += (x[i] - mx) * (y[i] - my);
    denominator += (x[i] - mx) ** 2;
  }
  return numerator / denominator;
}

/** Milliseconds elapsed since `start` (a process.hrtime.bigint() reading). */
export function millisecondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * An interval of the mean of values that lie in [lower, upper], cut to those bounds (an
 * accuracy's t-interval `0.9385 [0.8686, 1.008]` becomes `[0.8686, 1]`). The mean lies within
 * the bounds too, so cutting removes only impossible values and keeps the interval's coverage.
 */
export function boundedMeanInterval<I extends { low: number; high: number }>(
  interval: I,
  lower: number,
  upper: number,
): I {
  const cut = (value: number) => (Number.isNaN(value) ? value : Math.min(upper, Math.max(lower, value)));
  return { ...interval, low: cut(interval.low), high: cut(interval.high) };
}
