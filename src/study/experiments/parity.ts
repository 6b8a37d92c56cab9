/**
 * Experiment 5: parity with TensorFlow.js's built-ins. The custom sgd / heavy-ball /
 * nesterov chains against tf.train.sgd / tf.train.momentum on identical runs: the minibatch
 * loss curves should coincide and a step should cost no more.
 */
import path from 'node:path';
import { lineChart, writeChart } from '../../plot/chart.js';
import { measurePair, type OptimizerPair, type VariableSet } from '../../bench/optimizerStep.js';
import { median } from '../../bench/stats.js';
import { createOptimizer, type OptimizerSpec } from '../../optimizers/index.js';
import type { TrainOptimizerSpec } from '../../train/config.js';
import { baseConfig, summaryRow, type CsvRow, type ExperimentResult, type StudyContext } from '../context.js';
import { series, type RunOutcome, type StudyRun } from '../sweep.js';
import { num, pct, verdict } from '../verdict.js';

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

export function plan(context: StudyContext): StudyRun[] {
  // Norms off: both sides then run exactly the training step, so their times compare.
  return PAIRS.flatMap((pair) => [
    { id: `e5-${pair.name}-custom`, experiment: ID, config: baseConfig(context.preset, pair.custom, { normEvery: 0 }) },
    {
      id: `e5-${pair.name}-builtin`,
      experiment: ID,
      config: baseConfig(context.preset, pair.builtin, { normEvery: 0 }),
    },
  ]);
}

function maxLossDifference(a: RunOutcome, b: RunOutcome): number {
  const left = series(a.rows, 'train', 'batch_loss');
  const right = series(b.rows, 'train', 'batch_loss');
  if (left.length !== right.length) return Infinity;
  return Math.max(...left.map((row, i) => Math.abs(row.value - right[i].value)));
}

/** The MLP's variables (784-256-128-10). */
const MLP_VARIABLES: VariableSet = { name: 'mlp', shapes: [[784, 256], [256], [256, 128], [128], [128, 10], [10]] };

/**
 * The optimizer step alone, custom vs built-in, interleaved A/B after a warm-up (the bench's
 * method): median ms per step of each.
 */
async function stepTimes(kind: OptimizerPair['kind'], steps: number): Promise<{ custom: number; builtin: number }> {
  const timing = await measurePair(
    MLP_VARIABLES,
    { kind, builtin: kind },
    {
      createCustom: (spec) => createOptimizer(spec as OptimizerSpec),
      steps,
      warmupSteps: 20,
      learningRate: 0.05,
      momentum: 0.9,
    },
  );
  return { custom: median(timing.customMs), builtin: median(timing.builtinMs) };
}

/** Training seconds per optimizer step (evaluation excluded). */
function secondsPerStep(outcome: RunOutcome): number {
  const seconds = series(outcome.rows, 'train', 'epoch_seconds').reduce((sum, row) => sum + row.value, 0);
  return seconds / outcome.steps;
}

export async function run(context: StudyContext): Promise<ExperimentResult> {
  const outcomes = await context.sweep(plan(context));
  const stepSamples = context.preset.name === 'quick' ? 60 : 300;
  const pairs = [];
  for (const [i, pair] of PAIRS.entries()) {
    const custom = outcomes[2 * i];
    const builtin = outcomes[2 * i + 1];
    const step = await stepTimes(pair.name as OptimizerPair['kind'], stepSamples);
    pairs.push({
      name: pair.name,
      custom,
      builtin,
      step,
      lossDifference: maxLossDifference(custom, builtin),
      accuracyDifference: Math.abs(custom.finalTestAccuracy - builtin.finalTestAccuracy),
      runTimeRatio: secondsPerStep(custom) / secondsPerStep(builtin),
      timeRatio: step.custom / step.builtin,
    });
  }
  const worstLoss = Math.max(...pairs.map((p) => p.lossDifference));
  const worstRatio = Math.max(...pairs.map((p) => p.timeRatio));
  const verdicts = [
    verdict(
      ID,
      'The custom optimizers reproduce tf.train.sgd / tf.train.momentum step for step',
      'largest difference in minibatch loss over every step of every pair below 1e-4',
      pairs.map((p) => `${p.name}: ${num(p.lossDifference, 2)}`).join(', '),
      worstLoss < 1e-4,
    ),
    verdict(
      ID,
      'A custom step costs no more than the built-in one',
      `median time of the optimizer step alone on the MLP's variables, custom / built-in, interleaved A/B over ${stepSamples} steps each, at most 1.05 for every pair (5% for timing noise)`,
      pairs.map((p) => `${p.name}: x${num(p.timeRatio)}`).join(', '),
      worstRatio <= 1.05,
    ),
  ];
  const curves = outcomes.flatMap((o, i) =>
    series(o.rows, 'train', 'batch_loss').map((row) => ({
      step: row.step,
      loss: row.value,
      pair: PAIRS[Math.floor(i / 2)].name,
      implementation: i % 2 === 0 ? 'inertia' : 'tf.train built-in',
    })),
  );
  await writeChart(
    lineChart(curves, {
      title: 'Custom vs built-in optimizers: minibatch loss',
      x: { field: 'step', title: 'optimizer step' },
      y: { field: 'loss', title: 'cross-entropy (log)', log: true },
      color: { field: 'implementation', title: '' },
      strokeDash: { field: 'implementation', title: '' },
      facet: { field: 'pair', title: '', columns: 3 },
      width: 260,
      height: 200,
    }),
    path.join(context.plotsDir, `${ID}-loss`),
  );
  const csv: CsvRow[] = pairs.map((p) => ({
    optimizer: p.name,
    max_batch_loss_difference: p.lossDifference,
    custom_test_accuracy: p.custom.finalTestAccuracy,
    builtin_test_accuracy: p.builtin.finalTestAccuracy,
    custom_training_ms_per_step: 1000 * secondsPerStep(p.custom),
    builtin_training_ms_per_step: 1000 * secondsPerStep(p.builtin),
    training_time_ratio: p.runTimeRatio,
    custom_optimizer_step_ms: p.step.custom,
    builtin_optimizer_step_ms: p.step.builtin,
    optimizer_step_time_ratio: p.timeRatio,
  }));
  return {
    summary: outcomes.map((o) => summaryRow(ID, o)),
    csv,
    section: {
      id: ID,
      title: '5. Parity with the TensorFlow.js built-ins',
      text: [
        "The same runs (data order, initial weights) with inertia's chains and with tf.train.sgd / tf.train.momentum(useNesterov). " +
          'The whole training step (forward, backward, update) is timed in these runs, where other runs may share the machine; the optimizer step alone is timed separately, interleaving custom and built-in steps so both see the same conditions. `npx inertia bench` does the same on larger variable sets.',
      ],
      figures: [{ file: `plots/${ID}-loss`, caption: 'The curves lie on top of each other.' }],
      tables: [
        {
          caption: 'Custom vs built-in',
          columns: [
            'optimizer',
            'max |loss difference|',
            'test accuracy (custom / built-in)',
            'training ms per step (custom / built-in)',
            'optimizer step ms, median (custom / built-in)',
            'step time ratio',
          ],
          rows: pairs.map((p) => [
            p.name,
            num(p.lossDifference, 2),
            `${pct(p.custom.finalTestAccuracy)} / ${pct(p.builtin.finalTestAccuracy)}`,
            `${num(1000 * secondsPerStep(p.custom))} / ${num(1000 * secondsPerStep(p.builtin))}`,
            `${num(p.step.custom)} / ${num(p.step.builtin)}`,
            num(p.timeRatio),
          ]),
        },
      ],
      verdicts,
    },
  };
}
