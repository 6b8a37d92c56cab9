/**
 * Statistics for the verdicts: means with 95% intervals over seeds (Student t, or a seeded
 * percentile bootstrap for statistics without a t distribution, such as slopes), and the
 * three-way decision of an interval against a criterion's bound.
 */
import { seededRandom } from '../util/random.js';
import { mean, std } from '../util/stats.js';

/** Two-sided 97.5% quantiles of Student's t for 1..30 degrees of freedom. */
const T_975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11,
  2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/** The 97.5% quantile of Student's t with `df` degrees of freedom (normal beyond 30: within 2%). */
export function tQuantile975(df: number): number {
  if (!Number.isInteger(df) || df < 1) return NaN;
  return df <= T_975.length ? T_975[df - 1] : 1.96;
}

/** A statistic with its 95% interval over n independent values (seeds). */
export interface Interval {
  estimate: number;
  low: number;
  high: number;
  n: number;
  method: 't' | 'logit-t' | 'log-t' | 'bootstrap' | 'block bootstrap';
}

/**
 * Mean and 95% Student-t interval. One value has no interval (low/high NaN, so a verdict on
 * it is inconclusive); non-finite values make the whole interval NaN rather than hiding them.
 */
export function tInterval(values: readonly number[]): Interval {
  const n = values.length;
  const estimate = n === 0 ? NaN : mean(values);
  const half = tQuantile975(n - 1) * (std(values) / Math.sqrt(n));
  return { estimate, low: estimate - half, high: estimate + half, n, method: 't' };
}

/**
 * Mean with a 95% t interval computed on another scale and mapped back: for quantities bounded
 * by nature, whose t interval on the raw scale can leave their range. The estimate stays the
 * arithmetic mean; when skew puts it outside the mapped interval, the interval is widened to it.
 */
function transformedInterval(
  values: readonly number[],
  forward: (x: number) => number,
  back: (y: number) => number,
  method: 'logit-t' | 'log-t',
): Interval {
  const n = values.length;
  const estimate = n === 0 ? NaN : mean(values);
  const t = tInterval(values.map(forward));
  if (!Number.isFinite(t.low) || !Number.isFinite(estimate)) return { estimate, low: NaN, high: NaN, n, method };
  return { estimate, low: Math.min(estimate, back(t.low)), high: Math.max(estimate, back(t.high)), n, method };
}

/** Accuracies and other fractions clipped this far inside [0, 1] before the logit (0 and 1 have none). */
const FRACTION_CLIP = 1e-4;

/** Mean and 95% interval of values in [0, 1] (accuracies) by a t interval on the logit scale: it stays inside [0, 1]. */
export function fractionInterval(values: readonly number[]): Interval {
  const clip = (p: number) => Math.min(1 - FRACTION_CLIP, Math.max(FRACTION_CLIP, p));
  return transformedInterval(
    values,
    (p) => Math.log(clip(p) / (1 - clip(p))),
    (y) => 1 / (1 + Math.exp(-y)),
    'logit-t',
  );
}

/** Mean and 95% interval of positive values (ratios, step sizes) by a t interval on the log scale: it stays above 0. */
export function positiveInterval(values: readonly number[]): Interval {
  return transformedInterval(values, Math.log, Math.exp, 'log-t');
}

export interface BootstrapOptions {
  resamples?: number;
  seed?: number;
  /**
   * Moving-block bootstrap: resample runs of this many consecutive units instead of single
   * units, for series whose neighbours are correlated (timings of successive steps). 1 = iid.
   */
  block?: number;
}

/** One resample of n units: single units drawn with replacement, or runs of `block` consecutive units. */
function resample<T>(units: readonly T[], random: () => number, block: number): T[] {
  const n = units.length;
  if (block <= 1) return Array.from({ length: n }, () => units[Math.floor(random() * n)]);
  const sample: T[] = [];
  while (sample.length < n) {
    const start = Math.floor(random() * (n - block + 1));
    sample.push(...units.slice(start, start + block));
  }
  return sample.slice(0, n);
}

/**
 * Seeded percentile bootstrap: resample the n units (seeds) with replacement, recompute the
 * statistic, take the 2.5% and 97.5% quantiles. Resamples whose statistic is not finite are
 * dropped; when more than 5% are, the interval is NaN (the statistic is unstable there).
 */
export function bootstrapInterval<T>(
  units: readonly T[],
  statistic: (sample: readonly T[]) => number,
  options: BootstrapOptions = {},
): Interval {
  const resamples = options.resamples ?? 2000;
  const random = seededRandom(options.seed ?? 1);
  const n = units.length;
  const block = Math.min(options.block ?? 1, n);
  const method = block > 1 ? 'block bootstrap' : 'bootstrap';
  const estimate = n === 0 ? NaN : statistic(units);
  const values: number[] = [];
  for (let r = 0; r < resamples && n > 1; r++) {
    const sample = resample(units, random, block);
    const value = statistic(sample);
    if (Number.isFinite(value)) values.push(value);
  }
  if (n < 2 || values.length < 0.95 * resamples) return { estimate, low: NaN, high: NaN, n, method };
  values.sort((a, b) => a - b);
  const at = (q: number) => values[Math.min(values.length - 1, Math.max(0, Math.round(q * (values.length - 1))))];
  return { estimate, low: at(0.025), high: at(0.975), n, method };
}

/** Largest |a[i] - b[i]| / |b[i]| of two curves; Infinity when their lengths differ (one stopped early). */
export function maxRelativeDifference(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.abs(b[i]));
  return worst;
}

/** Element-wise a[i] - b[i] of paired measurements (same seed on both sides). */
export function pairedDifferences(a: readonly number[], b: readonly number[]): number[] {
  if (a.length !== b.length) throw new Error(`Paired lists differ in length: ${a.length} vs ${b.length}`);
  return a.map((value, i) => value - b[i]);
}

export type Outcome = 'supported' | 'not supported' | 'inconclusive';

/**
 * An interval against a bound: the claim "the statistic is above (or below) the bound" is
 * supported when the whole interval is on that side, not supported when the whole interval is
 * on the other side, and inconclusive when the interval straddles the bound or is undefined.
 */
export function decideInterval(
  interval: Pick<Interval, 'low' | 'high'>,
  side: 'above' | 'below',
  bound: number,
): Outcome {
  const { low, high } = interval;
  if (!Number.isFinite(low) || !Number.isFinite(high)) return 'inconclusive';
  const above = low >= bound;
  const below = high <= bound;
  if (side === 'above') return above ? 'supported' : high < bound ? 'not supported' : 'inconclusive';
  return below ? 'supported' : low > bound ? 'not supported' : 'inconclusive';
}

/** The claim "the statistic lies between low and high", decided on its interval like {@link decideInterval}. */
export function decideWithin(interval: Pick<Interval, 'low' | 'high'>, low: number, high: number): Outcome {
  return allOf([decideInterval(interval, 'above', low), decideInterval(interval, 'below', high)]);
}

/** Several conditions that must all hold: any refuted one refutes, any open one leaves it open. */
export function allOf(outcomes: readonly Outcome[]): Outcome {
  if (outcomes.includes('not supported')) return 'not supported';
  if (outcomes.includes('inconclusive')) return 'inconclusive';
  return 'supported';
}

/** `mean [low, high] (n=3, t)` with each number through `format`; `[no interval]` when there is none. */
export function formatInterval(interval: Interval, format: (x: number) => string): string {
  const range = Number.isFinite(interval.low) ? `[${format(interval.low)}, ${format(interval.high)}]` : '[no interval]';
  return `${format(interval.estimate)} ${range} (n=${interval.n}, ${interval.method})`;
}

/** `mean [low, high]` for a table cell whose caption names the interval and n. */
export function intervalCell(interval: Interval, format: (x: number) => string): string {
  const range = Number.isFinite(interval.low) ? `[${format(interval.low)}, ${format(interval.high)}]` : '[n/a]';
  return `${format(interval.estimate)} ${range}`;
}
