/**
 * Experiment 2: can momentum replace the learning rate? `no-lr-momentum` (w -= v with
 * v = beta v + (1 - beta) g) against `ema-momentum` at its tuned alpha divided by s, with the
 * loss multiplied by s (powers of two, so alpha / s and s * g are exact in float32), over
 * several seeds. The velocity averages gradients, so it is in gradient units: scaling the loss
 * scales v and so every step, unless a learning rate converts units. With alpha * s held
 * constant the EMA form takes exactly the same steps: it is the negative control of the
 * scale-dependence claim.
 */
import { lineChart } from '../../plot/chart.js';
import { bounds } from '../criteria.js';
import { baseConfig, hyperValue, idNumber, type CsvRow } from '../context.js';
import { defineExperiment, type AnalysisInputs, type PlanInputs } from '../experiment.js';
import { finalSeeds, type StudyPreset } from '../presets.js';
import { series, type RunOutcome, type StudyRun } from '../../exec/runBatch.js';
import {
  decideInterval,
  formatInterval,
  fractionInterval,
  intervalCell,
  maxRelativeDifference,
  tInterval,
} from '../../util/intervals.js';
import { mean, median, slope } from '../../util/stats.js';
import { controlVerdict, verdict } from '../verdict.js';
import { formatNumber as num, formatPercent as pct } from '../../util/format.js';

export const ID = 'experiment-2-no-learning-rate';
export const BETA = 0.9;
/** Norms are read every NORM_EVERY steps (and at step 1). */
const NORM_EVERY = 2;

type Kind = 'no-lr-momentum' | 'ema-momentum';

export function plan(preset: StudyPreset, inputs: PlanInputs): StudyRun[] {
  const alpha = inputs.tuned.learningRate('ema-momentum', BETA);
  return finalSeeds(preset).flatMap((seed) =>
    preset.lossScales.flatMap((s) => [
      {
        id: `e2-no-lr-momentum-s${idNumber(s)}-seed${seed}`,
        experiment: ID,
        config: baseConfig(
          preset,
          { kind: 'no-lr-momentum', momentum: BETA },
          { lossScale: s, seed, normEvery: NORM_EVERY },
        ),
      },
      {
        id: `e2-ema-momentum-alpha${idNumber(alpha)}-s${idNumber(s)}-seed${seed}`,
        experiment: ID,
        config: baseConfig(
          preset,
          { kind: 'ema-momentum', learningRate: alpha / s, momentum: BETA },
          { lossScale: s, seed, normEvery: NORM_EVERY },
        ),
      },
    ]),
  );
}

/** Medians over the measured steps before divergence (what comes after is overflow, not dynamics). */
export interface Norms {
  velocity: number;
  gradient: number;
  update: number;
  ratio: number;
  /** Measured steps the medians are taken over. */
  steps: number;
}

export function norms(outcome: RunOutcome): Norms {
  const last = outcome.divergedAtStep === null ? Infinity : outcome.divergedAtStep - 1;
  const read = (metric: string) =>
    new Map(
      series(outcome.rows, 'train', metric)
        .filter((row) => row.step <= last && Number.isFinite(row.value))
        .map((row) => [row.step, row.value]),
    );
  const [velocity, gradient, update] = [read('velocity_norm'), read('grad_norm'), read('update_norm')];
  const steps = [...velocity.keys()].filter((step) => gradient.has(step));
  return {
    velocity: median(steps.map((step) => velocity.get(step) as number)),
    gradient: median(steps.map((step) => gradient.get(step) as number)),
    update: median([...update.values()]),
    ratio: median(steps.map((step) => (velocity.get(step) as number) / (gradient.get(step) as number))),
    steps: steps.length,
  };
}

export interface ScaleRun {
  kind: Kind;
  scale: number;
  seed: number;
  learningRate: number;
  finalTestAccuracy: number;
  diverged: boolean;
  divergedAtStep: number | null;
  /** Test loss after each epoch; ends at the last evaluation before divergence. */
  testLosses: number[];
  norms: Norms;
  /** Minibatch loss up to the step before divergence. */
  curve: { step: number; loss: number }[];
  /** |v| and |g| at the measured steps before divergence. */
  normCurve: { step: number; velocity: number; gradient: number }[];
}

export interface Numbers {
  tunedAlpha: number;
  noiseFloor: number;
  scales: number[];
  runs: ScaleRun[];
}

export function scaleRun(o: RunOutcome): ScaleRun {
  const spec = o.run.config.optimizer as { kind: Kind; learningRate?: number };
  const last = o.divergedAtStep === null ? Infinity : o.divergedAtStep - 1;
  return {
    kind: spec.kind,
    scale: o.run.config.lossScale,
    seed: o.run.config.seed,
    learningRate: hyperValue(spec.learningRate ?? 1),
    finalTestAccuracy: o.status === 'diverged' ? NaN : o.finalTestAccuracy,
    diverged: o.status === 'diverged',
    divergedAtStep: o.divergedAtStep,
    testLosses: series(o.rows, 'test', 'loss')
      .filter((row) => row.step <= last)
      .map((row) => row.value),
    norms: norms(o),
    curve: series(o.rows, 'train', 'batch_loss')
      .filter((row) => row.step <= last && Number.isFinite(row.value))
      .map((row) => ({ step: row.step, loss: row.value })),
    normCurve: normCurve(o, last),
  };
}

function normCurve(o: RunOutcome, last: number): ScaleRun['normCurve'] {
  const gradients = new Map(series(o.rows, 'train', 'grad_norm').map((row) => [row.step, row.value]));
  return series(o.rows, 'train', 'velocity_norm')
    .filter((row) => row.step <= last && row.value > 0 && (gradients.get(row.step) ?? 0) > 0)
    .map((row) => ({ step: row.step, velocity: row.value, gradient: gradients.get(row.step) as number }));
}

export function analyse(outcomes: readonly RunOutcome[], inputs: AnalysisInputs): Numbers {
  return {
    tunedAlpha: inputs.plan.tuned.learningRate('ema-momentum', BETA),
    noiseFloor: inputs.plan.tuned.noiseFloor,
    scales: inputs.preset.lossScales,
    runs: outcomes.map(scaleRun),
  };
}

/** Runs of one kind grouped by seed, each group in scale order. */
function bySeed(n: Numbers, kind: Kind): ScaleRun[][] {
  const seeds = [...new Set(n.runs.map((r) => r.seed))].sort((a, b) => a - b);
  return seeds.map((seed) =>
    n.scales.map((s) => n.runs.find((r) => r.kind === kind && r.seed === seed && r.scale === s) as ScaleRun),
  );
}

/** Per seed: the spread of final test accuracy over the scales that did not diverge. */
function swings(groups: ScaleRun[][]): number[] {
  return groups.map((runs) => {
    const accuracies = runs.filter((r) => !r.diverged).map((r) => r.finalTestAccuracy);
    return accuracies.length < 2 ? NaN : Math.max(...accuracies) - Math.min(...accuracies);
  });
}

function scaleDependence(n: Numbers, kind: Kind) {
  const groups = bySeed(n, kind);
  const swing = tInterval(swings(groups).filter(Number.isFinite));
  const divergedOn = n.scales.map((_, i) => groups.filter((runs) => runs[i].diverged).length);
  const splitByDivergence = divergedOn.includes(groups.length) && divergedOn.includes(0);
  const bound = bounds('e2.scale-dependence').swing;
  let outcome = decideInterval(swing, 'above', bound);
  if (splitByDivergence) outcome = 'supported';
  else if (divergedOn.some((d) => d > 0) && outcome === 'not supported') outcome = 'inconclusive';
  const perScale = n.scales.map((s, i) => `s=2^${Math.log2(s)}: ${describeScale(groups.map((r) => r[i]))}`);
  return {
    outcome,
    measured: `${perScale.join('; ')}; swing in points ${formatInterval(swing, (x) => (100 * x).toFixed(1))}`,
  };
}

function describeScale(runs: ScaleRun[]): string {
  const diverged = runs.filter((r) => r.diverged);
  const accuracy = fractionInterval(runs.filter((r) => !r.diverged).map((r) => r.finalTestAccuracy));
  const learned = accuracy.n > 0 ? `${intervalCell(accuracy, pct)} (n=${accuracy.n})` : '';
  if (diverged.length === 0) return learned;
  const steps = diverged.map((r) => r.divergedAtStep).join(', ');
  return `${learned}${learned ? ', ' : ''}diverged on ${diverged.length}/${runs.length} seeds (at step ${steps})`;
}

/** Largest relative difference of per-epoch test loss from the same seed's s = 1 run. */
function curveDifference(n: Numbers, kind: Kind): number {
  const reference = n.scales.indexOf(1);
  return Math.max(
    ...bySeed(n, kind).flatMap((runs) =>
      runs.map((r) => maxRelativeDifference(r.testLosses, runs[reference >= 0 ? reference : 0].testLosses)),
    ),
  );
}

function sameCurve(n: Numbers, kind: Kind) {
  const difference = curveDifference(n, kind);
  const tolerance = bounds('e2.same-curve').noiseFloorMultiple * n.noiseFloor;
  return {
    outcome: Number.isFinite(tolerance) ? difference <= tolerance : null,
    measured: `largest relative difference ${num(difference, 2)} against the noise floor ${num(n.noiseFloor, 2)} (experiment 3)`,
  };
}

/**
 * Per seed: slope of log10(median norm) on log10(s) over the scales with enough steps before
 * divergence. 1 = the norm follows the scale of the loss, 0 = it does not.
 */
function normSlopes(n: Numbers, kind: Kind, pick: (norms: Norms) => number): number[] {
  const minSteps = bounds('e2.velocity-follows-gradient').minSteps;
  return bySeed(n, kind).map((runs) => {
    const usable = runs.filter((r) => r.norms.steps >= minSteps && Number.isFinite(pick(r.norms)));
    if (usable.length < 2) return NaN;
    return slope(
      usable.map((r) => Math.log10(r.scale)),
      usable.map((r) => Math.log10(pick(r.norms))),
    );
  });
}

function velocityFollows(n: Numbers, kind: Kind, pick: (norms: Norms) => number) {
  const slopes = normSlopes(n, kind, pick);
  const interval = tInterval(slopes.filter(Number.isFinite));
  const minSteps = bounds('e2.velocity-follows-gradient').minSteps;
  const excluded = n.runs.filter((r) => r.kind === kind && r.norms.steps < minSteps);
  const ratios = n.scales.map((s) =>
    mean(n.runs.filter((r) => r.kind === kind && r.scale === s && r.norms.steps >= minSteps).map((r) => r.norms.ratio)),
  );
  return {
    outcome: decideInterval(interval, 'above', bounds('e2.velocity-follows-gradient').slope),
    measured:
      `slope of log10(median norm) on log10(s) ${formatInterval(interval, (x) => num(x))}; mean median |v|/|g| per scale ${ratios.map((r) => num(r)).join(', ')}` +
      (excluded.length > 0
        ? `; ${excluded.length} run(s) excluded: fewer than ${minSteps} measured steps before divergence`
        : ''),
  };
}

export function verdicts(n: Numbers) {
  const dependence = scaleDependence(n, 'no-lr-momentum');
  const dependenceControl = scaleDependence(n, 'ema-momentum');
  const same = sameCurve(n, 'ema-momentum');
  const sameControl = sameCurve(n, 'no-lr-momentum');
  const follows = velocityFollows(n, 'no-lr-momentum', (x) => x.velocity);
  const followsControl = velocityFollows(n, 'ema-momentum', (x) => x.update);
  return [
    verdict('e2.scale-dependence', dependence.measured, dependence.outcome),
    controlVerdict(
      'e2.scale-dependence',
      `ema-momentum with alpha = ${num(n.tunedAlpha)} / s`,
      dependenceControl.measured,
      dependenceControl.outcome,
    ),
    verdict('e2.same-curve', same.measured, same.outcome),
    controlVerdict('e2.same-curve', 'no-lr-momentum', sameControl.measured, sameControl.outcome),
    verdict('e2.velocity-follows-gradient', follows.measured, follows.outcome),
    controlVerdict(
      'e2.velocity-follows-gradient',
      'the step |w_t - w_(t-1)| of ema-momentum with alpha / s, which must not follow s',
      followsControl.measured,
      followsControl.outcome,
    ),
  ];
}

/** The legend's label of a run's scale: one entry per scale, whether or not the run diverged. */
function scaleLabel(r: ScaleRun): string {
  return `s = 2^${Math.log2(r.scale)}`;
}

/** The scales' labels in numeric order (as text, 2^-4 would sort before 2^-7). */
function scaleOrder(runs: readonly ScaleRun[]): string[] {
  return [...new Map([...runs].sort((a, b) => a.scale - b.scale).map((r) => [scaleLabel(r), r])).keys()];
}

/** Where the drawn runs diverged, for a caption: their lines stop at the step before. */
function divergedText(runs: readonly ScaleRun[], name: (r: ScaleRun) => string): string {
  const diverged = [...runs].filter((r) => r.diverged).sort((a, b) => a.scale - b.scale);
  if (diverged.length === 0) return 'No drawn run diverged.';
  return `Diverged (the line stops at the step before): ${diverged.map((r) => `${name(r)} at ${scaleLabel(r)}, step ${r.divergedAtStep}`).join('; ')}.`;
}

export function figures(n: Numbers) {
  const seed = Math.min(...n.runs.map((r) => r.seed));
  const name = (r: ScaleRun) =>
    r.kind === 'no-lr-momentum' ? 'no-lr-momentum (alpha = 1)' : `ema-momentum (alpha = ${num(n.tunedAlpha)} / s)`;
  const drawn = n.runs.filter((r) => r.seed === seed);
  const order = scaleOrder(drawn);
  const curves = drawn.flatMap((r) => r.curve.map((p) => ({ ...p, optimizer: name(r), scale: scaleLabel(r) })));
  const noLr = drawn.filter((r) => r.kind === 'no-lr-momentum');
  const normRows = noLr.flatMap((r) =>
    r.normCurve.flatMap((p) => [
      { step: p.step, norm: p.velocity, quantity: '|v| (velocity)', scale: scaleLabel(r) },
      { step: p.step, norm: p.gradient, quantity: '|g| (gradient of s * loss)', scale: scaleLabel(r) },
    ]),
  );
  // Chart specs are declarative data: each figure writes out its own fields, titles and axes.
  return [
    {
      name: `${ID}-norms`,
      caption: `Seed ${seed}, no-lr-momentum: |v| follows |g| at every scale (dashed vs solid), so the step follows the scale of the loss. ${divergedText(noLr, name)}`,
      spec: lineChart(normRows, {
        title: 'no-lr-momentum: velocity and gradient norms',
        x: { field: 'step', title: 'optimizer step' },
        y: { field: 'norm', title: 'norm (log)', log: true },
        color: { field: 'scale', title: 'loss scale', sort: order },
        strokeDash: { field: 'quantity', title: '' },
      }),
    },
    {
      name: `${ID}-loss`,
      caption: `Seed ${seed}. Panel no-lr-momentum: without a learning rate the curve depends on s. Panel ema-momentum: with alpha * s constant the curves coincide. ${divergedText(drawn, name)}`,
      spec: lineChart(curves, {
        title: 'Minibatch loss with the loss multiplied by s',
        x: { field: 'step', title: 'optimizer step' },
        y: { field: 'loss', title: 'cross-entropy (unscaled, log)', log: true },
        color: { field: 'scale', title: 'loss scale', sort: order },
        facet: { field: 'optimizer', title: '', columns: 2, sharedY: true },
        width: 360,
      }),
    },
  ];
}

export function table(n: Numbers): CsvRow[] {
  return n.runs.map((r) => ({
    optimizer: r.kind,
    seed: r.seed,
    learning_rate: r.learningRate,
    momentum: BETA,
    loss_scale: r.scale,
    final_test_accuracy: Number.isFinite(r.finalTestAccuracy) ? r.finalTestAccuracy : '',
    diverged: r.diverged,
    diverged_at_step: r.divergedAtStep ?? '',
    norm_steps_before_divergence: r.norms.steps,
    median_velocity_norm: r.norms.velocity,
    median_gradient_norm: r.norms.gradient,
    median_update_norm: r.norms.update,
  }));
}

export function section(n: Numbers) {
  const alpha = num(n.tunedAlpha);
  const [noLr, ema] = [bySeed(n, 'no-lr-momentum'), bySeed(n, 'ema-momentum')];
  return {
    text: [
      'The question proposes dropping alpha: w -= v with v = beta v + (1 - beta) g, trusting the per-weight velocity to "catch up" to whatever magnitude is needed. ' +
        'Multiplying the loss by s changes nothing about the problem (same minima, same accuracy) but multiplies every gradient by s. ' +
        `ema-momentum keeps a learning rate, chosen on the validation split in experiment 3 (alpha = ${alpha} at beta = ${BETA}), and divides it by s. ` +
        'The scales are powers of two, so dividing alpha by s and multiplying the gradient by s are exact in float32: the EMA runs should be identical at every scale.',
      'The velocity is an average of gradients, so it is measured in gradient units; the weights need a step in weight units. ' +
        'For SGD-type updates the learning rate is the conversion factor between the two; without it, the step size is whatever the gradient scale happens to be. ' +
        `At s = 1, no-lr-momentum is ema-momentum with alpha = 1 instead of the tuned ${alpha}: whether that works depends on how far 1 is from the right learning rate for this loss.`,
      `Statistics of a diverged run stop at the step before divergence; norm statistics need at least ${bounds('e2.velocity-follows-gradient').minSteps} measured steps before divergence, otherwise the run is excluded from them and said so.`,
    ],
    tables: [
      {
        caption:
          'Final test accuracy per loss scale: mean [95% t interval] over the seeds that did not diverge (n), and divergence',
        columns: [
          'loss scale s',
          'no-lr-momentum',
          `ema-momentum, alpha = ${alpha}/s`,
          'median |v| (no-lr, mean over seeds)',
          'median |v|/|g| (no-lr)',
        ],
        rows: n.scales.map((s, i) => {
          const usable = noLr
            .map((runs) => runs[i])
            .filter((r) => r.norms.steps >= bounds('e2.velocity-follows-gradient').minSteps);
          return [
            `2^${Math.log2(s)}`,
            describeScale(noLr.map((runs) => runs[i])),
            describeScale(ema.map((runs) => runs[i])),
            usable.length > 0 ? num(mean(usable.map((r) => r.norms.velocity))) : 'too few steps',
            usable.length > 0 ? num(mean(usable.map((r) => r.norms.ratio))) : 'too few steps',
          ];
        }),
      },
    ],
  };
}

// The parts every experiment declares, in the one shape of defineExperiment.
export const noLearningRate = defineExperiment<Numbers>({
  id: ID,
  title: '2. Can momentum replace the learning rate?',
  plan,
  analyse,
  verdicts,
  figures,
  section,
  table,
});
