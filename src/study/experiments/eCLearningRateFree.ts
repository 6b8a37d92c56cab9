/**
 * Experiment C: learning-rate-free methods. Polyak's step (f - fMin) g / |g|^2 and Prodigy's
 * running estimate d of the distance to the solution supply the step in weight units that a
 * learning rate otherwise supplies. Both against sgd, heavy-ball and adam at their tuned
 * rates (validation split), reported on the test split, and both across loss scales.
 */
import type { TrainOptimizerSpec } from '../../train/config.js';
import { BREADTH } from '../breadthPreset.js';
import { runsOf, scaleId, type Setting } from '../breadthRuns.js';
import { idNumber, type CsvRow } from '../context.js';
import { bounds } from '../criteria.js';
import { defineExperiment, type AnalysisInputs, type PlanInputs } from '../experiment.js';
import type { StudyPreset } from '../presets.js';
import { accuracyColumns, accuracyInterval, groupBySetting, type SettingRuns } from '../seedGroups.js';
import { allClaimsPValue, allOf, decideInterval, formatInterval, type Interval } from '../../util/intervals.js';
import type { RunOutcome, StudyRun } from '../../exec/runBatch.js';
import { verdict } from '../verdict.js';
import { formatNumber as num, formatPercent as pct } from '../../util/format.js';
import { accuracyAcrossScales, dependence, swingOf } from './eBAdaptiveScales.js';

export const ID = 'experiment-c-learning-rate-free';
const FREE_KINDS = ['polyak', 'prodigy'] as const;
/**
 * Polyak's cap on its step size gamma. At s = 1 gamma = f / |g|^2 is of order 1; it grows like
 * 1 / s, so the cap sits far above anything the smallest scale (2^-7) needs: the method stays
 * free of a learning rate and its invariance to s is not cut off by the cap.
 */
export const POLYAK_MAX_RATE = 1e4;
const HEAVY_BALL_MOMENTUM = 0.9;

function freeSpec(kind: (typeof FREE_KINDS)[number]): TrainOptimizerSpec {
  return kind === 'polyak' ? { kind, maxLearningRate: POLYAK_MAX_RATE, fMin: 0 } : { kind };
}

function baselines(inputs: PlanInputs): Setting[] {
  const sgd = inputs.tuned.learningRate('heavy-ball', 0);
  const heavy = inputs.tuned.learningRate('heavy-ball', HEAVY_BALL_MOMENTUM);
  const adam = inputs.tuned.learningRate('adam', 0);
  return [
    { id: `eC-sgd-lr${idNumber(sgd)}`, optimizer: { kind: 'sgd', learningRate: sgd } },
    {
      id: `eC-heavy-ball-lr${idNumber(heavy)}-mu${HEAVY_BALL_MOMENTUM}`,
      optimizer: { kind: 'heavy-ball', learningRate: heavy, momentum: HEAVY_BALL_MOMENTUM },
    },
    { id: `eC-adam-lr${idNumber(adam)}`, optimizer: { kind: 'adam', learningRate: adam } },
  ];
}

export function plan(preset: StudyPreset, inputs: PlanInputs): StudyRun[] {
  const free = FREE_KINDS.flatMap((kind) =>
    BREADTH[preset.name].scales.map((scale) => ({
      id: `eC-${kind}-${scaleId(scale)}`,
      optimizer: freeSpec(kind),
      overrides: { lossScale: scale },
    })),
  );
  return [...free, ...baselines(inputs)].flatMap((setting) => runsOf(preset, ID, setting, 'final'));
}

export interface Numbers {
  scales: number[];
  free: { kind: string; byScale: SettingRuns[]; swing: Interval; diverged: number }[];
  baselines: { label: string; runs: SettingRuns }[];
}

function label(o: RunOutcome): string {
  const spec = o.run.config.optimizer as { kind: string; learningRate?: number; momentum?: number };
  const rate = spec.learningRate === undefined ? '' : `, alpha = ${num(spec.learningRate)}`;
  return `${spec.kind}${rate}${spec.momentum === undefined ? '' : `, mu = ${spec.momentum}`}|${o.run.config.lossScale}`;
}

export function analyse(outcomes: readonly RunOutcome[], inputs: AnalysisInputs): Numbers {
  const scales = BREADTH[inputs.preset.name].scales;
  const groups = groupBySetting(outcomes, label);
  const free = FREE_KINDS.map((kind) => {
    const byScale = scales.map((s) => [...groups.values()].find((g) => g.key === `${kind}|${s}`)!);
    return {
      kind,
      byScale,
      swing: swingOf(byScale),
      diverged: byScale.reduce((sum, s) => sum + s.diverged.filter(Boolean).length, 0),
    };
  });
  const baselineRuns = [...groups.values()].filter((g) => !FREE_KINDS.some((k) => g.key.startsWith(`${k}|`)));
  return { scales, free, baselines: baselineRuns.map((runs) => ({ label: runs.key.split('|')[0], runs })) };
}

function atUnitScale(n: Numbers, kind: string): SettingRuns {
  return n.free.find((f) => f.kind === kind)!.byScale[n.scales.indexOf(1)];
}

function learnsVerdict(n: Numbers) {
  const sgd = accuracyInterval(n.baselines.find((b) => b.label.startsWith('sgd'))!.runs);
  const floor = sgd.estimate - bounds('eC.lr-free-learns').gap;
  const free = FREE_KINDS.map((kind) => ({ kind, accuracy: accuracyInterval(atUnitScale(n, kind)) }));
  return verdict(
    'eC.lr-free-learns',
    `s = 1: ${free.map((f) => `${f.kind} ${formatInterval(f.accuracy, pct)}`).join(', ')}; sgd at its tuned alpha ${formatInterval(sgd, pct)}, so the floor is ${pct(floor)}`,
    allOf(free.map((f) => decideInterval(f.accuracy, 'above', floor))),
    allClaimsPValue(free.map((f) => ({ interval: f.accuracy, side: 'above', bound: floor }))),
  );
}

function invariantVerdict(n: Numbers) {
  const bound = bounds('eC.lr-free-invariant').swing;
  // Invariance is the negation of the dependence rule: supported when the dependence is refuted.
  const outcomes = n.free.map((f) => dependence(f.swing, f.diverged, bound));
  const inverted = outcomes.map((o) => (o === 'supported' ? 'not supported' : o === 'not supported' ? 'supported' : o));
  return verdict(
    'eC.lr-free-invariant',
    n.free
      .map((f) => `${f.kind}: per-seed swing ${formatInterval(f.swing, pct)}, ${f.diverged} runs diverged`)
      .join('; '),
    allOf(inverted),
  );
}

function verdicts(n: Numbers) {
  return [learnsVerdict(n), invariantVerdict(n)];
}

function figures(n: Numbers) {
  // Experiment B's figure (accuracyAcrossScales), for the methods without a learning rate.
  const series = n.free.map((f) => ({ label: f.kind, byScale: f.byScale }));
  return [
    accuracyAcrossScales(ID, series, n.scales, {
      title: 'Learning-rate-free methods across loss scales',
      caption:
        'Test accuracy (mean over seeds) of Polyak (fMin = 0) and Prodigy, with no learning rate, against the loss scale.',
    }),
  ];
}

function table(n: Numbers): CsvRow[] {
  const free = n.free.flatMap((f) => f.byScale.map((runs, i) => ({ label: f.kind, scale: n.scales[i], runs })));
  const base = n.baselines.map((b) => ({ label: b.label, scale: 1, runs: b.runs }));
  return [...free, ...base].map((r) => ({ optimizer: r.label, loss_scale: r.scale, ...accuracyColumns(r.runs) }));
}

function section(n: Numbers) {
  return {
    text: [
      "If a dimensionless momentum coefficient cannot supply the step in weight units, something else must. Polyak's step size (f - fMin) / |g|^2 (fMin = 0, capped at " +
        `${POLYAK_MAX_RATE}) turns the loss value itself into a distance; Prodigy (learning rate 1, its default) estimates the distance to the solution, d, from how far the weights have moved against the gradients. Neither has a learning rate to tune; both are compared with sgd, heavy-ball and adam at their tuned rates (s = 1), and run at every loss scale.`,
    ],
    tables: [
      {
        caption: 'Test accuracy, mean [95% t interval] (n seeds)',
        columns: ['optimizer', ...n.scales.map((s) => `s = ${num(s)}`)],
        rows: [
          ...n.free.map((f) => [f.kind, ...f.byScale.map((runs) => formatInterval(accuracyInterval(runs), pct))]),
          ...n.baselines.map((b) => [
            `${b.label} (tuned)`,
            ...n.scales.map((s) => (s === 1 ? formatInterval(accuracyInterval(b.runs), pct) : '')),
          ]),
        ],
      },
    ],
  };
}

// The parts every experiment declares, in the one shape of defineExperiment.
export const learningRateFree = defineExperiment<Numbers>({
  id: ID,
  title: 'C. Learning-rate-free methods',
  plan,
  analyse,
  verdicts,
  figures,
  section,
  table,
});
