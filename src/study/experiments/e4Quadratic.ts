/**
 * Experiment 4: the limits, on an ill-conditioned quadratic f(w) = 1/2 sum_i lambda_i w_i^2
 * with known Hessian diag(lambda). Pure momentum (one gradient step, then v = mu v) is run
 * with the real optimizer for mu < 1, mu = 1 and mu > 1 and compared with the closed form
 * dw_t = mu^t dw_0; heavy-ball's stability boundary alpha < 2 (1 + mu) / lambda_max is
 * located by bisection with the real optimizer and compared with theory.
 */
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../../backend.js';
import { createOptimizer } from '../../optimizers/index.js';
import { lineChart } from '../../plot/chart.js';
import { bounds } from '../criteria.js';
import type { CsvRow } from '../context.js';
import { defineExperiment } from '../experiment.js';
import type { StudyPreset } from '../presets.js';
import { verdict } from '../verdict.js';
import { formatNumber as num } from '../../util/format.js';
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

/** |dw_0| = alpha |g0| = alpha |lambda| (w0 = 1). Two alphas for mu = 1: |dw_0| < 1 and > 1. */
const PURE_CASES = [
  { momentum: 0.9, learningRate: 0.001 },
  { momentum: 1, learningRate: 0.001 },
  { momentum: 1, learningRate: 0.02 },
  { momentum: 1.1, learningRate: 0.001 },
];
const STABILITY_MOMENTA = [0, 0.5, 0.9, 0.99];

export interface PureCase {
  momentum: number;
  learningRate: number;
  trajectory: Trajectory;
  firstStep: number;
  predicted: number;
  measured: number;
  relativeError: number;
  lastStepRatio: number;
  finalLoss: number;
}

export interface Numbers {
  steps: number;
  T: number;
  pure: PureCase[];
  stability: { momentum: number; measured: number; theory: number; ratio: number }[];
}

function pureCase(momentum: number, learningRate: number, T: number): PureCase {
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
      relativeError: Math.abs(measured - predicted) / predicted,
      lastStepRatio: trajectory.stepNorm[T - 1] / firstStep,
      finalLoss: trajectory.loss[T - 1],
    };
  } finally {
    optimizer.dispose();
  }
}

export function analyse(preset: StudyPreset): Numbers {
  const steps = preset.quadraticSteps;
  const T = Math.min(steps, 100);
  const pure = PURE_CASES.map(({ momentum, learningRate }) => pureCase(momentum, learningRate, T));
  const stability = STABILITY_MOMENTA.map((momentum) => {
    const measured = stabilityBoundary(momentum, steps, preset.bisectionIterations);
    const theory = (2 * (1 + momentum)) / LAMBDA_MAX;
    return { momentum, measured, theory, ratio: measured / theory };
  });
  return { steps, T, pure, stability };
}

function regime(mu: number): string {
  if (mu < 1) return 'decays: weights stop at a fixed displacement |dw_0| / (1 - mu)';
  if (mu === 1) return 'constant: dw_t = dw_0 forever, displacement grows linearly (t |dw_0|)';
  return 'grows geometrically: displacement blows up like mu^t';
}

export function verdicts(n: Numbers) {
  const worstClosedForm = Math.max(...n.pure.map((p) => p.relativeError));
  const unitMomentum = n.pure.filter((p) => p.momentum === 1);
  const worstStability = Math.max(...n.stability.map((s) => Math.abs(s.ratio - 1)));
  const unitError = bounds('e4.unit-momentum').error;
  return [
    verdict(
      'e4.closed-form',
      n.pure
        .map((p) => `mu=${p.momentum}, |dw0|=${num(p.firstStep)}: ${num(p.measured, 5)} vs ${num(p.predicted, 5)}`)
        .join('; ') + ` (worst relative error ${num(worstClosedForm, 2)}, T = ${n.T})`,
      worstClosedForm < bounds('e4.closed-form').error,
    ),
    verdict(
      'e4.unit-momentum',
      unitMomentum.map((p) => `|dw_0| = ${num(p.firstStep)}: |dw_T|/|dw_0| = ${num(p.lastStepRatio, 6)}`).join('; '),
      unitMomentum.some((p) => p.firstStep < 1) &&
        unitMomentum.some((p) => p.firstStep > 1) &&
        unitMomentum.every((p) => Math.abs(p.lastStepRatio - 1) < unitError),
    ),
    verdict(
      'e4.stability-boundary',
      n.stability.map((s) => `mu=${s.momentum}: ${num(s.measured, 4)} vs ${num(s.theory, 4)}`).join('; ') +
        ` (worst ${(100 * worstStability).toFixed(2)}%)`,
      worstStability < bounds('e4.stability-boundary').error,
    ),
  ];
}

export function figures(n: Numbers) {
  const displacementRows = n.pure.flatMap((p) =>
    p.trajectory.displacement.flatMap((d, i) => {
      const step = p.trajectory.steps[i];
      const name = `mu=${p.momentum}, |dw0|=${num(p.firstStep, 2)}`;
      return [
        { step, displacement: d, case: name, source: 'measured' },
        {
          step,
          displacement: closedFormDisplacement(p.firstStep, p.momentum, step),
          case: name,
          source: 'closed form',
        },
      ];
    }),
  );
  const stabilityRows = n.stability.flatMap((s) => [
    { momentum: s.momentum, alpha: s.measured, source: 'measured (bisection)' },
    { momentum: s.momentum, alpha: s.theory, source: 'theory 2(1+mu)/lambda_max' },
  ]);
  // Chart specs are declarative data: each figure writes out its own fields, titles and axes.
  return [
    {
      name: `${ID}-pure-momentum`,
      caption: 'Measured displacement (solid) against the closed form (dashed).',
      spec: lineChart(displacementRows, {
        title: 'Pure momentum on the quadratic: |w_t - w_0|',
        x: { field: 'step', title: 'step t' },
        y: { field: 'displacement', title: '|w_t - w_0| (log)', log: true },
        color: { field: 'case', title: '' },
        strokeDash: { field: 'source', title: '' },
      }),
    },
    {
      name: `${ID}-stability`,
      caption: 'Largest stable learning rate of heavy-ball found by bisection vs 2(1+mu)/lambda_max.',
      spec: lineChart(stabilityRows, {
        title: 'Heavy-ball stability boundary',
        x: { field: 'momentum', title: 'momentum mu' },
        y: { field: 'alpha', title: 'largest stable alpha' },
        color: { field: 'source', title: '' },
      }),
    },
  ];
}

export function table(n: Numbers): CsvRow[] {
  return [
    ...n.pure.map((p) => ({
      part: 'pure-momentum',
      momentum: p.momentum,
      learning_rate: p.learningRate,
      first_step: p.firstStep,
      steps: n.T,
      measured: p.measured,
      predicted: p.predicted,
      relative_error: p.relativeError,
      last_step_ratio: p.lastStepRatio,
      final_loss: p.finalLoss,
    })),
    ...n.stability.map((s) => ({
      part: 'heavy-ball-stability',
      momentum: s.momentum,
      learning_rate: '',
      first_step: '',
      steps: n.steps,
      measured: s.measured,
      predicted: s.theory,
      relative_error: Math.abs(s.ratio - 1),
      last_step_ratio: '',
      final_loss: '',
    })),
  ];
}

export function section(n: Numbers) {
  const limits = markdownTable({
    columns: ['mu', 'step dw_t', 'total displacement |w_t - w_0|', 'measured here'],
    rows: n.pure.map((p) => [
      `${p.momentum} (|dw_0| = ${num(p.firstStep, 3)})`,
      regime(p.momentum),
      p.momentum === 1 ? 't |dw_0|' : '|dw_0| (1 - mu^t)/(1 - mu)',
      `${num(p.measured, 5)} after ${n.T} steps (closed form ${num(p.predicted, 5)}); |dw_T|/|dw_0| = ${num(p.lastStepRatio, 4)}; loss ${num(p.finalLoss, 3)}`,
    ]),
  });
  return {
    text: [
      `f(w) = 1/2 sum lambda_i w_i^2 in ${DIMENSION} dimensions, lambda from 1 to ${LAMBDA_MAX} (condition number ${LAMBDA_MAX}), w_0 = 1. ` +
        'Pure momentum takes one gradient step and then v = mu v, so dw_t = mu^t dw_0 no matter what the loss does. The correct limit table:',
      limits,
      'None of these depends on the loss after the first step; only the learning rate times a fresh gradient at every step makes the trajectory respond to the loss.',
    ],
    tables: [
      {
        caption: 'Heavy-ball stability boundary',
        columns: ['mu', 'measured alpha*', 'theory 2(1+mu)/lambda_max', 'ratio'],
        rows: n.stability.map((s) => [s.momentum, num(s.measured, 5), num(s.theory, 5), num(s.ratio, 4)]),
      },
    ],
  };
}

// The parts every experiment declares, in the one shape of defineExperiment.
export const quadratic = defineExperiment<Numbers>({
  id: ID,
  title: '4. The limits, on a quadratic',
  plan: () => [],
  analyse: (_outcomes, inputs) => analyse(inputs.preset),
  verdicts,
  figures,
  section,
  table,
});
