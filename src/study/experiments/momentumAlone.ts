/**
 * Experiment 1: momentum alone does not learn. SGD and heavy-ball against pure momentum,
 * whose gradient input stops after k steps, with the untrained model as the chance control.
 * From the update rule, after the gradient is cut off the step follows dw_t = mu * dw_{t-1},
 * so for k = 1 the total displacement is alpha * g0 * (1 - mu^T) / (1 - mu): fixed by mu and
 * the first gradient, whatever the loss says afterwards.
 */
import { lineChart } from '../../plot/chart.js';
import { bounds } from '../criteria.js';
import { baseConfig, type CsvRow } from '../context.js';
import { defineExperiment } from '../experiment.js';
import type { StudyPreset } from '../presets.js';
import { metricAt, series, type RunOutcome, type StudyRun } from '../sweep.js';
import { num, pct, verdict } from '../verdict.js';

export const ID = 'experiment-1-momentum-alone';
const ALPHA = 0.05;
const MU = 0.9;

export function plan(preset: StudyPreset): StudyRun[] {
  const config = (optimizer: Parameters<typeof baseConfig>[1]) => baseConfig(preset, optimizer);
  return [
    // SGD with the same effective step as heavy-ball: alpha / (1 - mu).
    { id: 'e1-sgd', experiment: ID, config: config({ kind: 'sgd', learningRate: ALPHA / (1 - MU) }) },
    { id: 'e1-heavy-ball', experiment: ID, config: config({ kind: 'heavy-ball', learningRate: ALPHA, momentum: MU }) },
    {
      id: 'e1-pure-momentum-k1',
      experiment: ID,
      config: config({ kind: 'pure-momentum', learningRate: ALPHA, momentum: MU, gradientSteps: 1 }),
    },
    {
      id: 'e1-pure-momentum-k10',
      experiment: ID,
      config: config({ kind: 'pure-momentum', learningRate: ALPHA, momentum: MU, gradientSteps: 10 }),
    },
  ];
}

function label(outcome: RunOutcome): string {
  const spec = outcome.run.config.optimizer as { kind: string; gradientSteps?: number };
  return spec.kind === 'pure-momentum' ? `pure-momentum (k=${spec.gradientSteps})` : spec.kind;
}

/** What one run contributes: its accuracy, and how much loss and weights still changed in the last epoch. */
export interface RunNumbers {
  label: string;
  learningRate: number;
  momentum: number | '';
  gradientSteps: number | '';
  finalTestAccuracy: number;
  finalTestLoss: number;
  lossBeforeLastEpoch: number;
  finalTrainLoss: number;
  displacement: number;
  /** Relative change of the full-set train loss over the last epoch (signed: negative = improved). */
  lastEpochLossChange: number;
  /** Growth of |w - w0| over the last epoch, relative to |w - w0| at the end. */
  lastEpochMove: number;
  curve: { step: number; loss: number }[];
  accuracyCurve: { step: number; accuracy: number }[];
}

export interface Numbers {
  learnedAccuracy: number;
  control: { accuracy: number; loss: number };
  sameStart: boolean;
  runs: { sgd: RunNumbers; heavyBall: RunNumbers; pure1: RunNumbers; pure10: RunNumbers };
  closedForm: { steps: number; g0: number; predicted: number; measured: number; error: number };
}

function runNumbers(o: RunOutcome): RunNumbers {
  const spec = o.run.config.optimizer as { learningRate: number; momentum?: number; gradientSteps?: number };
  const trainLoss = series(o.rows, 'train', 'loss');
  const displacement = series(o.rows, 'train', 'displacement').map((row) => row.value);
  const before = trainLoss.at(-2)?.value ?? NaN;
  const last = displacement.at(-1) ?? NaN;
  return {
    label: label(o),
    learningRate: spec.learningRate,
    momentum: spec.momentum ?? '',
    gradientSteps: spec.gradientSteps ?? '',
    finalTestAccuracy: o.finalTestAccuracy,
    finalTestLoss: o.finalTestLoss,
    lossBeforeLastEpoch: before,
    finalTrainLoss: o.finalTrainLoss,
    displacement: metricAt(o.rows, 'train', 'displacement'),
    lastEpochLossChange: (o.finalTrainLoss - before) / before,
    lastEpochMove: (last - (displacement.at(-2) ?? NaN)) / last,
    curve: series(o.rows, 'train', 'batch_loss').map((row) => ({ step: row.step, loss: row.value })),
    accuracyCurve: series(o.rows, 'test', 'accuracy').map((row) => ({ step: row.step, accuracy: row.value })),
  };
}

export function analyse(outcomes: readonly RunOutcome[], preset: StudyPreset): Numbers {
  const [sgd, heavyBall, pure1, pure10] = outcomes;
  // Closed form for k = 1: |w_T - w_0| = alpha * |g0| * (1 - mu^T) / (1 - mu).
  const steps = pure1.steps;
  const g0 = series(pure1.rows, 'train', 'grad_norm').find((row) => row.step === 1)?.value ?? NaN;
  const predicted = (ALPHA * g0 * (1 - MU ** steps)) / (1 - MU);
  const measured = metricAt(pure1.rows, 'train', 'displacement');
  return {
    learnedAccuracy: preset.learnedAccuracy,
    control: { accuracy: sgd.initialTestAccuracy, loss: sgd.initialTestLoss },
    sameStart: outcomes.every((o) => o.initialTestLoss === sgd.initialTestLoss),
    runs: {
      sgd: runNumbers(sgd),
      heavyBall: runNumbers(heavyBall),
      pure1: runNumbers(pure1),
      pure10: runNumbers(pure10),
    },
    closedForm: { steps, g0, predicted, measured, error: Math.abs(measured - predicted) / predicted },
  };
}

function describeLast(r: RunNumbers): string {
  const signed = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(3)}%`;
  return `${r.label}: loss ${signed(r.lastEpochLossChange)}, |w - w0| ${signed(r.lastEpochMove)}`;
}

export function verdicts(n: Numbers) {
  const { sgd, heavyBall, pure1, pure10 } = n.runs;
  const learners = Math.min(sgd.finalTestAccuracy, heavyBall.finalTestAccuracy);
  const gap = learners - Math.max(pure1.finalTestAccuracy, pure10.finalTestAccuracy);
  const stop = bounds('e1.weights-stop').change;
  const frozen = (r: RunNumbers) => Math.abs(r.lastEpochLossChange) < stop && Math.abs(r.lastEpochMove) < stop;
  return [
    verdict(
      'e1.momentum-alone-stalls',
      `sgd ${pct(sgd.finalTestAccuracy)}, heavy-ball ${pct(heavyBall.finalTestAccuracy)}, pure momentum k=1 ${pct(pure1.finalTestAccuracy)}, k=10 ${pct(pure10.finalTestAccuracy)} (gap ${(100 * gap).toFixed(1)} points; untrained ${pct(n.control.accuracy)}; learned = ${pct(n.learnedAccuracy)})`,
      learners >= n.learnedAccuracy && gap >= bounds('e1.momentum-alone-stalls').gap,
    ),
    verdict(
      'e1.weights-stop',
      [pure1, pure10, sgd, heavyBall].map(describeLast).join('; '),
      frozen(pure1) && frozen(pure10),
    ),
    verdict(
      'e1.closed-form-displacement',
      `measured ${num(n.closedForm.measured, 5)}, closed form ${num(n.closedForm.predicted, 5)} (|g0| = ${num(n.closedForm.g0, 4)}, T = ${n.closedForm.steps}), relative error ${num(n.closedForm.error, 2)}`,
      n.closedForm.error < bounds('e1.closed-form-displacement').error,
    ),
  ];
}

const allRuns = (n: Numbers) => [n.runs.sgd, n.runs.heavyBall, n.runs.pure1, n.runs.pure10];

export function figures(n: Numbers) {
  const curves = allRuns(n).flatMap((r) => r.curve.map((p) => ({ ...p, optimizer: r.label })));
  const accuracy = allRuns(n).flatMap((r) => r.accuracyCurve.map((p) => ({ ...p, optimizer: r.label })));
  return [
    {
      name: `${ID}-loss`,
      caption: 'Minibatch loss per step (log scale).',
      spec: lineChart(curves, {
        title: 'Minibatch loss: momentum alone stops learning',
        x: { field: 'step', title: 'optimizer step' },
        y: { field: 'loss', title: 'cross-entropy (log)', log: true },
        color: { field: 'optimizer', title: 'optimizer' },
      }),
    },
    {
      name: `${ID}-accuracy`,
      caption: 'Test accuracy at the end of each epoch (step 0: the untrained model).',
      spec: lineChart(accuracy, {
        title: 'Test accuracy per epoch',
        x: { field: 'step', title: 'optimizer step' },
        y: { field: 'accuracy', title: 'test accuracy' },
        color: { field: 'optimizer', title: 'optimizer' },
      }),
    },
  ];
}

export function table(n: Numbers): CsvRow[] {
  const control: CsvRow = {
    optimizer: 'untrained (control)',
    learning_rate: '',
    momentum: '',
    gradient_steps: '',
    final_test_accuracy: n.control.accuracy,
    final_test_loss: n.control.loss,
    train_loss_before_last_epoch: '',
    final_train_loss: '',
    displacement: 0,
    closed_form_displacement: '',
  };
  return [
    control,
    ...allRuns(n).map((r) => ({
      optimizer: r.label,
      learning_rate: r.learningRate,
      momentum: r.momentum,
      gradient_steps: r.gradientSteps,
      final_test_accuracy: r.finalTestAccuracy,
      final_test_loss: r.finalTestLoss,
      train_loss_before_last_epoch: r.lossBeforeLastEpoch,
      final_train_loss: r.finalTrainLoss,
      displacement: r.displacement,
      closed_form_displacement: r === n.runs.pure1 ? n.closedForm.predicted : '',
    })),
  ];
}

export function section(n: Numbers) {
  const rows = table(n);
  const optional = (value: CsvRow[string]) => (value === '' ? '' : num(Number(value), 4));
  return {
    text: [
      `Same MLP, same initial weights and data order for every run (${n.sameStart ? 'checked: identical initial test loss' : '**warning: initial losses differ**'}). ` +
        `SGD uses the step alpha/(1-mu) = ${num(ALPHA / (1 - MU))} that heavy-ball reaches at steady state (alpha = ${ALPHA}, mu = ${MU}). ` +
        `Pure momentum feeds the gradient in for the first k steps only; afterwards v = mu * v.`,
      `After the cut-off every step is mu times the previous one, so the weights glide to a stop after about 1/(1-mu) = ${Math.round(1 / (1 - MU))} steps, wherever the loss is.`,
    ],
    tables: [
      {
        caption: 'Final results (test accuracy on the held-out split)',
        columns: [
          'optimizer',
          'test accuracy',
          'test loss',
          'train loss before the last epoch',
          'final train loss',
          '|w_T - w_0|',
        ],
        rows: rows.map((r) => [
          String(r.optimizer),
          pct(Number(r.final_test_accuracy)),
          num(Number(r.final_test_loss), 4),
          optional(r.train_loss_before_last_epoch),
          optional(r.final_train_loss),
          num(Number(r.displacement), 4),
        ]),
      },
    ],
  };
}

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
