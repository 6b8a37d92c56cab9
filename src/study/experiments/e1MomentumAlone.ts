/**
 * Experiment 1: momentum alone does not learn. SGD and heavy-ball at their learning rates
 * chosen on the validation split, against pure momentum (the heavy-ball setting whose gradient
 * input stops after k steps), over several seeds with the same initial weights and data order
 * across optimizers for a seed; the untrained model is the chance control. From the update
 * rule, after the gradient is cut off the step follows dw_t = mu * dw_{t-1}, so for k = 1 the
 * total displacement is alpha * g0 * (1 - mu^T) / (1 - mu): fixed by mu and the first gradient.
 */
import { lineChart } from '../../plot/chart.js';
import { bounds } from '../criteria.js';
import { baseConfig, hyperValue, type CsvRow } from '../context.js';
import { defineExperiment, type PlanInputs } from '../experiment.js';
import { finalSeeds, type StudyPreset } from '../presets.js';
import { metricAt, series, type RunOutcome, type StudyRun } from '../../exec/runBatch.js';
import {
  allClaimsPValue,
  allOf,
  decideInterval,
  decideWithin,
  formatInterval,
  fractionInterval,
  type Interval,
  intervalCell,
  tInterval,
} from '../../util/intervals.js';
import { controlVerdict, verdict } from '../verdict.js';
import { formatNumber as num, formatPercent as pct } from '../../util/format.js';

export const ID = 'experiment-1-momentum-alone';
const MU = 0.9;
export const ROLES = ['sgd', 'heavy-ball', 'pure-k1', 'pure-k10'] as const;
export type Role = (typeof ROLES)[number];

function spec(role: Role, inputs: PlanInputs) {
  const alpha = inputs.tuned.learningRate('heavy-ball', MU);
  if (role === 'sgd') return { kind: 'sgd' as const, learningRate: inputs.tuned.learningRate('sgd', 0) };
  if (role === 'heavy-ball') return { kind: 'heavy-ball' as const, learningRate: alpha, momentum: MU };
  const gradientSteps = role === 'pure-k1' ? 1 : 10;
  return { kind: 'pure-momentum' as const, learningRate: alpha, momentum: MU, gradientSteps };
}

/**
 * At least three epochs: the last epoch's share of pure momentum's glide is mu^T of it, T the
 * steps before that epoch (less the gradient steps), and e1.weights-stop needs it far below its
 * bound; with two epochs of 54 steps, pure-k10 still moves 0.9^44 = 1% of its glide in the last.
 */
const MIN_EPOCHS = 3;

export function plan(preset: StudyPreset, inputs: PlanInputs): StudyRun[] {
  const epochs = Math.max(preset.epochs, MIN_EPOCHS);
  return finalSeeds(preset).flatMap((seed) =>
    ROLES.map((role) => ({
      id: `e1-${role}-seed${seed}`,
      experiment: ID,
      config: baseConfig(preset, spec(role, inputs), { seed, epochs }),
    })),
  );
}

/** What one run contributes. */
export interface RunNumbers {
  role: Role;
  seed: number;
  learningRate: number;
  finalTestAccuracy: number;
  finalTestLoss: number;
  initialTestAccuracy: number;
  initialTestLoss: number;
  /** Relative change of the full-set train loss over the last epoch, signed (negative = improved). */
  lastEpochLossChange: number;
  /** Growth of |w - w0| over the last epoch, relative to |w - w0| at the end (signed). */
  lastEpochMove: number;
  displacement: number;
  /** |g0| at step 1 (NaN when norms were not measured). */
  firstGradient: number;
  steps: number;
  curve: { step: number; loss: number }[];
}

export interface Numbers {
  learnedAccuracy: number;
  momentum: number;
  runs: RunNumbers[];
}

function roleOf(o: RunOutcome): Role {
  const s = o.run.config.optimizer as { kind: string; gradientSteps?: number };
  if (s.kind === 'pure-momentum') return s.gradientSteps === 1 ? 'pure-k1' : 'pure-k10';
  return s.kind as Role;
}

export function runNumbers(o: RunOutcome): RunNumbers {
  const trainLoss = series(o.rows, 'train', 'loss').map((row) => row.value);
  const displacement = series(o.rows, 'train', 'displacement').map((row) => row.value);
  const before = trainLoss.at(-2) ?? NaN;
  const last = displacement.at(-1) ?? NaN;
  return {
    role: roleOf(o),
    seed: o.run.config.seed,
    learningRate: hyperValue((o.run.config.optimizer as { learningRate: number }).learningRate),
    finalTestAccuracy: o.finalTestAccuracy,
    finalTestLoss: o.finalTestLoss,
    initialTestAccuracy: o.initialTestAccuracy,
    initialTestLoss: o.initialTestLoss,
    lastEpochLossChange: (o.finalTrainLoss - before) / before,
    lastEpochMove: (last - (displacement.at(-2) ?? NaN)) / last,
    displacement: metricAt(o.rows, 'train', 'displacement'),
    firstGradient: series(o.rows, 'train', 'grad_norm').find((row) => row.step === 1)?.value ?? NaN,
    steps: o.steps,
    curve: series(o.rows, 'train', 'batch_loss').map((row) => ({ step: row.step, loss: row.value })),
  };
}

export function analyse(outcomes: readonly RunOutcome[], preset: StudyPreset): Numbers {
  return { learnedAccuracy: preset.learnedAccuracy, momentum: MU, runs: outcomes.map(runNumbers) };
}

/** Runs of one role, in seed order. */
export function byRole(n: Numbers, role: Role): RunNumbers[] {
  return n.runs.filter((r) => r.role === role).sort((a, b) => a.seed - b.seed);
}

const perSeed = (n: Numbers, f: (run: Record<Role, RunNumbers>) => number): number[] =>
  byRole(n, 'sgd').map((sgd, i) =>
    f({
      sgd,
      'heavy-ball': byRole(n, 'heavy-ball')[i],
      'pure-k1': byRole(n, 'pure-k1')[i],
      'pure-k10': byRole(n, 'pure-k10')[i],
    }),
  );

/** Closed-form displacement of pure momentum with k = 1: alpha |g0| (1 - mu^T) / (1 - mu). */
export function closedForm(run: RunNumbers, momentum: number): number {
  return (run.learningRate * run.firstGradient * (1 - momentum ** run.steps)) / (1 - momentum);
}

export function closedFormError(run: RunNumbers, momentum: number): number {
  return Math.abs(run.displacement - closedForm(run, momentum)) / closedForm(run, momentum);
}

/** Accuracies and accuracy gaps in percentage points. */
const ci = (i: Interval) => formatInterval(i, (x) => (100 * x).toFixed(1));

function stallVerdicts(n: Numbers) {
  const weaker = (r: Record<Role, RunNumbers>) => Math.min(r.sgd.finalTestAccuracy, r['heavy-ball'].finalTestAccuracy);
  const gap = tInterval(
    perSeed(n, (r) => weaker(r) - Math.max(r['pure-k1'].finalTestAccuracy, r['pure-k10'].finalTestAccuracy)),
  );
  const learned = fractionInterval(perSeed(n, weaker));
  const control = tInterval(perSeed(n, (r) => weaker(r) - r['heavy-ball'].finalTestAccuracy));
  const bound = bounds('e1.momentum-alone-stalls').gap;
  const learnedOutcome = decideInterval(learned, 'above', n.learnedAccuracy);
  return [
    verdict(
      'e1.momentum-alone-stalls',
      `gap in points ${ci(gap)}; weaker learner ${ci(learned)} (learned = ${pct(n.learnedAccuracy)})`,
      allOf([learnedOutcome, decideInterval(gap, 'above', bound)]),
      allClaimsPValue([
        { interval: learned, side: 'above', bound: n.learnedAccuracy },
        { interval: gap, side: 'above', bound },
      ]),
    ),
    controlVerdict(
      'e1.momentum-alone-stalls',
      'heavy-ball in place of pure momentum',
      `gap in points ${ci(control)} (the learned-accuracy part is the same as above)`,
      decideInterval(control, 'above', bound),
    ),
  ];
}

function stopInterval(runs: RunNumbers[]) {
  return { loss: tInterval(runs.map((r) => r.lastEpochLossChange)), move: tInterval(runs.map((r) => r.lastEpochMove)) };
}

function stopVerdicts(n: Numbers) {
  const b = bounds('e1.weights-stop').change;
  const stopped = (runs: RunNumbers[]) => {
    const { loss, move } = stopInterval(runs);
    return allOf([decideWithin(loss, -b, b), decideWithin(move, -b, b)]);
  };
  const describe = (role: Role) => {
    const { loss, move } = stopInterval(byRole(n, role));
    const signed = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(3)}%`;
    return `${role}: loss change ${formatInterval(loss, signed)}, |w - w0| growth ${formatInterval(move, signed)}`;
  };
  return [
    verdict(
      'e1.weights-stop',
      `${describe('pure-k1')}; ${describe('pure-k10')}`,
      allOf([stopped(byRole(n, 'pure-k1')), stopped(byRole(n, 'pure-k10'))]),
    ),
    controlVerdict(
      'e1.weights-stop',
      'sgd at its tuned alpha, which keeps learning',
      describe('sgd'),
      stopped(byRole(n, 'sgd')),
    ),
  ];
}

export function verdicts(n: Numbers) {
  const pure = byRole(n, 'pure-k1');
  const errors = pure.map((r) => closedFormError(r, n.momentum));
  const worst = Math.max(...errors);
  return [
    ...stallVerdicts(n),
    ...stopVerdicts(n),
    verdict(
      'e1.closed-form-displacement',
      `worst relative error over ${pure.length} seeds ${num(worst, 2)} (seed ${pure[0]?.seed}: measured ${num(pure[0]?.displacement ?? NaN, 5)}, closed form ${num(pure[0] ? closedForm(pure[0], n.momentum) : NaN, 5)}, T = ${pure[0]?.steps})`,
      pure.length === 0 ? null : worst < bounds('e1.closed-form-displacement').error,
    ),
  ];
}

const LABEL: Record<Role, string> = {
  sgd: 'sgd',
  'heavy-ball': 'heavy-ball',
  'pure-k1': 'pure-momentum (k=1)',
  'pure-k10': 'pure-momentum (k=10)',
};

export function figures(n: Numbers) {
  const seed = byRole(n, 'sgd')[0]?.seed;
  const curves = n.runs
    .filter((r) => r.seed === seed)
    .flatMap((r) => r.curve.map((p) => ({ ...p, optimizer: LABEL[r.role] })));
  return [
    {
      name: `${ID}-loss`,
      caption: `Minibatch loss per step (log scale), seed ${seed}; the other seeds look alike (table below).`,
      spec: lineChart(curves, {
        title: 'Minibatch loss: momentum alone stops learning',
        x: { field: 'step', title: 'optimizer step' },
        y: { field: 'loss', title: 'cross-entropy (log)', log: true },
        color: { field: 'optimizer', title: 'optimizer' },
      }),
    },
  ];
}

export function table(n: Numbers): CsvRow[] {
  return n.runs.map((r) => ({
    optimizer: LABEL[r.role],
    seed: r.seed,
    learning_rate: r.learningRate,
    initial_test_accuracy: r.initialTestAccuracy,
    final_test_accuracy: r.finalTestAccuracy,
    final_test_loss: r.finalTestLoss,
    last_epoch_train_loss_change: r.lastEpochLossChange,
    last_epoch_displacement_growth: r.lastEpochMove,
    displacement: r.displacement,
    closed_form_displacement: r.role === 'pure-k1' ? closedForm(r, n.momentum) : '',
  }));
}

export function section(n: Numbers) {
  const signed = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)}%`;
  const rows = ROLES.map((role) => {
    const runs = byRole(n, role);
    const stat = (f: (r: RunNumbers) => number) => tInterval(runs.map(f));
    return [
      LABEL[role],
      runs[0] ? num(runs[0].learningRate) : '',
      intervalCell(
        stat((r) => r.finalTestAccuracy),
        pct,
      ),
      intervalCell(
        stat((r) => r.finalTestLoss),
        (x) => num(x, 4),
      ),
      intervalCell(
        stat((r) => r.lastEpochLossChange),
        signed,
      ),
      intervalCell(
        stat((r) => r.lastEpochMove),
        signed,
      ),
      runs.length,
    ];
  });
  const untrained = fractionInterval(byRole(n, 'sgd').map((r) => r.initialTestAccuracy));
  rows.unshift(['untrained (chance control)', '', intervalCell(untrained, pct), '', '', '', untrained.n]);
  return {
    text: [
      `sgd and heavy-ball (mu = ${n.momentum}) use the learning rates chosen on the validation split in experiment 3; pure momentum uses heavy-ball's setting and feeds the gradient in for the first k steps only (afterwards v = mu * v). ` +
        'For each seed every optimizer starts from the same initial weights and sees the same data order (a paired design).',
      `After the cut-off every step is mu times the previous one, so the weights glide to a stop after about 1/(1-mu) = ${Math.round(1 / (1 - n.momentum))} steps, wherever the loss is.`,
    ],
    tables: [
      {
        caption:
          'Final results on the test split: mean [95% t interval] over seeds. Last-epoch changes are signed (negative loss change = improved).',
        columns: [
          'optimizer',
          'alpha',
          'test accuracy',
          'test loss',
          'train loss change, last epoch',
          '|w - w0| growth, last epoch',
          'n',
        ],
        rows,
      },
    ],
  };
}

// The parts every experiment declares, in the one shape of defineExperiment.
export const momentumAlone = defineExperiment<Numbers>({
  id: ID,
  title: '1. Momentum alone does not learn',
  plan,
  analyse: (outcomes, inputs) => analyse(outcomes, inputs.preset),
  verdicts,
  figures,
  section,
  table,
});
