/**
 * Experiment 2: can momentum replace the learning rate? `no-lr-momentum` (w -= v with
 * v = beta v + (1 - beta) g) against `ema-momentum` with a tuned alpha, with the loss
 * multiplied by s. The velocity averages gradients, so it is measured in gradient units:
 * scaling the loss scales v and so every step, unless a learning rate converts units.
 * With alpha * s held constant the EMA form takes exactly the same steps.
 */
import path from 'node:path';
import { lineChart, writeChart } from '../../plot/chart.js';
import { baseConfig, idNumber, summaryRow, type CsvRow, type ExperimentResult, type StudyContext } from '../context.js';
import { series, type RunOutcome, type StudyRun } from '../sweep.js';
import { median } from '../stats.js';
import { num, pct, verdict } from '../verdict.js';

export const ID = 'experiment-2-no-learning-rate';
export const BETA = 0.9;

export function plan(context: StudyContext, tunedAlpha: number): StudyRun[] {
  const { preset } = context;
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

interface Norms {
  velocity: number;
  gradient: number;
  ratio: number;
}

/**
 * Medians of |v|, |g| (of the scaled loss) and |v| / |g| over the measured steps, before the
 * run diverged (what comes after is overflow, not dynamics).
 */
function norms(outcome: RunOutcome): Norms {
  const last = outcome.divergedAtStep === null ? Infinity : outcome.divergedAtStep - 1;
  const gradients = new Map(series(outcome.rows, 'train', 'grad_norm').map((row) => [row.step, row.value]));
  const velocity = series(outcome.rows, 'train', 'velocity_norm').filter(
    (row) => row.step <= last && Number.isFinite(row.value) && Number.isFinite(gradients.get(row.step) ?? NaN),
  );
  return {
    velocity: median(velocity.map((row) => row.value)),
    gradient: median(velocity.map((row) => gradients.get(row.step) as number)),
    ratio: median(velocity.map((row) => row.value / (gradients.get(row.step) as number))),
  };
}

function maxRelativeDifference(a: readonly number[], b: readonly number[]): number {
  let worst = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++)
    worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.abs(b[i]));
  return a.length === b.length ? worst : Infinity;
}

export async function run(context: StudyContext, tunedAlpha: number): Promise<ExperimentResult> {
  const outcomes = await context.sweep(plan(context, tunedAlpha));
  const scales = context.preset.lossScales;
  const noLr = outcomes.filter((o) => o.run.config.optimizer.kind === 'no-lr-momentum');
  const ema = outcomes.filter((o) => o.run.config.optimizer.kind === 'ema-momentum');
  const noLrAccuracies = noLr.map((o) => o.finalTestAccuracy);
  const swing = Math.max(...noLrAccuracies) - Math.min(...noLrAccuracies);
  const anyDiverged = noLr.some((o) => o.status === 'diverged');

  const reference = ema[scales.indexOf(1)] ?? ema[0];
  const testLosses = (o: RunOutcome) => series(o.rows, 'test', 'loss').map((row) => row.value);
  const emaDifference = Math.max(...ema.map((o) => maxRelativeDifference(testLosses(o), testLosses(reference))));
  const emaAccuracies = ema.map((o) => o.finalTestAccuracy);
  const emaSpread = Math.max(...emaAccuracies) - Math.min(...emaAccuracies);

  const noLrNorms = noLr.map(norms);
  const velocities = noLrNorms.map((n) => n.velocity).filter(Number.isFinite);
  const ratios = noLrNorms.map((n) => n.ratio).filter(Number.isFinite);
  const velocitySpan = Math.max(...velocities) / Math.min(...velocities);
  const scaleSpan = Math.max(...scales) / Math.min(...scales);

  const describe = (o: RunOutcome) =>
    o.status === 'diverged' ? `diverged at step ${o.divergedAtStep}` : pct(o.finalTestAccuracy);
  const verdicts = [
    verdict(
      ID,
      'Without a learning rate the outcome depends on the scale of the loss',
      'no-lr-momentum final test accuracy varies by at least 20 points across the loss scales, or a scale diverges',
      scales.map((s, i) => `s=${s}: ${describe(noLr[i])}`).join('; ') + ` (swing ${(100 * swing).toFixed(1)} points)`,
      swing >= 0.2 || anyDiverged,
    ),
    verdict(
      ID,
      'With alpha * s held constant the EMA form follows the same curve at every scale',
      'final test accuracies within 0.5 points of each other and per-epoch test loss within 5% of the s = 1 run at every scale (exact in real arithmetic; float32 rounds alpha/s and s*g differently, and training amplifies that a little)',
      `largest relative difference ${num(emaDifference, 2)}, accuracy spread ${(100 * emaSpread).toFixed(2)} points (${scales.map((s, i) => `s=${s}: ${pct(ema[i].finalTestAccuracy)}`).join(', ')})`,
      emaDifference < 0.05 && emaSpread <= 0.005,
    ),
    verdict(
      ID,
      'The velocity catches up to the size of the gradient, not to the step the weights need',
      `at every scale the median |v|/|g| of no-lr-momentum lies between 0.05 and 1.5 (v is on the gradient's scale), so median |v| follows s: it spans at least 1% of the ${num(scaleSpan)}x range of s`,
      `median |v| ${noLrNorms.map((n, i) => `s=${scales[i]}: ${num(n.velocity)}`).join(', ')} (x${num(velocitySpan)}); median |v|/|g| ${noLrNorms.map((n) => num(n.ratio)).join(', ')} (measured every step before any divergence)`,
      velocities.length < scales.length
        ? null
        : ratios.every((r) => r >= 0.05 && r <= 1.5) && velocitySpan >= scaleSpan / 100,
    ),
  ];

  const curves = outcomes.flatMap((o) =>
    series(o.rows, 'train', 'batch_loss')
      .filter((r) => Number.isFinite(r.value))
      .map((row) => ({
        step: row.step,
        loss: row.value,
        optimizer:
          o.run.config.optimizer.kind === 'no-lr-momentum'
            ? 'no-lr-momentum (alpha = 1)'
            : `ema-momentum (alpha = ${num(tunedAlpha)} / s)`,
        scale: `s = ${o.run.config.lossScale}`,
      })),
  );
  const normRows = noLr.flatMap((o) =>
    ['velocity_norm', 'grad_norm'].flatMap((metric) =>
      series(o.rows, 'train', metric)
        .filter((r) => Number.isFinite(r.value) && r.value > 0)
        .map((row) => ({
          step: row.step,
          norm: row.value,
          quantity: metric === 'velocity_norm' ? '|v| (velocity)' : '|g| (gradient of s * loss)',
          scale: `s = ${o.run.config.lossScale}`,
        })),
    ),
  );
  const base = path.join(context.plotsDir, ID);
  await writeChart(
    lineChart(curves, {
      title: 'Minibatch loss with the loss multiplied by s',
      x: { field: 'step', title: 'optimizer step' },
      y: {
        field: 'loss',
        title: 'cross-entropy (unscaled, log; diverging runs leave the top)',
        log: true,
        domain: [0.01, 20],
      },
      color: { field: 'scale', title: 'loss scale' },
      facet: { field: 'optimizer', title: '', columns: 2 },
      width: 360,
    }),
    `${base}-loss`,
  );
  await writeChart(
    lineChart(normRows, {
      title: 'no-lr-momentum: velocity and gradient norms',
      x: { field: 'step', title: 'optimizer step' },
      y: { field: 'norm', title: 'norm (log)', log: true },
      color: { field: 'scale', title: 'loss scale' },
      strokeDash: { field: 'quantity', title: '' },
    }),
    `${base}-norms`,
  );

  const csv: CsvRow[] = outcomes.map((o, i) => ({
    optimizer: o.run.config.optimizer.kind,
    learning_rate: (o.run.config.optimizer as { learningRate?: number }).learningRate ?? 1,
    momentum: BETA,
    loss_scale: o.run.config.lossScale,
    final_test_accuracy: o.finalTestAccuracy,
    final_test_loss: o.finalTestLoss,
    diverged: o.status === 'diverged',
    diverged_at_step: o.divergedAtStep ?? '',
    median_velocity_norm: norms(outcomes[i]).velocity,
    median_gradient_norm: norms(outcomes[i]).gradient,
  }));

  return {
    summary: outcomes.map((o) => summaryRow(ID, o)),
    csv,
    section: {
      id: ID,
      title: '2. Can momentum replace the learning rate?',
      text: [
        'The question proposes dropping alpha: w -= v with v = beta v + (1 - beta) g, trusting the per-weight velocity to "catch up" to whatever magnitude is needed. ' +
          `Multiplying the loss by s changes nothing about the problem (same minima, same accuracy) but multiplies every gradient by s. ` +
          `ema-momentum keeps a learning rate, tuned in experiment 3 (alpha = ${num(tunedAlpha)} at beta = ${BETA}), and divides it by s.`,
        'The velocity is an average of gradients, so it is measured in gradient units; the weights need a step in weight units. ' +
          'The learning rate is the conversion factor between the two. Without it, the step size is whatever the gradient scale happens to be. ' +
          (tunedAlpha === 1
            ? 'Here the tuned alpha is exactly 1, so at s = 1 the two runs are the same run: the no-learning-rate form works at s = 1 only because 1 happens to be the right learning rate for this loss.'
            : `At s = 1, no-lr-momentum is ema-momentum with alpha = 1 instead of the tuned ${num(tunedAlpha)}: whether that works depends on how far 1 is from the right learning rate for this loss.`),
      ],
      figures: [
        {
          file: `plots/${ID}-loss`,
          caption:
            'Panel no-lr-momentum: without a learning rate the curve depends on s (a diverging run leaves the top of the plot). Panel ema-momentum: with alpha * s constant the three curves lie on top of each other.',
        },
        {
          file: `plots/${ID}-norms`,
          caption:
            'no-lr-momentum: |v| follows |g| at every scale (dashed vs solid), so the step follows the scale of the loss.',
        },
      ],
      tables: [
        {
          caption: 'Final test accuracy per loss scale',
          columns: [
            'loss scale s',
            'no-lr-momentum',
            `ema-momentum, alpha = ${num(tunedAlpha)}/s`,
            'median |v| (no-lr)',
            'median |g| (no-lr)',
          ],
          rows: scales.map((s, i) => [
            s,
            describe(noLr[i]),
            describe(ema[i]),
            num(noLrNorms[i].velocity),
            num(noLrNorms[i].gradient),
          ]),
        },
      ],
      verdicts,
    },
  };
}
