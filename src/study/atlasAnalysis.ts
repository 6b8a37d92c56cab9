/**
 * The measures of the atlas (experiment G), as plain functions of numbers so they can be
 * tested on synthetic outcomes: time to target (DeepOBS, AlgoPerf), the performance profile
 * (Dolan and Moré 2002), and the rules that turn per-setting comparisons into a verdict
 * across settings (a setting is close, far or undecided by its interval; at chance is a failure;
 * a tie at chance decides nothing).
 */
import type { MetricRow } from '../runs/metrics.js';
import { atChance } from './seedGroups.js';
import type { Interval, Outcome } from '../util/intervals.js';

/** The first step at which the accuracy series reaches `target`, or null (never). */
export function timeToTarget(series: readonly Pick<MetricRow, 'step' | 'value'>[], target: number): number | null {
  const reached = [...series].sort((a, b) => a.step - b.step).find((row) => row.value >= target);
  return reached === undefined ? null : reached.step;
}

/** The median over seeds of the time to target, a run that never reached it counting as infinitely slow. */
export function medianTime(times: readonly (number | null)[]): number {
  const sorted = times.map((t) => (t === null ? Infinity : t)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const middle = (sorted.length - 1) / 2;
  const [low, high] = [sorted[Math.floor(middle)], sorted[Math.ceil(middle)]];
  return low === high ? low : (low + high) / 2;
}

/** Per method, its value in each setting: `values[m][s]` is method m's value in setting s. */
type PerSetting = Readonly<Record<string, readonly number[]>>;

/**
 * For each method, the fraction of settings in which its value is `within` a threshold of the
 * `best` method's value in that setting, for every threshold.
 */
function profile(
  values: PerSetting,
  thresholds: readonly number[],
  best: (setting: readonly number[]) => number,
  within: (value: number, best: number, threshold: number) => boolean,
): Record<string, number[]> {
  const methods = Object.keys(values);
  const settings = methods.length === 0 ? 0 : values[methods[0]].length;
  const bests = Array.from({ length: settings }, (_, s) => best(methods.map((m) => values[m][s])));
  return Object.fromEntries(
    methods.map((m) => [
      m,
      thresholds.map((t) => values[m].filter((value, s) => within(value, bests[s], t)).length / settings),
    ]),
  );
}

/**
 * Dolan-Moré performance profile: for each method, the fraction of settings in which its time
 * is within a factor tau of the best method's time in that setting, for every tau. `times[m][s]`
 * is method m's time in setting s (Infinity: never). A setting no method solves counts for none.
 */
export function performanceProfile(times: PerSetting, taus: readonly number[]): Record<string, number[]> {
  return profile(
    times,
    taus,
    (setting) => Math.min(...setting),
    (time, best, tau) => Number.isFinite(best) && Number.isFinite(time) && time <= tau * best,
  );
}

/**
 * The accuracy profile beside it: for each method, the fraction of settings in which its mean
 * accuracy is within d of the best method's, for every d. `accuracies[m][s]` is a mean accuracy.
 */
export function accuracyProfile(accuracies: PerSetting, ds: readonly number[]): Record<string, number[]> {
  return profile(
    accuracies,
    ds,
    (setting) => Math.max(...setting.map((accuracy) => (Number.isFinite(accuracy) ? accuracy : -Infinity))),
    (accuracy, best, d) => Number.isFinite(accuracy) && accuracy >= best - d - 1e-12,
  );
}

/** How one setting's comparison of a method with a reference came out. */
export type Closeness = 'close' | 'far' | 'undecided';

/**
 * A method against a reference in one setting, by the paired interval of reference minus
 * method: close when the whole interval is at or below `margin`, far when it is wholly above.
 * At chance counts as failure: a method at chance while the reference learned is far; both at
 * chance is a tie that decides nothing (undecided).
 */
export function closeness(
  gap: Interval,
  means: { reference: number; method: number },
  margin: number,
  chanceMargin: number,
): Closeness {
  const referenceLearned = !atChance(means.reference, chanceMargin);
  const methodLearned = !atChance(means.method, chanceMargin);
  if (!referenceLearned && !methodLearned) return 'undecided';
  if (referenceLearned && !methodLearned) return 'far';
  if (gap.high <= margin) return 'close';
  if (gap.low > margin) return 'far';
  return 'undecided';
}

/**
 * A claim that something holds in at least `share` of the settings, decided from the settings
 * where it is decided: supported when the settings where it holds reach the share; not
 * supported when the settings where it fails leave too few to reach it even if every
 * undecided one held; inconclusive otherwise.
 */
export function shareOutcome(holds: number, fails: number, settings: number, share: number): Outcome {
  const needed = Math.ceil(share * settings - 1e-9);
  if (settings === 0) return 'inconclusive';
  if (holds >= needed) return 'supported';
  if (settings - fails < needed) return 'not supported';
  return 'inconclusive';
}

/** Counts of a per-setting classification. */
export function countCloseness(values: readonly Closeness[]): Record<Closeness, number> {
  return {
    close: values.filter((v) => v === 'close').length,
    far: values.filter((v) => v === 'far').length,
    undecided: values.filter((v) => v === 'undecided').length,
  };
}

/** CSV columns `<prefix>_mean`, `<prefix>_low`, `<prefix>_high` of an interval. */
export function intervalColumns(prefix: string, interval: Interval): Record<string, number> {
  return { [`${prefix}_mean`]: interval.estimate, [`${prefix}_low`]: interval.low, [`${prefix}_high`]: interval.high };
}
