/**
 * Experiment 4: the limits, on an ill-conditioned quadratic f(w) = 1/2 sum_i lambda_i w_i^2
 * with known Hessian diag(lambda). Pure momentum (one gradient step, then v = mu v) is run
 * with the real optimizer for mu < 1, mu = 1 and mu > 1 and compared with the closed form
 * dw_t = mu^t dw_0; heavy-ball's stability boundary alpha < 2 (1 + mu) / lambda_max is
 * located by bisection with the real optimizer and compared with theory.
 */
import path from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../../backend.js';
import { createOptimizer } from '../../optimizers/index.js';
import { lineChart, writeChart } from '../../plot/chart.js';
import type { CsvRow, ExperimentResult, StudyContext } from '../context.js';
import { num, verdict } from '../verdict.js';
import { markdownTable } from '../report.js';

export const ID = 'experiment-4-quadratic-limits';
const DIMENSION = 10;
/** Eigenvalues log-spaced from 1 to 100: condition number 100. */
export const EIGENVALUES = Array.from({ length: DIMENSION }, (_, i) => 10 ** ((2 * i) / (DIMENSION - 1)));
const LAMBDA_MAX = EIGENVALUES[DIMENSION - 1];

interface Trajectory {
  /** The steps t at which the values below were read. */
  steps: number[];
  /** |w_t - w_0| after step t. */
  displacement: number[];
  /** |w_t - w_{t-1}| after each step. */
  stepNorm: number[];
  /** |w_t| after each step. */
  norm: number[];
  loss: number[];
}

/**
 * Runs `optimizer` on the quadratic from w0 = 1 for `steps` steps, reading the values after
 * every `readEvery`-th step (and the last).
 */
export function quadraticTrajectory(optimizer: TF.Optimizer, steps: number, readEvery = 1): Trajectory {
  const lambda = tf.tensor1d(EIGENVALUES);
  const w0 = tf.ones([DIMENSION]);
  const w = tf.variable(w0.clone(), true, `quadratic-w-${Math.random().toString(36).slice(2)}`);
  const result: Trajectory = { steps: [], displacement: [], stepNorm: [], norm: [], loss: [] };
  try {
    for (let t = 1; t <= steps; t++) {
      if (t % readEvery !== 0 && t !== steps) {
        // Gradient of 1/2 sum lambda_i w_i^2 is lambda * w.
        tf.tidy(() => optimizer.applyGradients({ [w.name]: tf.mul(lambda, w) }));
        continue;
      }
      const values = tf.tidy(() => {
        const before = w.clone();
        optimizer.applyGradients({ [w.name]: tf.mul(lambda, w) });
        const loss = tf.mul(0.5, tf.sum(tf.mul(lambda, tf.square(w))));
        return tf.stack([tf.norm(tf.sub(w, w0)), tf.norm(tf.sub(w, before)), tf.norm(w), loss]).dataSync();
      });
      result.steps.push(t);
      result.displacement.push(values[0]);
      result.stepNorm.push(values[1]);
      result.norm.push(values[2]);
      result.loss.push(values[3]);
    }
    return result;
  } finally {
    tf.dispose([lambda, w0, w]);
  }
}

/**
 * Whether heavy-ball diverges on the quadratic: |w| still grows over the second half of
 * `steps` steps. (Near the boundary a stable run can first grow by a large factor before
 * it decays, so comparing with |w_0| would misjudge it.)
 */
function heavyBallDiverges(learningRate: number, momentum: number, steps: number): boolean {
  const optimizer = createOptimizer(
    momentum === 0 ? { kind: 'sgd', learningRate } : { kind: 'heavy-ball', learningRate, momentum },
  );
  try {
    const half = Math.floor(steps / 2);
    const { norm } = quadraticTrajectory(optimizer, 2 * half, half);
    return !(norm[1] <= norm[0]);
  } finally {
    optimizer.dispose();
  }
}

/** Bisection for the largest stable alpha, between half and twice the theoretical boundary. */
function stabilityBoundary(momentum: number, steps: number, iterations: number): number {
  const theory = (2 * (1 + momentum)) / LAMBDA_MAX;
  let stable = theory / 2;
  let unstable = theory * 2;
  for (let i = 0; i < iterations; i++) {
    const middle = Math.sqrt(stable * unstable);
    if (heavyBallDiverges(middle, momentum, steps)) unstable = middle;
    else stable = middle;
  }
  return Math.sqrt(stable * unstable);
}

/** Closed form for pure momentum with one gradient step: |w_T - w_0| = |dw_0| * sum_{t<T} mu^t. */
export function closedFormDisplacement(firstStep: number, momentum: number, steps: number): number {
  return momentum === 1 ? firstStep * steps : (firstStep * (1 - momentum ** steps)) / (1 - momentum);
}

export async function run(context: StudyContext): Promise<ExperimentResult> {
  const steps = context.preset.quadraticSteps;
  const T = Math.min(steps, 100);
  // |dw_0| = alpha |g0| = alpha |lambda| (w0 = 1). Two alphas for mu = 1: |dw_0| < 1 and > 1.
  const gradientNorm = Math.hypot(...EIGENVALUES);
  const cases = [
    { momentum: 0.9, learningRate: 0.001 },
    { momentum: 1, learningRate: 0.001 },
    { momentum: 1, learningRate: 0.02 },
    { momentum: 1.1, learningRate: 0.001 },
  ];
  const pure = cases.map(({ momentum, learningRate }) => {
    const optimizer = createOptimizer({ kind: 'pure-momentum', learningRate, momentum, gradientSteps: 1 });
    try {
      const trajectory = quadraticTrajectory(optimizer, T);
      const firstStep = trajectory.stepNorm[0];
      const predicted = closedFormDisplacement(firstStep, momentum, T);
      const measured = trajectory.displacement[T - 1];
      return {
        momentum,
        learningRate,
        trajectory,
        firstStep,
        predicted,
        measured,
        expectedFirstStep: learningRate * gradientNorm,
        relativeError: Math.abs(measured - predicted) / predicted,
        lastStepRatio: trajectory.stepNorm[T - 1] / firstStep,
        finalLoss: trajectory.loss[T - 1],
      };
    } finally {
      optimizer.dispose();
    }
  });
  const momenta = [0, 0.5, 0.9, 0.99];
  const stability = momenta.map((momentum) => {
    const measured = stabilityBoundary(momentum, steps, context.preset.bisectionIterations);
    const theory = (2 * (1 + momentum)) / LAMBDA_MAX;
    return { momentum, measured, theory, ratio: measured / theory };
  });

  const worstClosedForm = Math.max(...pure.map((p) => p.relativeError));
  const unitMomentum = pure.filter((p) => p.momentum === 1);
  const worstStability = Math.max(...stability.map((s) => Math.abs(s.ratio - 1)));
  const regime = (mu: number) =>
    mu < 1
      ? 'decays: weights stop at a fixed displacement |dw_0| / (1 - mu)'
      : mu === 1
        ? 'constant: dw_t = dw_0 forever, displacement grows linearly (t |dw_0|)'
        : 'grows geometrically: displacement blows up like mu^t';

  const verdicts = [
    verdict(
      ID,
      'Pure momentum follows dw_t = mu^t dw_0 exactly: the trajectory is fixed by mu and the first step, whatever the loss',
      `measured |w_T - w_0| within 0.1% of the closed form for every mu (T = ${T})`,
      pure
        .map((p) => `mu=${p.momentum}, |dw0|=${num(p.firstStep)}: ${num(p.measured, 5)} vs ${num(p.predicted, 5)}`)
        .join('; ') + ` (worst relative error ${num(worstClosedForm, 2)})`,
      worstClosedForm < 1e-3,
    ),
    verdict(
      ID,
      'For mu = 1 the step stays dw_0, whether |dw_0| < 1 or > 1 (the accepted answer ties the limit to dw_0 < 1)',
      `|dw_T| / |dw_0| within 0.1% of 1 for both |dw_0| < 1 and |dw_0| > 1`,
      unitMomentum.map((p) => `|dw_0| = ${num(p.firstStep)}: |dw_T|/|dw_0| = ${num(p.lastStepRatio, 6)}`).join('; '),
      unitMomentum.some((p) => p.firstStep < 1) &&
        unitMomentum.some((p) => p.firstStep > 1) &&
        unitMomentum.every((p) => Math.abs(p.lastStepRatio - 1) < 1e-3),
    ),
    verdict(
      ID,
      'Heavy-ball is stable exactly for alpha < 2 (1 + mu) / lambda_max',
      'bisection boundary with the real optimizer within 2% of theory for every mu',
      stability.map((s) => `mu=${s.momentum}: ${num(s.measured, 4)} vs ${num(s.theory, 4)}`).join('; ') +
        ` (worst ${(100 * worstStability).toFixed(2)}%)`,
      worstStability < 0.02,
    ),
  ];

  const displacementRows = pure.flatMap((p) =>
    p.trajectory.displacement.flatMap((d, i) => [
      {
        step: p.trajectory.steps[i],
        displacement: d,
        case: `mu=${p.momentum}, |dw0|=${num(p.firstStep, 2)}`,
        source: 'measured',
      },
      {
        step: p.trajectory.steps[i],
        displacement: closedFormDisplacement(p.firstStep, p.momentum, p.trajectory.steps[i]),
        case: `mu=${p.momentum}, |dw0|=${num(p.firstStep, 2)}`,
        source: 'closed form',
      },
    ]),
  );
  const base = path.join(context.plotsDir, ID);
  await writeChart(
    lineChart(displacementRows, {
      title: 'Pure momentum on the quadratic: |w_t - w_0|',
      x: { field: 'step', title: 'step t' },
      y: { field: 'displacement', title: '|w_t - w_0| (log)', log: true },
      color: { field: 'case', title: '' },
      strokeDash: { field: 'source', title: '' },
    }),
    `${base}-pure-momentum`,
  );
  await writeChart(
    lineChart(
      stability.flatMap((s) => [
        { momentum: s.momentum, alpha: s.measured, source: 'measured (bisection)' },
        { momentum: s.momentum, alpha: s.theory, source: 'theory 2(1+mu)/lambda_max' },
      ]),
      {
        title: 'Heavy-ball stability boundary',
        x: { field: 'momentum', title: 'momentum mu' },
        y: { field: 'alpha', title: 'largest stable alpha' },
        color: { field: 'source', title: '' },
      },
    ),
    `${base}-stability`,
  );

  const csv: CsvRow[] = [
    ...pure.map((p) => ({
      part: 'pure-momentum',
      momentum: p.momentum,
      learning_rate: p.learningRate,
      first_step: p.firstStep,
      steps: T,
      measured: p.measured,
      predicted: p.predicted,
      relative_error: p.relativeError,
      last_step_ratio: p.lastStepRatio,
      final_loss: p.finalLoss,
    })),
    ...stability.map((s) => ({
      part: 'heavy-ball-stability',
      momentum: s.momentum,
      learning_rate: '',
      first_step: '',
      steps,
      measured: s.measured,
      predicted: s.theory,
      relative_error: Math.abs(s.ratio - 1),
      last_step_ratio: '',
      final_loss: '',
    })),
  ];
  return {
    summary: [],
    csv,
    section: {
      id: ID,
      title: '4. The limits, on a quadratic',
      text: [
        `f(w) = 1/2 sum lambda_i w_i^2 in ${DIMENSION} dimensions, lambda from 1 to ${LAMBDA_MAX} (condition number ${LAMBDA_MAX}), w_0 = 1. ` +
          'Pure momentum takes one gradient step and then v = mu v, so dw_t = mu^t dw_0 no matter what the loss does. The correct limit table:',
        markdownTable({
          columns: ['mu', 'step dw_t', 'total displacement |w_t - w_0|', 'measured here'],
          rows: pure.map((p) => [
            `${p.momentum} (|dw_0| = ${num(p.firstStep, 3)})`,
            regime(p.momentum),
            p.momentum === 1 ? 't |dw_0|' : '|dw_0| (1 - mu^t)/(1 - mu)',
            `${num(p.measured, 5)} after ${T} steps (closed form ${num(p.predicted, 5)}); |dw_T|/|dw_0| = ${num(p.lastStepRatio, 4)}; loss ${num(p.finalLoss, 3)}`,
          ]),
        }),
        'None of these depends on the loss after the first step; only the learning rate times a fresh gradient at every step makes the trajectory respond to the loss.',
      ],
      figures: [
        {
          file: `plots/${ID}-pure-momentum`,
          caption: 'Measured displacement (solid) against the closed form (dashed).',
        },
        {
          file: `plots/${ID}-stability`,
          caption: 'Largest stable learning rate of heavy-ball found by bisection vs 2(1+mu)/lambda_max.',
        },
      ],
      tables: [
        {
          caption: 'Heavy-ball stability boundary',
          columns: ['mu', 'measured alpha*', 'theory 2(1+mu)/lambda_max', 'ratio'],
          rows: stability.map((s) => [s.momentum, num(s.measured, 5), num(s.theory, 5), num(s.ratio, 4)]),
        },
      ],
      verdicts,
    },
  };
}
