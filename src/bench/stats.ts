/** Small statistics for timings: medians and quantiles of repeated measurements. */

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Linear-interpolated quantile (q in [0, 1]) of a non-empty list. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new Error('quantile of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
}

/** Milliseconds elapsed since `start` (a process.hrtime.bigint() reading). */
export function millisecondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Runs `fn` and returns the wall time in milliseconds. */
export function timeMilliseconds(fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  return millisecondsSince(start);
}
