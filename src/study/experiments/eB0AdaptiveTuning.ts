/**
 * The learning rates of adam and rmsprop for experiments B and C, chosen on the validation
 * split at s = 1 from a small sweep (the selection seeds; the experiments that use them report
 * on the test split with other seeds). It decides nothing itself, so it has no verdicts.
 */
import { BREADTH } from '../breadthPreset.js';
import { runsOf } from '../breadthRuns.js';
import { idNumber, type CsvRow } from '../context.js';
import { defineExperiment, type AnalysisInputs, type Tuning } from '../experiment.js';
import type { StudyPreset } from '../presets.js';
import { accuracyInterval, bestSetting, groupBySetting, type SettingRuns } from '../seedGroups.js';
import { formatInterval } from '../../util/intervals.js';
import type { RunOutcome, StudyRun } from '../../exec/runBatch.js';
import { formatNumber as num, formatPercent as pct } from '../../util/format.js';

export const ID = 'experiment-b-0-adaptive-tuning';
export const ADAPTIVE_KINDS = ['adam', 'rmsprop'] as const;
type AdaptiveKind = (typeof ADAPTIVE_KINDS)[number];

export function plan(preset: StudyPreset): StudyRun[] {
  return ADAPTIVE_KINDS.flatMap((kind) =>
    BREADTH[preset.name].adaptiveRates.flatMap((learningRate) =>
      runsOf(
        preset,
        ID,
        { id: `eB0-${kind}-lr${idNumber(learningRate)}`, optimizer: { kind, learningRate } },
        'selection',
      ),
    ),
  );
}

export interface Numbers {
  rows: { kind: AdaptiveKind; learningRate: number; runs: SettingRuns }[];
  chosen: Record<AdaptiveKind, number>;
  /** The rates chosen before this experiment (the grid's), passed on unchanged. */
  previous: Tuning;
}

export function analyse(outcomes: readonly RunOutcome[], inputs: AnalysisInputs): Numbers {
  const groups = groupBySetting(outcomes, (o) => {
    const spec = o.run.config.optimizer as { kind: AdaptiveKind; learningRate: number };
    return `${spec.kind}|${spec.learningRate}`;
  });
  const rows = [...groups.values()].map((runs) => {
    const [kind, learningRate] = runs.key.split('|');
    return { kind: kind as AdaptiveKind, learningRate: Number(learningRate), runs };
  });
  const choose = (kind: AdaptiveKind) => {
    const mine = rows.filter((r) => r.kind === kind);
    const best = bestSetting(mine.map((r) => r.runs));
    return mine.find((r) => r.runs === best)!.learningRate;
  };
  return { rows, chosen: { adam: choose('adam'), rmsprop: choose('rmsprop') }, previous: inputs.plan.tuned };
}

export function tuned(n: Numbers): Tuning {
  return {
    ...n.previous,
    learningRate: (kind, momentum) =>
      (ADAPTIVE_KINDS as readonly string[]).includes(kind)
        ? n.chosen[kind as AdaptiveKind]
        : n.previous.learningRate(kind, momentum),
  };
}

function table(n: Numbers): CsvRow[] {
  return n.rows.map((r) => {
    const accuracy = accuracyInterval(r.runs);
    return {
      optimizer: r.kind,
      learning_rate: r.learningRate,
      seeds: r.runs.seeds.length,
      validation_accuracy_mean: accuracy.estimate,
      validation_accuracy_low: accuracy.low,
      validation_accuracy_high: accuracy.high,
      chosen: n.chosen[r.kind] === r.learningRate,
    };
  });
}

function section(n: Numbers) {
  return {
    text: [
      `adam and rmsprop get a learning-rate sweep at s = 1 on the validation split; the best mean accuracy chooses the rate experiments B and C use (adam ${num(n.chosen.adam)}, rmsprop ${num(n.chosen.rmsprop)}).`,
    ],
    tables: [
      {
        caption: 'Validation accuracy, mean [95% t interval] (n seeds)',
        columns: ['optimizer', 'learning rate', 'validation accuracy', 'chosen'],
        rows: n.rows.map((r) => [
          r.kind,
          num(r.learningRate),
          formatInterval(accuracyInterval(r.runs), pct),
          n.chosen[r.kind] === r.learningRate ? 'yes' : '',
        ]),
      },
    ],
  };
}

// The parts every experiment declares, in the one shape of defineExperiment.
export const adaptiveTuning = defineExperiment<Numbers>({
  id: ID,
  title: 'B0. Learning rates of adam and rmsprop (chosen on the validation split)',
  plan: (preset) => plan(preset),
  analyse,
  verdicts: () => [],
  section,
  table,
  tuned,
});
