/**
 * Statistics for the verdicts: means with 95% intervals over seeds (Student t, or a seeded
 * percentile bootstrap for statistics without a t distribution, such as slopes), and the
 * three-way decision of an interval against a criterion's bound.
 */
import { formatNumber } from './format.js';
import { seededRandom } from './random.js';
import { mean, std } from './stats.js';

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

/** `n/a` for no run, `0.8123` for one, `0.8123 [0.8011, 0.8235]` (mean [95% interval]) for several. */
export function formatMetricInterval(interval: Interval): string {
  const format = (value: number) => formatNumber(value, 4);
  if (interval.n === 0) return 'n/a';
  return interval.n < 2 ? format(interval.estimate) : intervalCell(interval, format);
}

/** ln Gamma(x) for x > 0 (Lanczos, g = 7, 9 terms: about 15 digits). */
function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = c[0];
  for (let i = 1; i < 9; i++) sum += c[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** Regularized incomplete beta I_x(a, b), by its continued fraction (modified Lentz). */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  const front = Math.exp(a * Math.log(x) + b * Math.log(1 - x) - logGamma(a) - logGamma(b) + logGamma(a + b)) / a;
  const tiny = 1e-300;
  let f = 1;
  let c = 1;
  let d = 0;
  for (let i = 0; i <= 400; i++) {
    const m = Math.floor(i / 2);
    const numerator =
      i === 0
        ? 1
        : i % 2 === 0
          ? (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m))
          : -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
    d = 1 + numerator * d;
    d = Math.abs(d) < tiny ? tiny : d;
    d = 1 / d;
    c = 1 + numerator / c;
    c = Math.abs(c) < tiny ? tiny : c;
    f *= c * d;
    if (Math.abs(1 - c * d) < 1e-12) break;
  }
  return front * (f - 1);
}

/** P(T > t) for Student's t with `df` degrees of freedom. */
export function tUpperTail(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return NaN;
  if (t === Infinity) return 0;
  if (t === -Infinity) return 1;
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? tail : 1 - tail;
}

/** A statistic's interval judged against a bound: the claim is that it lies on `side` of `bound`. */
export interface IntervalClaim {
  interval: Interval;
  side: 'above' | 'below';
  bound: number;
}

const SCALES: Partial<Record<Interval['method'], (x: number) => number>> = {
  t: (x) => x,
  'logit-t': (p) => Math.log(p / (1 - p)),
  'log-t': Math.log,
};

/**
 * One-sided p-value of a claim decided on a t-type interval: the chance of an estimate this far
 * on the claimed side if the statistic sat on the bound. The standard error is read back from
 * the interval (half-width / t quantile, on the interval's own scale), so the p-value and the
 * interval agree: p <= 0.025 exactly when the 95% interval clears the bound. NaN for a bootstrap
 * interval or one without a width.
 */
export function claimPValue({ interval, side, bound }: IntervalClaim): number {
  const scale = SCALES[interval.method];
  const q = tQuantile975(interval.n - 1);
  if (!scale || !Number.isFinite(interval.low) || !Number.isFinite(interval.high) || !Number.isFinite(q)) return NaN;
  const [low, high] = [scale(interval.low), scale(interval.high)];
  const centre = (low + high) / 2;
  const se = (high - low) / 2 / q;
  const at = scale(bound);
  if (Number.isNaN(at)) return side === 'above' ? (bound <= interval.low ? 0 : 1) : bound >= interval.high ? 0 : 1;
  if (se === 0) return (side === 'above' ? centre > at : centre < at) ? 0 : 1;
  const t = (side === 'above' ? centre - at : at - centre) / se;
  return tUpperTail(t, interval.n - 1);
}

/** The claim "the statistic lies between low and high" as two one-sided claims. */
export function withinClaims(interval: Interval, low: number, high: number): IntervalClaim[] {
  return [
    { interval, side: 'above', bound: low },
    { interval, side: 'below', bound: high },
  ];
}

/** p-value of several claims that must all hold (intersection-union test): the largest of theirs. */
export function allClaimsPValue(claims: readonly IntervalClaim[]): number {
  return claims.reduce((worst, claim) => Math.max(worst, claimPValue(claim)), 0);
}

/** Holm's step-down adjusted p-values, in the order given (family-wise error control over the list). */
export function holmAdjusted(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0]);
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach(([p, i], rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    adjusted[i] = running;
  });
  return adjusted;
}
