/**
 * Experiment 5: parity with TensorFlow.js's built-ins. The custom sgd / heavy-ball /
 * nesterov chains against tf.train.sgd / tf.train.momentum on identical runs (one seed: the
 * comparison is of arithmetic, not of a stochastic outcome): the minibatch loss curves should
 * agree within the float32 noise floor of the same computation, and a step should cost no more.
 * That floor is measured here: each custom run again with its learning rate one float32 step
 * (ulp) larger, a change the size of one rounding in the update; how far that twin's curve
 * strays is how far rounding alone carries this run.
 */
import { lineChart } from '../../plot/chart.js';
import { measurePair, modelVariableSet, type OptimizerPair } from '../../train/stepTiming.js';
import { createOptimizer, type OptimizerSpec } from '../../optimizers/index.js';
import type { TrainOptimizerSpec } from '../../train/config.js';
import { bounds } from '../criteria.js';
import { baseConfig, type CsvRow } from '../context.js';
import { defineExperiment, type AnalysisInputs } from '../experiment.js';
import type { StudyPreset } from '../presets.js';
import {
  allOf,
  bootstrapInterval,
  decideInterval,
  formatInterval,
  intervalCell,
  maxRelativeDifference,
  type Interval,
} from '../../util/intervals.js';
import { median } from '../../util/stats.js';
import { series, type RunOutcome, type StudyRun } from '../../exec/runBatch.js';
import { verdict } from '../verdict.js';
import { formatNumber as num, formatPercent as pct } from '../../util/format.js';

export const ID = 'experiment-5-builtin-parity';

const PAIRS: { name: string; custom: TrainOptimizerSpec; builtin: TrainOptimizerSpec }[] = [
  { name: 'sgd', custom: { kind: 'sgd', learningRate: 0.5 }, builtin: { kind: 'builtin-sgd', learningRate: 0.5 } },
  {
    name: 'heavy-ball',
    custom: { kind: 'heavy-ball', learningRate: 0.05, momentum: 0.9 },
    builtin: { kind: 'builtin-momentum', learningRate: 0.05, momentum: 0.9 },
  },
  {
    name: 'nesterov',
    custom: { kind: 'nesterov', learningRate: 0.05, momentum: 0.9 },
    builtin: { kind: 'builtin-nesterov', learningRate: 0.05, momentum: 0.9 },
  },
];

/** The next float32 above x: a learning rate one rounding step away. */
export function nextFloat32(x: number): number {
  const bits = new Int32Array(new Float32Array([x]).buffer);
  bits[0] += x >= 0 ? 1 : -1;
  return new Float32Array(bits.buffer)[0];
}

function ulpTwin(spec: TrainOptimizerSpec): TrainOptimizerSpec {
  return { ...spec, learningRate: nextFloat32((spec as { learningRate: number }).learningRate) } as TrainOptimizerSpec;
}

export function plan(preset: StudyPreset): StudyRun[] {
  // Norms off: both sides then run exactly the training step, so their times compare.
  const pairs = PAIRS.flatMap((pair) => [
    { id: `e5-${pair.name}-custom`, experiment: ID, config: baseConfig(preset, pair.custom, { normEvery: 0 }) },
    {
      id: `e5-${pair.name}-builtin`,
      experiment: ID,
      config: baseConfig(preset, pair.builtin, { normEvery: 0 }),
    },
  ]);
  const twins = PAIRS.map((pair) => ({
    id: `e5-${pair.name}-custom-ulp`,
    experiment: ID,
    config: baseConfig(preset, ulpTwin(pair.custom), { normEvery: 0 }),
  }));
  return [...pairs, ...twins];
}

/** Largest relative difference of the minibatch loss over every step. */
function maxLossDifference(a: RunOutcome, b: RunOutcome): number {
  const losses = (o: RunOutcome) => series(o.rows, 'train', 'batch_loss').map((row) => row.value);
  return maxRelativeDifference(losses(a), losses(b));
}

/**
 * The optimizer step alone, custom vs built-in, interleaved A/B after a warm-up (the bench's
 * method): median ms per step of each, and the ratio of medians with a bootstrap interval
 * (resampling the interleaved step pairs).
 */
async function stepTimes(kind: OptimizerPair['kind'], steps: number): Promise<StepTimes> {
  const timing = await measurePair(
    modelVariableSet('mlp'),
    { kind, builtin: kind },
    {
      createCustom: (spec) => createOptimizer(spec as OptimizerSpec),
      steps,
      warmupSteps: 20,
      learningRate: 0.05,
      momentum: 0.9,
    },
  );
  const pairs = timing.customMs.map((custom, i) => [custom, timing.builtinMs[i]] as const);
  const ratio = bootstrapInterval(
    pairs,
    (sample) => median(sample.map((p) => p[0])) / median(sample.map((p) => p[1])),
    // Successive steps share the machine's state (caches, other load): blocks of about sqrt(n)
    // consecutive pairs keep that correlation inside each resample.
    { resamples: 1000, block: Math.ceil(Math.sqrt(pairs.length)) },
  );
  return { custom: median(timing.customMs), builtin: median(timing.builtinMs), ratio };
}

/** Training seconds per optimizer step (evaluation excluded). */
function secondsPerStep(outcome: RunOutcome): number {
  const seconds = series(outcome.rows, 'train', 'epoch_seconds').reduce((sum, row) => sum + row.value, 0);
  return seconds / outcome.steps;
}

export interface StepTimes {
  custom: number;
  builtin: number;
  ratio: Interval;
}

export interface Pair {
  name: string;
  lossDifference: number;
  /** Largest relative loss difference between the custom run and its twin one ulp of alpha away. */
  noiseFloor: number;
  customAccuracy: number;
  builtinAccuracy: number;
  customSecondsPerStep: number;
  builtinSecondsPerStep: number;
  step: StepTimes;
  curves: { custom: number[]; builtin: number[] };
}

export interface Numbers {
  stepSamples: number;
  /** Experiment 3's floor (heavy-ball vs EMA pairs), shown for comparison; the verdict uses each pair's own. */
  gridNoiseFloor: number;
  pairs: Pair[];
}

export async function analyse(outcomes: readonly RunOutcome[], inputs: AnalysisInputs): Promise<Numbers> {
  const { preset } = inputs;
  const stepSamples = preset.name === 'quick' || preset.name === 'smoke' ? 60 : 300;
  const pairs: Pair[] = [];
  for (const [i, pair] of PAIRS.entries()) {
    const custom = outcomes[2 * i];
    const builtin = outcomes[2 * i + 1];
    const twin = outcomes[2 * PAIRS.length + i];
    const step = await stepTimes(pair.name as OptimizerPair['kind'], stepSamples);
    const losses = (o: RunOutcome) => series(o.rows, 'train', 'batch_loss').map((row) => row.value);
    pairs.push({
      name: pair.name,
      lossDifference: maxLossDifference(custom, builtin),
      noiseFloor: maxLossDifference(custom, twin),
      customAccuracy: custom.finalTestAccuracy,
      builtinAccuracy: builtin.finalTestAccuracy,
      customSecondsPerStep: secondsPerStep(custom),
      builtinSecondsPerStep: secondsPerStep(builtin),
      step,
      curves: { custom: losses(custom), builtin: losses(builtin) },
    });
  }
  return { stepSamples, gridNoiseFloor: inputs.plan.tuned.noiseFloor, pairs };
}

export function verdicts(n: Numbers) {
  const multiple = bounds('e5.parity').noiseFloorMultiple;
  const ratio = bounds('e5.step-cost').ratio;
  const within = n.pairs.map((p) =>
    Number.isFinite(p.noiseFloor) ? p.lossDifference <= multiple * p.noiseFloor : null,
  );
  return [
    verdict(
      'e5.parity',
      n.pairs
        .map((p) => `${p.name}: ${num(p.lossDifference, 2)} against its ulp twin's ${num(p.noiseFloor, 2)}`)
        .join(', ') + ` (experiment 3's floor, not used: ${num(n.gridNoiseFloor, 2)})`,
      within.includes(null) ? null : within.every(Boolean),
    ),
    verdict(
      'e5.step-cost',
      n.pairs.map((p) => `${p.name}: x${formatInterval(p.step.ratio, (x) => num(x))}`).join(', ') +
        ` (${n.stepSamples} interleaved steps each)`,
      allOf(n.pairs.map((p) => decideInterval(p.step.ratio, 'below', ratio))),
    ),
  ];
}

export function figures(n: Numbers) {
  const curves = n.pairs.flatMap((p) =>
    (['custom', 'builtin'] as const).flatMap((side) =>
      p.curves[side].map((loss, i) => ({
        step: i + 1,
        loss,
        pair: p.name,
        implementation: side === 'custom' ? 'inertia' : 'tf.train built-in',
      })),
    ),
  );
  // Chart specs are declarative data: each figure writes out its own fields, titles and axes.
  return [
    {
      name: `${ID}-loss`,
      caption: 'The curves lie on top of each other.',
      spec: lineChart(curves, {
        title: 'Custom vs built-in optimizers: minibatch loss',
        x: { field: 'step', title: 'optimizer step' },
        y: { field: 'loss', title: 'cross-entropy (log)', log: true },
        color: { field: 'implementation', title: '' },
        strokeDash: { field: 'implementation', title: '' },
        facet: { field: 'pair', title: '', columns: 3 },
        width: 260,
        height: 200,
      }),
    },
  ];
}

export function table(n: Numbers): CsvRow[] {
  return n.pairs.map((p) => ({
    optimizer: p.name,
    max_batch_loss_difference: p.lossDifference,
    noise_floor_ulp_twin: p.noiseFloor,
    custom_test_accuracy: p.customAccuracy,
    builtin_test_accuracy: p.builtinAccuracy,
    custom_training_ms_per_step: 1000 * p.customSecondsPerStep,
    builtin_training_ms_per_step: 1000 * p.builtinSecondsPerStep,
    training_time_ratio: p.customSecondsPerStep / p.builtinSecondsPerStep,
    custom_optimizer_step_ms: p.step.custom,
    builtin_optimizer_step_ms: p.step.builtin,
    optimizer_step_time_ratio: p.step.ratio.estimate,
    optimizer_step_time_ratio_low: p.step.ratio.low,
    optimizer_step_time_ratio_high: p.step.ratio.high,
  }));
}

export function section(n: Numbers) {
  return {
    text: [
      "The same runs (data order, initial weights) with inertia's chains and with tf.train.sgd / tf.train.momentum(useNesterov). " +
        'The whole training step (forward, backward, update) is timed in these runs, where other runs may share the machine; the optimizer step alone is timed separately, interleaving custom and built-in steps so both see the same conditions. `npx inertia bench` does the same on larger variable sets.',
    ],
    tables: [
      {
        caption: 'Custom vs built-in',
        columns: [
          'optimizer',
          'max relative loss difference',
          'noise floor (ulp twin)',
          'test accuracy (custom / built-in)',
          'training ms per step (custom / built-in)',
          'optimizer step ms, median (custom / built-in)',
          'step time ratio [95% bootstrap interval]',
        ],
        rows: n.pairs.map((p) => [
          p.name,
          num(p.lossDifference, 2),
          num(p.noiseFloor, 2),
          `${pct(p.customAccuracy)} / ${pct(p.builtinAccuracy)}`,
          `${num(1000 * p.customSecondsPerStep)} / ${num(1000 * p.builtinSecondsPerStep)}`,
          `${num(p.step.custom)} / ${num(p.step.builtin)}`,
          intervalCell(p.step.ratio, (x) => num(x)),
        ]),
      },
    ],
  };
}

// The parts every experiment declares, in the one shape of defineExperiment.
export const parity = defineExperiment<Numbers>({
  id: ID,
  title: '5. Parity with the TensorFlow.js built-ins',
  plan,
  analyse,
  verdicts,
  figures,
  section,
  table,
});
