/**
 * Experiment B: adaptive methods across loss scales. adam and rmsprop divide the gradient by
 * a running estimate of its own size, so multiplying the loss by s changes almost nothing
 * (until epsilon matters): the "outcome depends on the scale" criterion of experiment 2 must
 * come out not supported here, its negative control. And adam at alpha = 1 still fails: with
 * the gradient's size normalised away, alpha is the step in weight units, and it still has to
 * be chosen.
 */
import { lineChart } from '../../plot/chart.js';
import { BREADTH } from '../breadthPreset.js';
import { runsOf, scaleId } from '../breadthRuns.js';
import { idNumber, type CsvRow } from '../context.js';
import { bounds } from '../criteria.js';
import { defineExperiment, type AnalysisInputs, type FigureSpec, type PlanInputs } from '../experiment.js';
import type { StudyPreset } from '../presets.js';
import { accuracyColumns, accuracyInterval, groupBySetting, pairedGain, type SettingRuns } from '../seedGroups.js';
import {
  claimPValue,
  decideInterval,
  formatInterval,
  type Interval,
  type Outcome,
  tInterval,
} from '../../util/intervals.js';
import type { RunOutcome, StudyRun } from '../../exec/runBatch.js';
import { verdict } from '../verdict.js';
import { formatNumber as num, formatPercent as pct } from '../../util/format.js';
import { ADAPTIVE_KINDS } from './eB0AdaptiveTuning.js';

export const ID = 'experiment-b-adaptive-scales';
type AdaptiveKind = (typeof ADAPTIVE_KINDS)[number];

export function plan(preset: StudyPreset, inputs: PlanInputs): StudyRun[] {
  const tunedRuns = ADAPTIVE_KINDS.flatMap((kind) => {
    const learningRate = inputs.tuned.learningRate(kind, 0);
    return BREADTH[preset.name].scales.flatMap((scale) =>
      runsOf(
        preset,
        ID,
        {
          id: `eB-${kind}-tuned-lr${idNumber(learningRate)}-${scaleId(scale)}`,
          optimizer: { kind, learningRate },
          overrides: { lossScale: scale },
        },
        'final',
      ),
    );
  });
  const unitRate = runsOf(preset, ID, { id: 'eB-adam-lr1-s1', optimizer: { kind: 'adam', learningRate: 1 } }, 'final');
  return [...tunedRuns, ...unitRate];
}

export interface ScaleSweep {
  kind: AdaptiveKind;
  learningRate: number;
  /** Runs per loss scale, in the order of `scales`. */
  byScale: SettingRuns[];
  /** Per-seed largest minus smallest test accuracy across the scales. */
  swing: Interval;
  diverged: number;
}

export interface Numbers {
  scales: number[];
  sweeps: ScaleSweep[];
  /** adam at its tuned alpha minus adam at alpha = 1, s = 1, per seed. */
  unitRateLoss: Interval;
  unitRate: SettingRuns;
}

function key(o: RunOutcome): string {
  const spec = o.run.config.optimizer as { kind: string; learningRate: number };
  return `${o.run.id.includes('-tuned-') ? 'tuned' : 'fixed'}|${spec.kind}|${o.run.config.lossScale}`;
}

/** Per seed: max - min over the settings (same seeds in each). */
export function swingOf(byScale: readonly SettingRuns[]): Interval {
  const seeds = byScale[0].seeds.length;
  const perSeed = Array.from({ length: seeds }, (_, i) => {
    const values = byScale.map((s) => s.accuracies[i]);
    return Math.max(...values) - Math.min(...values);
  });
  return tInterval(perSeed);
}

export function analyse(outcomes: readonly RunOutcome[], inputs: AnalysisInputs): Numbers {
  const scales = BREADTH[inputs.preset.name].scales;
  const groups = groupBySetting(outcomes, key);
  const sweeps = ADAPTIVE_KINDS.map((kind) => {
    const byScale = scales.map((s) => groups.get(`tuned|${kind}|${s}`)!);
    return {
      kind,
      learningRate: inputs.plan.tuned.learningRate(kind, 0),
      byScale,
      swing: swingOf(byScale),
      diverged: byScale.reduce((sum, s) => sum + s.diverged.filter(Boolean).length, 0),
    };
  });
  const unitRate = groups.get('fixed|adam|1')!;
  const adamAtOne = sweeps[0].byScale[scales.indexOf(1)];
  return { scales, sweeps, unitRate, unitRateLoss: pairedGain(adamAtOne, unitRate) };
}

/** The rule of e2.scale-dependence on an interval: divergence or a swing above the bound. */
export function dependence(swing: Interval, diverged: number, bound: number): Outcome {
  return diverged > 0 ? 'supported' : decideInterval(swing, 'above', bound);
}

function verdicts(n: Numbers) {
  const controls = n.sweeps.map((sweep) => {
    const id = `eB.scale-dependence-${sweep.kind}`;
    return verdict(
      id,
      `${sweep.kind} at alpha = ${num(sweep.learningRate)}: test accuracy ${n.scales.map((s, i) => `s=${num(s)}: ${formatInterval(accuracyInterval(sweep.byScale[i]), pct)}`).join('; ')}; per-seed swing ${formatInterval(sweep.swing, pct)}; ${sweep.diverged} runs diverged`,
      dependence(sweep.swing, sweep.diverged, bounds(id).swing),
    );
  });
  const unit = verdict(
    'eB.adam-needs-rate',
    `adam at s = 1: alpha = ${num(n.sweeps[0].learningRate)} minus alpha = 1, per seed ${formatInterval(n.unitRateLoss, pct)} (alpha = 1: ${formatInterval(accuracyInterval(n.unitRate), pct)}, ${n.unitRate.diverged.filter(Boolean).length} diverged)`,
    decideInterval(n.unitRateLoss, 'above', bounds('eB.adam-needs-rate').gap),
    claimPValue({ interval: n.unitRateLoss, side: 'above', bound: bounds('eB.adam-needs-rate').gap }),
  );
  return [...controls, unit];
}

/**
 * The figure `<id>-accuracy`: mean test accuracy (over seeds) at each loss scale against log2
 * of the scale, one line a series; the chart of every experiment that runs optimizers across
 * loss scales.
 */
export function accuracyAcrossScales(
  id: string,
  series: readonly { label: string; byScale: readonly SettingRuns[] }[],
  scales: readonly number[],
  text: { title: string; caption: string },
): FigureSpec {
  const points = series.flatMap((line) =>
    line.byScale.map((runs, i) => {
      const accuracy = accuracyInterval(runs);
      return {
        log2s: Math.log2(scales[i]),
        accuracy: accuracy.estimate,
        low: accuracy.low,
        high: accuracy.high,
        optimizer: line.label,
      };
    }),
  );
  const spec = lineChart(points, {
    title: text.title,
    x: { field: 'log2s', title: 'log2 of the loss scale s' },
    y: { field: 'accuracy', title: 'test accuracy' },
    color: { field: 'optimizer', title: '' },
    band: { low: 'low', high: 'high' },
  });
  return {
    name: `${id}-accuracy`,
    caption: `${text.caption} Bands: 95% logit-t intervals over seeds.`,
    spec,
  };
}

function figures(n: Numbers) {
  const series = n.sweeps.map((sweep) => ({
    label: `${sweep.kind}, alpha = ${num(sweep.learningRate)}`,
    byScale: sweep.byScale,
  }));
  return [
    accuracyAcrossScales(ID, series, n.scales, {
      title: 'Adaptive methods ignore the scale of the loss',
      caption:
        'Test accuracy (mean over seeds) of adam and rmsprop at a fixed tuned alpha against the loss scale: flat, unlike no-lr-momentum in experiment 2.',
    }),
  ];
}

function table(n: Numbers): CsvRow[] {
  const rows = n.sweeps.flatMap((sweep) =>
    sweep.byScale.map((runs, i) => ({
      optimizer: sweep.kind,
      learning_rate: sweep.learningRate,
      loss_scale: n.scales[i],
      runs,
    })),
  );
  return [...rows, { optimizer: 'adam', learning_rate: 1, loss_scale: 1, runs: n.unitRate }].map((r) => ({
    optimizer: r.optimizer,
    learning_rate: r.learning_rate,
    loss_scale: r.loss_scale,
    ...accuracyColumns(r.runs),
  }));
}

function section(n: Numbers) {
  return {
    text: [
      'Adam (w -= alpha m_hat / (sqrt(v_hat) + eps)) and RMSprop (w -= alpha g / (sqrt(v) + eps)) divide the gradient by a running estimate of its own size. Multiplying the loss by s multiplies both by s, so the update does not change until eps (1e-8) becomes comparable to the gradient. ' +
        'Experiment 2\'s "the outcome depends on the loss scale" is judged here by the same rule: it must come out not supported, or the criterion would be unable to tell a scale-dependent optimizer from an invariant one.',
      'What normalisation cannot remove is the size of the step in weight units: that is alpha itself. Adam at alpha = 1 moves every weight by about 1 per step.',
    ],
    tables: [
      {
        caption: 'Test accuracy, mean [95% t interval] (n seeds), at the tuned alpha',
        columns: ['loss scale s', ...n.sweeps.map((s) => `${s.kind}, alpha = ${num(s.learningRate)}`)],
        rows: n.scales.map((scale, i) => [
          num(scale),
          ...n.sweeps.map((s) => formatInterval(accuracyInterval(s.byScale[i]), pct)),
        ]),
      },
    ],
  };
}

// The parts every experiment declares, in the one shape of defineExperiment.
export const adaptiveScales = defineExperiment<Numbers>({
  id: ID,
  title: 'B. Adaptive methods across loss scales',
  plan,
  analyse,
  verdicts,
  figures,
  section,
  table,
});
