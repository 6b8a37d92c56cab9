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
import { finalSeeds, type StudyPreset } from '../presets.js';
import { series, type RunOutcome, type StudyRun } from '../../exec/runBatch.js';
import {
  allOf,
  decideInterval,
  decideWithin,
  formatInterval,
  intervalCell,
  maxRelativeDifference,
  tInterval,
} from '../../util/intervals.js';
import { mean } from '../../util/stats.js';
import { verdict } from '../verdict.js';
import { formatNumber as num } from '../../util/format.js';

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
  const config = (kind: 'heavy-ball' | 'keras-momentum', seed: number) =>
    baseConfig(preset, { kind, learningRate, momentum: MU } as never, {
      normEvery: 1,
      epochs: Math.min(2, preset.epochs),
      seed,
    });
  return finalSeeds(preset).flatMap((seed) => [
    { id: `e6-rate-outside-velocity-seed${seed}`, experiment: ID, config: config('heavy-ball', seed) },
    { id: `e6-rate-inside-velocity-seed${seed}`, experiment: ID, config: config('keras-momentum', seed) },
  ]);
}

/** Mean update norm over the WINDOW steps after the switch (and `later` steps on) over the WINDOW steps before it. */
function responseRatio(norms: ReadonlyMap<number, number>, boundary: number, later = 0): number {
  const window = (from: number) => mean(Array.from({ length: WINDOW }, (_, i) => norms.get(from + i) ?? NaN));
  return window(boundary + 1 + later) / window(boundary + 1 - WINDOW);
}

export interface Convention {
  name: 'outside' | 'inside';
  seed: number;
  kind: string;
  immediate: number;
  settled: number;
  finalTestAccuracy: number;
  updateNorms: { step: number; value: number }[];
}

export interface Numbers {
  boundary: number;
  /** Per seed, the two conventions with the same initial weights and data order. */
  pairs: { outside: Convention; inside: Convention }[];
}

function convention(name: Convention['name'], o: RunOutcome, boundary: number): Convention {
  const updates = series(o.rows, 'train', 'update_norm').map((row) => ({ step: row.step, value: row.value }));
  const norms = new Map(updates.map((row) => [row.step, row.value]));
  return {
    name,
    seed: o.run.config.seed,
    kind: o.run.config.optimizer.kind,
    immediate: responseRatio(norms, boundary),
    settled: responseRatio(norms, boundary, SETTLE),
    finalTestAccuracy: o.finalTestAccuracy,
    updateNorms: updates,
  };
}

export function analyse(outcomes: readonly RunOutcome[], preset: StudyPreset, inputs: PlanInputs): Numbers {
  const boundary = switchStep(preset, inputs.trainCount);
  const pairs = [];
  for (let i = 0; i + 1 < outcomes.length; i += 2) {
    pairs.push({
      outside: convention('outside', outcomes[i], boundary),
      inside: convention('inside', outcomes[i + 1], boundary),
    });
  }
  return { boundary, pairs };
}

/** Largest relative difference of the two conventions' update norms before the switch (same seed). */
export function beforeSwitchDifference(pair: Numbers['pairs'][number], boundary: number): number {
  const before = (c: Convention) => c.updateNorms.filter((r) => r.step <= boundary).map((r) => r.value);
  return maxRelativeDifference(before(pair.inside), before(pair.outside));
}

function intervals(n: Numbers) {
  const of = (f: (p: Numbers['pairs'][number]) => number) => tInterval(n.pairs.map(f));
  return {
    outside: of((p) => p.outside.immediate),
    inside: of((p) => p.inside.immediate),
    factor: of((p) => p.inside.immediate / p.outside.immediate),
    settled: of((p) => p.inside.settled / p.outside.settled),
  };
}

export function verdicts(n: Numbers) {
  const i = intervals(n);
  const gradual = bounds('e6.inside-gradual');
  const f = (x: number) => num(x);
  return [
    verdict(
      'e6.outside-halves',
      `ratio ${formatInterval(i.outside, f)}`,
      decideInterval(i.outside, 'below', bounds('e6.outside-halves').ratio),
    ),
    verdict(
      'e6.inside-gradual',
      `Keras / TF.js ratio right after ${formatInterval(i.factor, f)}; ${SETTLE} steps later ${formatInterval(i.settled, f)}`,
      allOf([
        decideInterval(i.factor, 'above', gradual.factor),
        decideWithin(i.settled, 1 - gradual.settled, 1 + gradual.settled),
      ]),
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
  const first = n.pairs[0];
  const rows = (first ? [first.outside, first.inside] : []).flatMap((c) =>
    c.updateNorms
      .filter((r) => r.step >= from && r.step <= to)
      .map((r) => ({ step: r.step, update_norm: r.value, convention: CONVENTION_LABEL[c.name] })),
  );
  return [
    {
      name: `${ID}-update-norm`,
      caption: `Update norm per step around the switch, seed ${first?.outside.seed}.`,
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
  return n.pairs.flatMap((p) =>
    [p.outside, p.inside].map((c) => ({
      convention: c.name,
      optimizer: c.kind,
      seed: c.seed,
      switch_step: n.boundary,
      ratio_right_after: c.immediate,
      ratio_after_settling: c.settled,
      settle_steps: SETTLE,
      final_test_accuracy: c.finalTestAccuracy,
    })),
  );
}

export function section(n: Numbers) {
  const i = intervals(n);
  const f = (x: number) => num(x);
  const drift = Math.max(...n.pairs.map((p) => beforeSwitchDifference(p, n.boundary)));
  return {
    text: [
      `Both runs use alpha = ${ALPHA}, mu = ${MU} and halve alpha after step ${n.boundary}, with ${n.pairs.length} seeds (same initial weights and data order for both conventions of a seed). ` +
        'With the rate outside the velocity the step is alpha * v, so it halves immediately; ' +
        'with the rate inside (Keras: m = mu m - alpha g; w += m) the velocity still carries gradients scaled by the old rate and forgets them at rate mu.',
      'At a constant rate the two conventions are the same update in exact arithmetic, but not in float32: before the switch their update norms already differ by up to ' +
        `${(100 * drift).toFixed(1)}% (largest relative difference over the steps before the switch and the seeds). ` +
        "So each run's step after the switch is compared with its own step before it, and the two conventions through that ratio.",
    ],
    tables: [
      {
        caption: 'Step size after the switch relative to before: mean [95% t interval] over seeds',
        columns: ['convention', 'right after', `after ${SETTLE} steps`, 'n'],
        rows: [
          [
            'outside (TF.js / PyTorch)',
            intervalCell(i.outside, f),
            intervalCell(tInterval(n.pairs.map((p) => p.outside.settled)), f),
            i.outside.n,
          ],
          [
            'inside (Keras)',
            intervalCell(i.inside, f),
            intervalCell(tInterval(n.pairs.map((p) => p.inside.settled)), f),
            i.inside.n,
          ],
        ],
      },
    ],
  };
}

// The parts every experiment declares, in the one shape of defineExperiment.
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
