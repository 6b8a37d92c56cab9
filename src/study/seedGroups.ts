/**
 * Runs of one setting (everything fixed but the seed), gathered across seeds so experiments
 * compare settings by intervals, not single runs. Seeds pair runs across settings: the same
 * seed gives the same initial weights and data order, so differences are taken per seed.
 */
import { fractionInterval, pairedDifferences, tInterval, type Interval } from '../util/intervals.js';
import type { RunOutcome } from '../exec/runBatch.js';

export interface SettingRuns {
  key: string;
  seeds: number[];
  /** Final held-out accuracy per seed (a diverged run keeps the accuracy its last weights give). */
  accuracies: number[];
  diverged: boolean[];
  /** The step of divergence per seed, null for a run that did not diverge. */
  divergedAt: (number | null)[];
  steps: number[];
}

/**
 * The accuracy a run reports on its held-out split: the test split for final runs, the
 * validation split for runs that choose hyperparameters.
 */
export function heldOutAccuracy(outcome: RunOutcome): number {
  return outcome.run.config.validation?.evaluate === 'validation'
    ? outcome.finalValidationAccuracy
    : outcome.finalTestAccuracy;
}

/** Groups outcomes by `key` (first appearance order), each group sorted by seed. */
export function groupBySetting(
  outcomes: readonly RunOutcome[],
  key: (outcome: RunOutcome) => string,
): Map<string, SettingRuns> {
  const groups = new Map<string, RunOutcome[]>();
  for (const outcome of outcomes) {
    const k = key(outcome);
    groups.set(k, [...(groups.get(k) ?? []), outcome]);
  }
  return new Map(
    [...groups].map(([k, runs]) => {
      const sorted = [...runs].sort((a, b) => a.run.config.seed - b.run.config.seed);
      return [
        k,
        {
          key: k,
          seeds: sorted.map((o) => o.run.config.seed),
          accuracies: sorted.map(heldOutAccuracy),
          diverged: sorted.map((o) => o.status === 'diverged'),
          divergedAt: sorted.map((o) => o.divergedAtStep),
          steps: sorted.map((o) => o.steps),
        },
      ];
    }),
  );
}

/** Mean accuracy with its 95% logit-t interval (inside [0, 1]). */
export function accuracyInterval(runs: SettingRuns): Interval {
  return fractionInterval(runs.accuracies);
}

/** Per-seed accuracy of `a` minus `b` (same seeds), with its t interval. */
export function pairedGain(a: SettingRuns, b: SettingRuns): Interval {
  if (a.seeds.join() !== b.seeds.join()) throw new Error(`Settings ${a.key} and ${b.key} ran different seeds`);
  return tInterval(pairedDifferences(a.accuracies, b.accuracies));
}

export function divergedCount(runs: SettingRuns): number {
  return runs.diverged.filter(Boolean).length;
}

/** The CSV columns of one setting's runs: seeds, mean test accuracy with its 95% t interval, diverged runs. */
export function accuracyColumns(runs: SettingRuns) {
  const accuracy = accuracyInterval(runs);
  return {
    seeds: runs.seeds.length,
    test_accuracy_mean: accuracy.estimate,
    test_accuracy_low: accuracy.low,
    test_accuracy_high: accuracy.high,
    diverged: divergedCount(runs),
  };
}

/** The setting with the highest mean accuracy (first on ties): for tuning, never for a verdict (see chooseSetting). */
export function bestSetting(settings: readonly SettingRuns[]): SettingRuns {
  return settings.reduce((best, s) => (accuracyInterval(s).estimate > accuracyInterval(best).estimate ? s : best));
}

/** Accuracy of a model that learned nothing: every dataset of the study has ten balanced classes. */
export const CHANCE_ACCURACY = 0.1;

/** True when an accuracy is within `margin` of chance (or below it): nothing was learned. */
export function atChance(accuracy: number, margin: number): boolean {
  return !(accuracy > CHANCE_ACCURACY + margin);
}

/**
 * The best setting for a verdict, with the settings it cannot be told apart from. `tied` holds
 * the best and every setting whose paired gap to it (same seeds) has a 95% interval reaching 0,
 * or whose interval overlaps the best's when the seeds differ; when every setting is at chance
 * they are all tied. A verdict that names "the best" must treat a tie as no winner.
 */
export interface Choice {
  best: SettingRuns;
  tied: SettingRuns[];
  /** Why there is no single winner: 'at chance' (nothing learned anywhere), 'overlapping', or null. */
  tie: 'at chance' | 'overlapping' | null;
}

function indistinguishable(best: SettingRuns, other: SettingRuns): boolean {
  if (best.seeds.join() === other.seeds.join()) {
    const gap = pairedGain(best, other);
    return !(gap.low > 0);
  }
  const [a, b] = [accuracyInterval(best), accuracyInterval(other)];
  return !(a.low > b.high);
}

export function chooseSetting(settings: readonly SettingRuns[], chanceMargin: number): Choice {
  const best = bestSetting(settings);
  if (settings.every((s) => atChance(accuracyInterval(s).estimate, chanceMargin))) {
    return { best, tied: [...settings], tie: settings.length > 1 ? 'at chance' : null };
  }
  const tied = settings.filter((s) => s === best || indistinguishable(best, s));
  return { best, tied, tie: tied.length > 1 ? 'overlapping' : null };
}
