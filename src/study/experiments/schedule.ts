/**
 * Experiment 6: halving the learning rate mid-training under the two conventions.
 * TF.js / PyTorch put the rate outside the velocity (v = mu v + g; w -= alpha v): the step
 * halves at once. Keras puts it inside (v = mu v + alpha g; w -= v): the velocity still
 * holds the old rate's gradients and the step shrinks over about 1/(1 - mu) steps.
 */
import path from 'node:path';
import { lineChart, writeChart } from '../../plot/chart.js';
import { baseConfig, summaryRow, type CsvRow, type ExperimentResult, type StudyContext } from '../context.js';
import { series, type RunOutcome, type StudyRun } from '../sweep.js';
import { mean } from '../stats.js';
import { num, verdict } from '../verdict.js';

export const ID = 'experiment-6-learning-rate-schedule';
const ALPHA = 0.05;
const MU = 0.9;
/** Steps averaged on each side of the switch. */
const WINDOW = 3;

function switchStep(context: StudyContext): number {
  const trainCount = Math.min(context.dataset.train.count, context.preset.trainLimit ?? Infinity);
  return Math.ceil(trainCount / context.preset.batchSize); // after the first epoch
}

export function plan(context: StudyContext): StudyRun[] {
  const learningRate = { values: [ALPHA, ALPHA / 2], boundaries: [switchStep(context)] };
  const config = (kind: 'heavy-ball' | 'keras-momentum') =>
    baseConfig(context.preset, { kind, learningRate, momentum: MU } as never, {
      normEvery: 1,
      epochs: Math.min(2, context.preset.epochs),
    });
  return [
    { id: 'e6-rate-outside-velocity', experiment: ID, config: config('heavy-ball') },
    { id: 'e6-rate-inside-velocity', experiment: ID, config: config('keras-momentum') },
  ];
}

/** Mean update norm over the WINDOW steps after the switch (and `later` steps on) over the WINDOW steps before it. */
function responseRatio(outcome: RunOutcome, boundary: number, later = 0): number {
  const norms = new Map(series(outcome.rows, 'train', 'update_norm').map((row) => [row.step, row.value]));
  const window = (from: number) => mean(Array.from({ length: WINDOW }, (_, i) => norms.get(from + i) ?? NaN));
  return window(boundary + 1 + later) / window(boundary + 1 - WINDOW);
}

export async function run(context: StudyContext): Promise<ExperimentResult> {
  const outcomes = await context.sweep(plan(context));
  const boundary = switchStep(context);
  const [outside, inside] = outcomes;
  const settle = Math.round(3 / (1 - MU));
  const immediate = { outside: responseRatio(outside, boundary), inside: responseRatio(inside, boundary) };
  const settled = {
    outside: responseRatio(outside, boundary, settle),
    inside: responseRatio(inside, boundary, settle),
  };
  const verdicts = [
    verdict(
      ID,
      'With the rate outside the velocity (TF.js, PyTorch) halving it halves the step at once',
      `mean update norm over the ${WINDOW} steps after the switch / the ${WINDOW} before is below 0.65 (0.5 = halved at once)`,
      `ratio ${num(immediate.outside)} (after ${settle} more steps: ${num(settled.outside)})`,
      immediate.outside < 0.65,
    ),
    // Both runs take identical steps until the switch, so comparing them removes whatever trend
    // the step size had anyway at that point of training.
    verdict(
      ID,
      'With the rate inside the velocity (Keras) the step shrinks gradually',
      `right after the switch the Keras ratio is at least 1.3x the TF.js one, and ${settle} steps later the two are within 10% of each other`,
      `ratio right after: inside ${num(immediate.inside)} vs outside ${num(immediate.outside)} (x${num(immediate.inside / immediate.outside)}); after ${settle} steps: ${num(settled.inside)} vs ${num(settled.outside)}`,
      immediate.inside >= 1.3 * immediate.outside && Math.abs(settled.inside / settled.outside - 1) <= 0.1,
    ),
  ];
  const from = Math.max(1, boundary - 20);
  const to = boundary + 3 * settle;
  const rows = outcomes.flatMap((o, i) =>
    series(o.rows, 'train', 'update_norm')
      .filter((r) => r.step >= from && r.step <= to)
      .map((row) => ({
        step: row.step,
        update_norm: row.value,
        convention: i === 0 ? 'rate outside velocity (TF.js / PyTorch)' : 'rate inside velocity (Keras)',
      })),
  );
  await writeChart(
    lineChart(rows, {
      title: `Update norm around the switch at step ${boundary} (alpha ${ALPHA} -> ${ALPHA / 2})`,
      x: { field: 'step', title: 'optimizer step' },
      y: { field: 'update_norm', title: '|w_t - w_{t-1}|' },
      color: { field: 'convention', title: '' },
    }),
    path.join(context.plotsDir, `${ID}-update-norm`),
  );
  const csv: CsvRow[] = outcomes.map((o, i) => ({
    convention: i === 0 ? 'outside' : 'inside',
    optimizer: o.run.config.optimizer.kind,
    switch_step: boundary,
    ratio_right_after: i === 0 ? immediate.outside : immediate.inside,
    ratio_after_settling: i === 0 ? settled.outside : settled.inside,
    settle_steps: settle,
    final_test_accuracy: o.finalTestAccuracy,
  }));
  return {
    summary: outcomes.map((o) => summaryRow(ID, o)),
    csv,
    section: {
      id: ID,
      title: '6. Beyond the question: where the learning rate sits',
      text: [
        `Both runs use alpha = ${ALPHA}, mu = ${MU} and halve alpha after step ${boundary}. With the rate outside the velocity the step is alpha * v, so it halves immediately; ` +
          'with the rate inside (Keras: m = mu m - alpha g; w += m) the velocity still carries gradients scaled by the old rate and forgets them at rate mu. ' +
          'The two conventions train identically at a constant rate and differ only when the rate changes.',
      ],
      figures: [{ file: `plots/${ID}-update-norm`, caption: 'Update norm per step around the switch.' }],
      tables: [
        {
          caption: 'Step size after the switch relative to before',
          columns: ['convention', 'right after', `after ${settle} steps`],
          rows: [
            ['outside (TF.js / PyTorch)', num(immediate.outside), num(settled.outside)],
            ['inside (Keras)', num(immediate.inside), num(settled.inside)],
          ],
        },
      ],
      verdicts,
    },
  };
}
