/**
 * Experiment 6: halving the learning rate mid-training under the two conventions.
 * TF.js / PyTorch put the rate outside the velocity (v = mu v + g; w -= alpha v): the step
 * halves at once. Keras puts it inside (v = mu v + alpha g; w -= v): the velocity still
 * holds the old rate's gradients and the step shrinks over about 1/(1 - mu) steps.
 */
import { lineChart } from '../../plot/chart.js';
import { bounds } from '../criteria.js';
import { baseConfig, type CsvRow } from '../context.js';
import { defineExperiment, type PlanInputs } from '../experiment.js';
import type { StudyPreset } from '../presets.js';
import { series, type RunOutcome, type StudyRun } from '../sweep.js';
import { mean } from '../../util/stats.js';
import { num, verdict } from '../verdict.js';

export const ID = 'experiment-6-learning-rate-schedule';
const ALPHA = 0.05;
const MU = 0.9;
/** Steps averaged on each side of the switch. */
const WINDOW = 3;
/** Steps after which the Keras velocity holds mu^30 = 4% of the old rate's gradients. */
const SETTLE = Math.round(3 / (1 - MU));

/** The switch comes after the first epoch. */
function switchStep(preset: StudyPreset, trainCount: number): number {
  return Math.ceil(trainCount / preset.batchSize);
}

export function plan(preset: StudyPreset, inputs: PlanInputs): StudyRun[] {
  const learningRate = { values: [ALPHA, ALPHA / 2], boundaries: [switchStep(preset, inputs.trainCount)] };
  const config = (kind: 'heavy-ball' | 'keras-momentum') =>
    baseConfig(preset, { kind, learningRate, momentum: MU } as never, {
      normEvery: 1,
      epochs: Math.min(2, preset.epochs),
    });
  return [
    { id: 'e6-rate-outside-velocity', experiment: ID, config: config('heavy-ball') },
    { id: 'e6-rate-inside-velocity', experiment: ID, config: config('keras-momentum') },
  ];
}

/** Mean update norm over the WINDOW steps after the switch (and `later` steps on) over the WINDOW steps before it. */
function responseRatio(norms: ReadonlyMap<number, number>, boundary: number, later = 0): number {
  const window = (from: number) => mean(Array.from({ length: WINDOW }, (_, i) => norms.get(from + i) ?? NaN));
  return window(boundary + 1 + later) / window(boundary + 1 - WINDOW);
}

export interface Convention {
  name: 'outside' | 'inside';
  kind: string;
  immediate: number;
  settled: number;
  finalTestAccuracy: number;
  updateNorms: { step: number; value: number }[];
}

export interface Numbers {
  boundary: number;
  outside: Convention;
  inside: Convention;
}

function convention(name: Convention['name'], o: RunOutcome, boundary: number): Convention {
  const updates = series(o.rows, 'train', 'update_norm').map((row) => ({ step: row.step, value: row.value }));
  const norms = new Map(updates.map((row) => [row.step, row.value]));
  return {
    name,
    kind: o.run.config.optimizer.kind,
    immediate: responseRatio(norms, boundary),
    settled: responseRatio(norms, boundary, SETTLE),
    finalTestAccuracy: o.finalTestAccuracy,
    updateNorms: updates,
  };
}

export function analyse(outcomes: readonly RunOutcome[], preset: StudyPreset, inputs: PlanInputs): Numbers {
  const boundary = switchStep(preset, inputs.trainCount);
  return {
    boundary,
    outside: convention('outside', outcomes[0], boundary),
    inside: convention('inside', outcomes[1], boundary),
  };
}

export function verdicts(n: Numbers) {
  const { outside, inside } = n;
  const gradual = bounds('e6.inside-gradual');
  return [
    verdict(
      'e6.outside-halves',
      `ratio ${num(outside.immediate)} (after ${SETTLE} more steps: ${num(outside.settled)})`,
      outside.immediate < bounds('e6.outside-halves').ratio,
    ),
    verdict(
      'e6.inside-gradual',
      `ratio right after: inside ${num(inside.immediate)} vs outside ${num(outside.immediate)} (x${num(inside.immediate / outside.immediate)}); after ${SETTLE} steps: ${num(inside.settled)} vs ${num(outside.settled)}`,
      inside.immediate >= gradual.factor * outside.immediate &&
        Math.abs(inside.settled / outside.settled - 1) <= gradual.settled,
    ),
  ];
}

const CONVENTION_LABEL = {
  outside: 'rate outside velocity (TF.js / PyTorch)',
  inside: 'rate inside velocity (Keras)',
} as const;

export function figures(n: Numbers) {
  const from = Math.max(1, n.boundary - 20);
  const to = n.boundary + 3 * SETTLE;
  const rows = [n.outside, n.inside].flatMap((c) =>
    c.updateNorms
      .filter((r) => r.step >= from && r.step <= to)
      .map((r) => ({ step: r.step, update_norm: r.value, convention: CONVENTION_LABEL[c.name] })),
  );
  return [
    {
      name: `${ID}-update-norm`,
      caption: 'Update norm per step around the switch.',
      spec: lineChart(rows, {
        title: `Update norm around the switch at step ${n.boundary} (alpha ${ALPHA} -> ${ALPHA / 2})`,
        x: { field: 'step', title: 'optimizer step' },
        y: { field: 'update_norm', title: '|w_t - w_{t-1}|' },
        color: { field: 'convention', title: '' },
      }),
    },
  ];
}

export function table(n: Numbers): CsvRow[] {
  return [n.outside, n.inside].map((c) => ({
    convention: c.name,
    optimizer: c.kind,
    switch_step: n.boundary,
    ratio_right_after: c.immediate,
    ratio_after_settling: c.settled,
    settle_steps: SETTLE,
    final_test_accuracy: c.finalTestAccuracy,
  }));
}

export function section(n: Numbers) {
  return {
    text: [
      `Both runs use alpha = ${ALPHA}, mu = ${MU} and halve alpha after step ${n.boundary}. With the rate outside the velocity the step is alpha * v, so it halves immediately; ` +
        'with the rate inside (Keras: m = mu m - alpha g; w += m) the velocity still carries gradients scaled by the old rate and forgets them at rate mu. ' +
        'The two conventions train identically at a constant rate and differ only when the rate changes.',
    ],
    tables: [
      {
        caption: 'Step size after the switch relative to before',
        columns: ['convention', 'right after', `after ${SETTLE} steps`],
        rows: [
          ['outside (TF.js / PyTorch)', num(n.outside.immediate), num(n.outside.settled)],
          ['inside (Keras)', num(n.inside.immediate), num(n.inside.settled)],
        ],
      },
    ],
  };
}

export const schedule = defineExperiment<Numbers>({
  id: ID,
  title: '6. Beyond the question: where the learning rate sits',
  plan,
  analyse: (outcomes, inputs) => analyse(outcomes, inputs.preset, inputs.plan),
  verdicts,
  figures,
  section,
  table,
});
