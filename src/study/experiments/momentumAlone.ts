/**
 * Experiment 1: momentum alone does not learn. SGD and heavy-ball against pure momentum,
 * whose gradient input stops after k steps, with the untrained model as the chance control.
 * From the update rule, after the gradient is cut off the step follows dw_t = mu * dw_{t-1},
 * so for k = 1 the total displacement is alpha * g0 * (1 - mu^T) / (1 - mu): fixed by mu and
 * the first gradient, whatever the loss says afterwards.
 */
import path from 'node:path';
import { lineChart, writeChart } from '../../plot/chart.js';
import { baseConfig, summaryRow, type CsvRow, type ExperimentResult, type StudyContext } from '../context.js';
import { metricAt, series, type RunOutcome, type StudyRun } from '../sweep.js';
import { num, pct, verdict } from '../verdict.js';

export const ID = 'experiment-1-momentum-alone';
const ALPHA = 0.05;
const MU = 0.9;

export function plan(context: StudyContext): StudyRun[] {
  const config = (optimizer: Parameters<typeof baseConfig>[1]) => baseConfig(context.preset, optimizer);
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

/** Full-set train loss at the end of the second-to-last epoch (the start of the last one). */
function lossBeforeLastEpoch(outcome: RunOutcome): number {
  return series(outcome.rows, 'train', 'loss').at(-2)?.value ?? NaN;
}

export async function run(context: StudyContext): Promise<ExperimentResult> {
  const outcomes = await context.sweep(plan(context));
  const [sgd, heavyBall, pure1, pure10] = outcomes;
  const control = { accuracy: sgd.initialTestAccuracy, loss: sgd.initialTestLoss };
  const sameStart = outcomes.every((o) => o.initialTestLoss === control.loss);

  // Closed form for k = 1: |w_T - w_0| = alpha * |g0| * (1 - mu^T) / (1 - mu).
  const steps = pure1.steps;
  const g0 = series(pure1.rows, 'train', 'grad_norm').find((row) => row.step === 1)?.value ?? NaN;
  const predicted = (ALPHA * g0 * (1 - MU ** steps)) / (1 - MU);
  const measured = metricAt(pure1.rows, 'train', 'displacement');
  const displacementError = Math.abs(measured - predicted) / predicted;

  const learners = Math.min(sgd.finalTestAccuracy, heavyBall.finalTestAccuracy);
  const bestPure = Math.max(pure1.finalTestAccuracy, pure10.finalTestAccuracy);
  const gap = learners - bestPure;
  // Over the last epoch: relative change of the full-set train loss, and how far the weights moved
  // relative to their total displacement from the start.
  const lossChange = (o: RunOutcome) => Math.abs(o.finalTrainLoss - lossBeforeLastEpoch(o)) / lossBeforeLastEpoch(o);
  const lastMove = (o: RunOutcome) => {
    const displacement = series(o.rows, 'train', 'displacement').map((row) => row.value);
    return Math.abs((displacement.at(-1) ?? NaN) - (displacement.at(-2) ?? NaN)) / (displacement.at(-1) ?? NaN);
  };
  const frozen = (o: RunOutcome) => lossChange(o) < 1e-3 && lastMove(o) < 1e-3;
  const describeLast = (o: RunOutcome) =>
    `${label(o)}: loss ${(100 * lossChange(o)).toFixed(3)}%, |w - w0| ${(100 * lastMove(o)).toFixed(3)}%`;

  const verdicts = [
    verdict(
      ID,
      'Momentum alone does not learn: pure momentum ends far below SGD and heavy-ball',
      `sgd and heavy-ball reach >= ${pct(context.preset.learnedAccuracy)} test accuracy and both pure-momentum runs stay at least 20 points below the weaker of them`,
      `sgd ${pct(sgd.finalTestAccuracy)}, heavy-ball ${pct(heavyBall.finalTestAccuracy)}, pure momentum k=1 ${pct(pure1.finalTestAccuracy)}, k=10 ${pct(pure10.finalTestAccuracy)} (gap ${(100 * gap).toFixed(1)} points; untrained ${pct(control.accuracy)})`,
      learners >= context.preset.learnedAccuracy && gap >= 0.2,
    ),
    verdict(
      ID,
      'Once the gradient is cut off, the weights stop and the loss stops improving',
      'over the last epoch, for both pure-momentum runs, the full-set train loss changes by less than 0.1% and |w - w0| grows by less than 0.1% (sgd and heavy-ball shown for comparison)',
      [pure1, pure10, sgd, heavyBall].map(describeLast).join('; '),
      frozen(pure1) && frozen(pure10),
    ),
    verdict(
      ID,
      'The weights move by the closed form alpha * g0 * (1 - mu^T) / (1 - mu), predetermined by mu and the first gradient',
      'measured |w_T - w_0| within 0.1% of the closed form (k = 1)',
      `measured ${num(measured, 5)}, closed form ${num(predicted, 5)} (|g0| = ${num(g0, 4)}, T = ${steps}), relative error ${num(displacementError, 2)}`,
      displacementError < 1e-3,
    ),
  ];

  const curves = outcomes.flatMap((o) =>
    series(o.rows, 'train', 'batch_loss').map((row) => ({ step: row.step, loss: row.value, optimizer: label(o) })),
  );
  const accuracy = outcomes.flatMap((o) =>
    series(o.rows, 'test', 'accuracy').map((row) => ({ step: row.step, accuracy: row.value, optimizer: label(o) })),
  );
  const base = path.join(context.plotsDir, ID);
  await writeChart(
    lineChart(curves, {
      title: 'Minibatch loss: momentum alone stops learning',
      x: { field: 'step', title: 'optimizer step' },
      y: { field: 'loss', title: 'cross-entropy (log)', log: true },
      color: { field: 'optimizer', title: 'optimizer' },
    }),
    `${base}-loss`,
  );
  await writeChart(
    lineChart(accuracy, {
      title: 'Test accuracy per epoch',
      x: { field: 'step', title: 'optimizer step' },
      y: { field: 'accuracy', title: 'test accuracy' },
      color: { field: 'optimizer', title: 'optimizer' },
    }),
    `${base}-accuracy`,
  );

  const csv: CsvRow[] = [
    {
      optimizer: 'untrained (control)',
      learning_rate: '',
      momentum: '',
      gradient_steps: '',
      final_test_accuracy: control.accuracy,
      final_test_loss: control.loss,
      train_loss_before_last_epoch: '',
      final_train_loss: '',
      displacement: 0,
      closed_form_displacement: '',
    },
    ...outcomes.map((o) => ({
      optimizer: label(o),
      learning_rate: (o.run.config.optimizer as { learningRate: number }).learningRate,
      momentum: (o.run.config.optimizer as { momentum?: number }).momentum ?? '',
      gradient_steps: (o.run.config.optimizer as { gradientSteps?: number }).gradientSteps ?? '',
      final_test_accuracy: o.finalTestAccuracy,
      final_test_loss: o.finalTestLoss,
      train_loss_before_last_epoch: lossBeforeLastEpoch(o),
      final_train_loss: o.finalTrainLoss,
      displacement: metricAt(o.rows, 'train', 'displacement'),
      closed_form_displacement: o === pure1 ? predicted : '',
    })),
  ];

  return {
    summary: outcomes.map((o) => summaryRow(ID, o)),
    csv,
    section: {
      id: ID,
      title: '1. Momentum alone does not learn',
      text: [
        `Same MLP, same initial weights and data order for every run (${sameStart ? 'checked: identical initial test loss' : '**warning: initial losses differ**'}). ` +
          `SGD uses the step alpha/(1-mu) = ${num(ALPHA / (1 - MU))} that heavy-ball reaches at steady state (alpha = ${ALPHA}, mu = ${MU}). ` +
          `Pure momentum feeds the gradient in for the first k steps only; afterwards v = mu * v.`,
        `After the cut-off every step is mu times the previous one, so the weights glide to a stop after about 1/(1-mu) = ${Math.round(1 / (1 - MU))} steps, wherever the loss is.`,
      ],
      figures: [
        { file: `plots/${ID}-loss`, caption: 'Minibatch loss per step (log scale).' },
        {
          file: `plots/${ID}-accuracy`,
          caption: 'Test accuracy at the end of each epoch (step 0: the untrained model).',
        },
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
          rows: csv.map((r) => [
            String(r.optimizer),
            pct(Number(r.final_test_accuracy)),
            num(Number(r.final_test_loss), 4),
            r.train_loss_before_last_epoch === '' ? '' : num(Number(r.train_loss_before_last_epoch), 4),
            r.final_train_loss === '' ? '' : num(Number(r.final_train_loss), 4),
            num(Number(r.displacement), 4),
          ]),
        },
      ],
      verdicts,
    },
  };
}
