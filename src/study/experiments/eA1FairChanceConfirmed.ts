/**
 * Experiment A1: the betas experiment A chose, on fresh seeds. At every loss scale the beta of
 * no-lr-momentum with the best mean validation accuracy runs again on the final seeds (which no
 * choice used), evaluated on the test split: its test accuracy is the reported number, and the
 * validation accuracy that chose it is shown beside it, labelled as the selection it was.
 * Picking the best of several betas on the seeds that judge it is optimistic; these runs are not.
 */
import { BREADTH } from '../breadthPreset.js';
import { runsOf } from '../breadthRuns.js';
import { intervalColumns } from '../atlasAnalysis.js';
import type { CsvRow } from '../context.js';
import { defineExperiment, type AnalysisInputs, type ChosenValue, type PlanInputs } from '../experiment.js';
import type { StudyPreset } from '../presets.js';
import { accuracyInterval, divergedCount, groupBySetting, type SettingRuns } from '../seedGroups.js';
import { claimPValue, decideInterval, formatInterval, type Interval } from '../../util/intervals.js';
import type { RunOutcome, StudyRun } from '../../exec/runBatch.js';
import { verdict } from '../verdict.js';
import { formatNumber as num, formatPercent as pct } from '../../util/format.js';
import { setting } from './eAFairChance.js';

export const ID = 'experiment-a-no-lr-fair-chance-confirmed';

function chosenBeta(inputs: PlanInputs, scale: number): ChosenValue {
  if (!inputs.tuned.fairChanceBeta) throw new Error('Experiment A1 plans after A: no beta chosen yet');
  return inputs.tuned.fairChanceBeta(scale);
}

/** One run per final seed of the chosen beta at every loss scale: as many runs whatever the choice. */
export function plan(preset: StudyPreset, inputs: PlanInputs): StudyRun[] {
  return BREADTH[preset.name].scales.flatMap((scale) =>
    runsOf(preset, ID, setting('ema', chosenBeta(inputs, scale).value, scale, 'eA1'), 'final'),
  );
}

export interface Confirmation {
  scale: number;
  /** The choice on the validation split (experiment A), with the validation accuracy that made it. */
  choice: ChosenValue;
  /** The chosen beta on the final seeds, evaluated on the test split. */
  runs: SettingRuns;
  accuracy: Interval;
  diverged: number;
}

export interface Numbers {
  learnedAccuracy: number;
  confirmations: Confirmation[];
}

export function analyse(outcomes: readonly RunOutcome[], inputs: AnalysisInputs): Numbers {
  const byScale = groupBySetting(outcomes, (o) => String(o.run.config.lossScale));
  return {
    learnedAccuracy: inputs.preset.learnedAccuracy,
    confirmations: BREADTH[inputs.preset.name].scales.map((scale) => {
      const runs = byScale.get(String(scale))!;
      return {
        scale,
        choice: chosenBeta(inputs.plan, scale),
        runs,
        accuracy: accuracyInterval(runs),
        diverged: divergedCount(runs),
      };
    }),
  };
}

const showAccuracy = (i: Interval) => formatInterval(i, pct);

/** The chosen beta, with the betas it was tied with on the validation split. */
export function choiceText(choice: ChosenValue): string {
  const others = choice.tied.filter((beta) => beta !== choice.value);
  if (choice.tie === 'at chance')
    return `${choice.value} (every beta at chance on validation, ${others.join(', ')} too)`;
  if (choice.tie === 'overlapping') return `${choice.value} (tied on validation with ${others.join(', ')})`;
  return String(choice.value);
}

/**
 * Decided on the confirmed numbers: the claim is that a beta learns at the largest scale, an
 * accuracy of the chosen setting, so it is read off the fresh seeds on the test split (the
 * validation accuracy that chose the beta is the best of several on the same seeds, biased up).
 */
function rescueVerdict(n: Numbers) {
  const top = n.confirmations.reduce((a, b) => (b.scale > a.scale ? b : a));
  return verdict(
    'eA.rescue-large-scale',
    `beta chosen at s=${num(top.scale)}: ${choiceText(top.choice)}, validation (selection) accuracy ${showAccuracy(top.choice.validation)}; ` +
      `test accuracy on ${top.runs.seeds.length} fresh seeds ${showAccuracy(top.accuracy)} (learned = ${pct(n.learnedAccuracy)}); diverged ${top.diverged}/${top.runs.seeds.length}`,
    decideInterval(top.accuracy, 'above', n.learnedAccuracy),
    claimPValue({ interval: top.accuracy, side: 'above', bound: n.learnedAccuracy }),
  );
}

function verdicts(n: Numbers) {
  return [rescueVerdict(n)];
}

function table(n: Numbers): CsvRow[] {
  return n.confirmations.map((c) => ({
    loss_scale: c.scale,
    chosen_beta: c.choice.value,
    tied_betas: c.choice.tied.join(' '),
    tie: c.choice.tie ?? '',
    ...intervalColumns('selection_validation_accuracy', c.choice.validation),
    seeds: c.runs.seeds.length,
    ...intervalColumns('test_accuracy', c.accuracy),
    diverged: c.diverged,
  }));
}

function section(n: Numbers) {
  return {
    text: [
      'At every loss scale, the beta experiment A chose (best mean validation accuracy) runs again on fresh seeds, evaluated on the test split. ' +
        'The test accuracy is the reported number; the validation accuracy that made the choice is shown beside it as "validation (selection)".',
    ],
    tables: [
      {
        caption:
          'no-lr-momentum at the chosen beta: test accuracy on fresh seeds, mean [95% logit-t interval] (n seeds), and the validation (selection) accuracy that chose it',
        columns: ['loss scale s', 'chosen beta', 'test accuracy (fresh seeds)', 'validation (selection)', 'diverged'],
        rows: n.confirmations.map((c) => [
          num(c.scale),
          choiceText(c.choice),
          showAccuracy(c.accuracy),
          showAccuracy(c.choice.validation),
          `${c.diverged}/${c.runs.seeds.length}`,
        ]),
      },
    ],
  };
}

// The parts every experiment declares, in the one shape of defineExperiment.
export const fairChanceConfirmed = defineExperiment<Numbers>({
  id: ID,
  title: 'A1. A fair chance for no learning rate: the chosen betas on fresh seeds',
  plan,
  analyse,
  verdicts,
  section,
  table,
});
