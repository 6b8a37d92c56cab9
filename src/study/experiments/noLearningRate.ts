/**
 * Experiment 2: can momentum replace the learning rate? `no-lr-momentum` (w -= v with
 * v = beta v + (1 - beta) g) against `ema-momentum` with a tuned alpha, with the loss
 * multiplied by s. The velocity averages gradients, so it is measured in gradient units:
 * scaling the loss scales v and so every step, unless a learning rate converts units.
 * With alpha * s held constant the EMA form takes exactly the same steps.
 */
import { lineChart } from '../../plot/chart.js';
import { bounds } from '../criteria.js';
import { baseConfig, idNumber, type CsvRow } from '../context.js';
import { defineExperiment, type PlanInputs } from '../experiment.js';
import type { StudyPreset } from '../presets.js';
import { series, type RunOutcome, type StudyRun } from '../sweep.js';
import { median } from '../../util/stats.js';
import { num, pct, verdict } from '../verdict.js';

export const ID = 'experiment-2-no-learning-rate';
export const BETA = 0.9;

export function plan(preset: StudyPreset, inputs: PlanInputs): StudyRun[] {
  const tunedAlpha = inputs.tuned.learningRate('ema-momentum', BETA);
  return preset.lossScales.flatMap((s) => [
    {
      id: `e2-no-lr-momentum-s${idNumber(s)}`,
      experiment: ID,
      config: baseConfig(preset, { kind: 'no-lr-momentum', momentum: BETA }, { lossScale: s, normEvery: 1 }),
    },
    {
      id: `e2-ema-momentum-alpha${idNumber(tunedAlpha)}-s${idNumber(s)}`,
      experiment: ID,
      config: baseConfig(
        preset,
        { kind: 'ema-momentum', learningRate: tunedAlpha / s, momentum: BETA },
        { lossScale: s },
      ),
    },
  ]);
}

export interface Norms {
  velocity: number;
  gradient: number;
  ratio: number;
  /** Steps the medians are taken over (all measured steps before any divergence). */
  steps: number;
}

/**
 * Medians of |v|, |g| (of the scaled loss) and |v| / |g| over the measured steps, before the
 * run diverged (what comes after is overflow, not dynamics).
 */
export function norms(outcome: RunOutcome): Norms {
  const last = outcome.divergedAtStep === null ? Infinity : outcome.divergedAtStep - 1;
  const gradients = new Map(series(outcome.rows, 'train', 'grad_norm').map((row) => [row.step, row.value]));
  const velocity = series(outcome.rows, 'train', 'velocity_norm').filter(
    (row) => row.step <= last && Number.isFinite(row.value) && Number.isFinite(gradients.get(row.step) ?? NaN),
  );
  return {
    velocity: median(velocity.map((row) => row.value)),
    gradient: median(velocity.map((row) => gradients.get(row.step) as number)),
    ratio: median(velocity.map((row) => row.value / (gradients.get(row.step) as number))),
    steps: velocity.length,
  };
}

function maxRelativeDifference(a: readonly number[], b: readonly number[]): number {
  let worst = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++)
    worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.abs(b[i]));
  return a.length === b.length ? worst : Infinity;
}

export interface ScaleRun {
  optimizer: 'no-lr-momentum' | 'ema-momentum';
  scale: number;
  learningRate: number;
  finalTestAccuracy: number;
  finalTestLoss: number;
  diverged: boolean;
  divergedAtStep: number | null;
  testLosses: number[];
  norms: Norms;
  curve: { step: number; loss: number }[];
  normCurve: { step: number; velocity: number; gradient: number }[];
}

export interface Numbers {
  tunedAlpha: number;
  scales: number[];
  noLr: ScaleRun[];
  ema: ScaleRun[];
}

function scaleRun(o: RunOutcome): ScaleRun {
  const spec = o.run.config.optimizer as { kind: ScaleRun['optimizer']; learningRate?: number };
  const last = o.divergedAtStep === null ? Infinity : o.divergedAtStep - 1;
  const gradients = new Map(series(o.rows, 'train', 'grad_norm').map((row) => [row.step, row.value]));
  return {
    optimizer: spec.kind,
    scale: o.run.config.lossScale,
    learningRate: spec.learningRate ?? 1,
    finalTestAccuracy: o.finalTestAccuracy,
    finalTestLoss: o.finalTestLoss,
    diverged: o.status === 'diverged',
    divergedAtStep: o.divergedAtStep,
    testLosses: series(o.rows, 'test', 'loss').map((row) => row.value),
    norms: norms(o),
    curve: series(o.rows, 'train', 'batch_loss')
      .filter((r) => r.step <= last && Number.isFinite(r.value))
      .map((row) => ({ step: row.step, loss: row.value })),
    normCurve: series(o.rows, 'train', 'velocity_norm')
      .filter((r) => r.step <= last && Number.isFinite(r.value) && r.value > 0)
      .map((row) => ({ step: row.step, velocity: row.value, gradient: gradients.get(row.step) ?? NaN })),
  };
}

export function analyse(outcomes: readonly RunOutcome[], inputs: PlanInputs, preset: StudyPreset): Numbers {
  const runs = outcomes.map(scaleRun);
  return {
    tunedAlpha: inputs.tuned.learningRate('ema-momentum', BETA),
    scales: preset.lossScales,
    noLr: runs.filter((r) => r.optimizer === 'no-lr-momentum'),
    ema: runs.filter((r) => r.optimizer === 'ema-momentum'),
  };
}

const describe = (r: ScaleRun) => (r.diverged ? `diverged at step ${r.divergedAtStep}` : pct(r.finalTestAccuracy));

function scaleVerdict(n: Numbers) {
  const accuracies = n.noLr.map((r) => r.finalTestAccuracy);
  const swing = Math.max(...accuracies) - Math.min(...accuracies);
  return verdict(
    'e2.scale-dependence',
    n.scales.map((s, i) => `s=${s}: ${describe(n.noLr[i])}`).join('; ') + ` (swing ${(100 * swing).toFixed(1)} points)`,
    swing >= bounds('e2.scale-dependence').swing || n.noLr.some((r) => r.diverged),
  );
}

function sameCurveVerdict(n: Numbers) {
  const reference = n.ema[n.scales.indexOf(1)] ?? n.ema[0];
  const difference = Math.max(...n.ema.map((r) => maxRelativeDifference(r.testLosses, reference.testLosses)));
  const accuracies = n.ema.map((r) => r.finalTestAccuracy);
  const spread = Math.max(...accuracies) - Math.min(...accuracies);
  const b = bounds('e2.same-curve');
  return verdict(
    'e2.same-curve',
    `largest relative difference ${num(difference, 2)}, accuracy spread ${(100 * spread).toFixed(2)} points (${n.scales.map((s, i) => `s=${s}: ${pct(n.ema[i].finalTestAccuracy)}`).join(', ')})`,
    difference < b.lossDifference && spread <= b.accuracySpread,
  );
}

function velocityVerdict(n: Numbers) {
  const velocities = n.noLr.map((r) => r.norms.velocity).filter(Number.isFinite);
  const ratios = n.noLr.map((r) => r.norms.ratio).filter(Number.isFinite);
  const velocitySpan = Math.max(...velocities) / Math.min(...velocities);
  const scaleSpan = Math.max(...n.scales) / Math.min(...n.scales);
  const b = bounds('e2.velocity-follows-gradient');
  return verdict(
    'e2.velocity-follows-gradient',
    `median |v| ${n.noLr.map((r) => `s=${r.scale}: ${num(r.norms.velocity)}`).join(', ')} (x${num(velocitySpan)}); median |v|/|g| ${n.noLr.map((r) => num(r.norms.ratio)).join(', ')} (measured every step before any divergence)`,
    velocities.length < n.scales.length
      ? null
      : ratios.every((r) => r >= b.ratioLow && r <= b.ratioHigh) && velocitySpan >= scaleSpan * b.spanFraction,
  );
}

export function verdicts(n: Numbers) {
  return [scaleVerdict(n), sameCurveVerdict(n), velocityVerdict(n)];
}

export function figures(n: Numbers) {
  const name = (r: ScaleRun) =>
    r.optimizer === 'no-lr-momentum' ? 'no-lr-momentum (alpha = 1)' : `ema-momentum (alpha = ${num(n.tunedAlpha)} / s)`;
  const curves = [...n.noLr, ...n.ema].flatMap((r) =>
    r.curve.map((p) => ({ ...p, optimizer: name(r), scale: `s = ${r.scale}` })),
  );
  const normRows = n.noLr.flatMap((r) =>
    r.normCurve.flatMap((p) => [
      { step: p.step, norm: p.velocity, quantity: '|v| (velocity)', scale: `s = ${r.scale}` },
      { step: p.step, norm: p.gradient, quantity: '|g| (gradient of s * loss)', scale: `s = ${r.scale}` },
    ]),
  );
  return [
    {
      name: `${ID}-loss`,
      caption:
        'Panel no-lr-momentum: without a learning rate the curve depends on s (a diverging run stops at the step before divergence). Panel ema-momentum: with alpha * s constant the curves lie on top of each other.',
      spec: lineChart(curves, {
        title: 'Minibatch loss with the loss multiplied by s',
        x: { field: 'step', title: 'optimizer step' },
        y: { field: 'loss', title: 'cross-entropy (unscaled, log)', log: true, domain: [0.01, 20] },
        color: { field: 'scale', title: 'loss scale' },
        facet: { field: 'optimizer', title: '', columns: 2 },
        width: 360,
      }),
    },
    {
      name: `${ID}-norms`,
      caption:
        'no-lr-momentum: |v| follows |g| at every scale (dashed vs solid), so the step follows the scale of the loss. Diverged runs end at the step before divergence.',
      spec: lineChart(normRows, {
        title: 'no-lr-momentum: velocity and gradient norms',
        x: { field: 'step', title: 'optimizer step' },
        y: { field: 'norm', title: 'norm (log)', log: true },
        color: { field: 'scale', title: 'loss scale' },
        strokeDash: { field: 'quantity', title: '' },
      }),
    },
  ];
}

export function table(n: Numbers): CsvRow[] {
  return [...n.noLr, ...n.ema].map((r) => ({
    optimizer: r.optimizer,
    learning_rate: r.learningRate,
    momentum: BETA,
    loss_scale: r.scale,
    final_test_accuracy: r.finalTestAccuracy,
    final_test_loss: r.finalTestLoss,
    diverged: r.diverged,
    diverged_at_step: r.divergedAtStep ?? '',
    median_velocity_norm: r.norms.velocity,
    median_gradient_norm: r.norms.gradient,
  }));
}

export function section(n: Numbers) {
  const alpha = num(n.tunedAlpha);
  return {
    text: [
      'The question proposes dropping alpha: w -= v with v = beta v + (1 - beta) g, trusting the per-weight velocity to "catch up" to whatever magnitude is needed. ' +
        `Multiplying the loss by s changes nothing about the problem (same minima, same accuracy) but multiplies every gradient by s. ` +
        `ema-momentum keeps a learning rate, tuned in experiment 3 (alpha = ${alpha} at beta = ${BETA}), and divides it by s.`,
      'The velocity is an average of gradients, so it is measured in gradient units; the weights need a step in weight units. ' +
        'The learning rate is the conversion factor between the two. Without it, the step size is whatever the gradient scale happens to be. ' +
        (n.tunedAlpha === 1
          ? 'Here the tuned alpha is exactly 1, so at s = 1 the two runs are the same run: the no-learning-rate form works at s = 1 only because 1 happens to be the right learning rate for this loss.'
          : `At s = 1, no-lr-momentum is ema-momentum with alpha = 1 instead of the tuned ${alpha}: whether that works depends on how far 1 is from the right learning rate for this loss.`),
    ],
    tables: [
      {
        caption: 'Final test accuracy per loss scale',
        columns: [
          'loss scale s',
          'no-lr-momentum',
          `ema-momentum, alpha = ${alpha}/s`,
          'median |v| (no-lr)',
          'median |g| (no-lr)',
        ],
        rows: n.scales.map((s, i) => [
          s,
          describe(n.noLr[i]),
          describe(n.ema[i]),
          num(n.noLr[i].norms.velocity),
          num(n.noLr[i].norms.gradient),
        ]),
      },
    ],
  };
}

export const noLearningRate = defineExperiment<Numbers>({
  id: ID,
  title: '2. Can momentum replace the learning rate?',
  plan,
  analyse: (outcomes, inputs) => analyse(outcomes, inputs.plan, inputs.preset),
  verdicts,
  figures,
  section,
  table,
});
