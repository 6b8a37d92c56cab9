/**
 * Section 2: end-to-end training throughput through inertia's own `train()` (src/train):
 * custom loop vs `model.fit`, custom optimizer vs built-in, per dataset and model. The first
 * epoch is the warm-up (kernel set-up, allocation) and reported separately; the timed epochs
 * give samples/s (median over epochs) and seconds per epoch. Every run is an ordinary run
 * folder under `<bench>/runs/`.
 */
import path from 'node:path';
import type { Dataset, DatasetName } from '../data/index.js';
import type { ModelKind } from '../models/index.js';
import { heldOutEvaluation, train, type RunResult } from '../train/train.js';
import { makeTrainConfig, TRAIN_DEFAULTS, type TrainMode } from '../train/config.js';
import { median } from '../util/stats.js';
import { rowMaker, type BenchRow, type RowContext, type SectionResult } from './report.js';
import { formatNumber } from '../util/format.js';
import { markdownTable } from '../util/markdown.js';

export interface TrainingVariant {
  mode: TrainMode;
  /** A custom kind (`heavy-ball`) or a built-in one (`builtin-momentum`). */
  optimizer: 'heavy-ball' | 'builtin-momentum';
  /** Norm measurements every N steps (0: none); the train command's default is 10. */
  normEvery: number;
  /** Custom loop only: compiled steps (--compile on) or eager ones (--compile off). */
  compiled: boolean;
}

/** Interleaved in this order for each dataset and model, so ratios compare neighbouring runs. */
export const TRAINING_VARIANTS: readonly TrainingVariant[] = [
  { mode: 'custom', optimizer: 'heavy-ball', normEvery: 0, compiled: true },
  { mode: 'custom', optimizer: 'heavy-ball', normEvery: 0, compiled: false },
  { mode: 'custom', optimizer: 'builtin-momentum', normEvery: 0, compiled: true },
  { mode: 'custom', optimizer: 'builtin-momentum', normEvery: 0, compiled: false },
  { mode: 'keras', optimizer: 'heavy-ball', normEvery: 0, compiled: false },
  { mode: 'keras', optimizer: 'builtin-momentum', normEvery: 0, compiled: false },
  { mode: 'custom', optimizer: 'heavy-ball', normEvery: TRAIN_DEFAULTS.normEvery, compiled: true },
];

export function variantLabel(variant: TrainingVariant): string {
  const loop = variant.mode === 'custom' ? `custom loop (${variant.compiled ? 'compiled' : 'eager'})` : 'model.fit';
  const norms = variant.mode === 'custom' && variant.normEvery > 0 ? ` (norms every ${variant.normEvery})` : '';
  return `${loop} + ${variant.optimizer}${norms}`;
}

export interface TrainingMeasurement {
  dataset: DatasetName;
  model: ModelKind;
  variant: TrainingVariant;
  trainCount: number;
  warmupSeconds: number;
  epochSeconds: number[];
  samplesPerSecond: number;
  secondsPerEpoch: number;
  testAccuracy: number;
  status: RunResult['status'];
  runDir: string;
}

export interface TrainingBenchOptions {
  /** Run the compiled-step variants too. */
  compiled: boolean;
  datasets: readonly { name: DatasetName; data: Dataset }[];
  models: readonly ModelKind[];
  variants?: readonly TrainingVariant[];
  /** Timed epochs after the warm-up epoch. */
  epochs: number;
  batchSize: number;
  learningRate: number;
  momentum: number;
  seed: number;
  trainLimit?: number;
  testLimit?: number;
  runsDir: string;
  context: RowContext;
  onProgress?: (message: string) => void;
}

function epochMetric(result: RunResult, metric: string): number[] {
  return result.rows
    .filter((row) => row.metric === metric && row.split === 'train')
    .sort((a, b) => a.epoch - b.epoch)
    .map((row) => row.value);
}

export async function measureTraining(
  dataset: { name: DatasetName; data: Dataset },
  model: ModelKind,
  variant: TrainingVariant,
  options: TrainingBenchOptions,
): Promise<TrainingMeasurement> {
  const config = makeTrainConfig({
    dataset: dataset.name,
    model,
    optimizer: { kind: variant.optimizer, learningRate: options.learningRate, momentum: options.momentum },
    epochs: options.epochs + 1,
    batchSize: options.batchSize,
    seed: options.seed,
    mode: variant.mode,
    normEvery: variant.normEvery,
    ...(options.trainLimit !== undefined ? { trainLimit: options.trainLimit } : {}),
    ...(options.testLimit !== undefined ? { testLimit: options.testLimit } : {}),
  });
  const path_ = variant.mode === 'custom' ? (variant.compiled ? '-compiled' : '-eager') : '';
  const runId = `${dataset.name}-${model}-${variant.mode}${path_}-${variant.optimizer}${variant.normEvery > 0 ? `-norms${variant.normEvery}` : ''}`;
  const result = await train(config, {
    outRoot: options.runsDir,
    runId,
    dataset: dataset.data,
    plot: false,
    compile: variant.compiled ? 'on' : 'off',
  });
  const seconds = epochMetric(result, 'epoch_seconds');
  const rates = epochMetric(result, 'samples_per_second');
  const timed = seconds.slice(1);
  return {
    dataset: dataset.name,
    model,
    variant,
    trainCount: Math.min(options.trainLimit ?? Infinity, dataset.data.train.count),
    warmupSeconds: seconds[0],
    epochSeconds: timed,
    samplesPerSecond: median(rates.slice(1)),
    secondsPerEpoch: median(timed),
    testAccuracy: heldOutEvaluation(result.final, 'test').accuracy,
    status: result.status,
    runDir: path.relative(process.cwd(), result.dir),
  };
}

/** The variants to run: without compiled steps, the eager ones, and the norms run eagerly. */
function variantsFor(options: TrainingBenchOptions): TrainingVariant[] {
  const all = options.variants ?? TRAINING_VARIANTS;
  if (options.compiled) return [...all];
  return all.map((v) => (v.normEvery > 0 ? { ...v, compiled: false } : v)).filter((v) => !v.compiled);
}

export async function benchTraining(
  options: TrainingBenchOptions,
): Promise<{ measurements: TrainingMeasurement[]; result: SectionResult }> {
  const measurements: TrainingMeasurement[] = [];
  for (const dataset of options.datasets) {
    for (const model of options.models) {
      for (const variant of variantsFor(options)) {
        options.onProgress?.(`training: ${dataset.name} ${model} ${variantLabel(variant)}`);
        measurements.push(await measureTraining(dataset, model, variant, options));
      }
    }
  }
  return { measurements, result: trainingSection(measurements, options) };
}

export function trainingRows(measurements: readonly TrainingMeasurement[], context: RowContext): BenchRow[] {
  const row = rowMaker('training', context);
  return measurements.flatMap((m) => {
    const workload = `${m.dataset}/${m.model} (${m.trainCount} train samples)`;
    const system = `inertia ${variantLabel(m.variant)}`;
    return [
      row(workload, system, 'samples_per_second', m.samplesPerSecond, 'samples/s'),
      row(workload, system, 'seconds_per_epoch', m.secondsPerEpoch, 's'),
      row(workload, system, 'warmup_epoch_seconds', m.warmupSeconds, 's'),
      row(workload, system, 'final_test_accuracy', m.testAccuracy, 'fraction'),
    ];
  });
}

/** Throughput of the same dataset/model under another variant, for the ratio columns. */
function rateOf(
  measurements: readonly TrainingMeasurement[],
  m: TrainingMeasurement,
  mode: TrainMode,
  optimizer: TrainingVariant['optimizer'],
  compiled: boolean,
): number | null {
  const other = measurements.find(
    (o) =>
      o.dataset === m.dataset &&
      o.model === m.model &&
      o.variant.mode === mode &&
      o.variant.optimizer === optimizer &&
      o.variant.compiled === compiled &&
      o.variant.normEvery === 0,
  );
  return other ? other.samplesPerSecond : null;
}

export function trainingSection(
  measurements: readonly TrainingMeasurement[],
  options: Pick<TrainingBenchOptions, 'context' | 'epochs' | 'batchSize' | 'learningRate' | 'momentum'>,
): SectionResult {
  const rows = trainingRows(measurements, options.context);
  const row = rowMaker('training', options.context);
  const tableRows = measurements.map((m) => {
    const builtin = rateOf(measurements, m, m.variant.mode, 'builtin-momentum', m.variant.compiled);
    const fit = rateOf(measurements, m, 'keras', m.variant.optimizer, false);
    const optimizerRatio = m.variant.optimizer === 'heavy-ball' && builtin ? m.samplesPerSecond / builtin : null;
    const loopRatio = m.variant.mode === 'custom' && fit ? m.samplesPerSecond / fit : null;
    const workload = `${m.dataset}/${m.model} (${m.trainCount} train samples)`;
    const system = `inertia ${variantLabel(m.variant)}`;
    if (optimizerRatio !== null && m.variant.normEvery === 0)
      rows.push(row(workload, `${system} / builtin-momentum`, 'ratio_samples_per_second', optimizerRatio, 'ratio'));
    if (loopRatio !== null && m.variant.normEvery === 0)
      rows.push(row(workload, `${system} / model.fit`, 'ratio_samples_per_second', loopRatio, 'ratio'));
    return [
      m.dataset,
      m.model,
      variantLabel(m.variant),
      formatNumber(m.samplesPerSecond),
      formatNumber(m.secondsPerEpoch),
      formatNumber(m.warmupSeconds),
      `${(m.testAccuracy * 100).toFixed(2)}%${m.status === 'diverged' ? ' (diverged)' : ''}`,
      optimizerRatio === null ? '' : optimizerRatio.toFixed(2),
      loopRatio === null ? '' : loopRatio.toFixed(2),
    ];
  });
  const table = markdownTable(
    [
      'dataset',
      'model',
      'loop + optimizer',
      'samples/s',
      's/epoch',
      'warm-up epoch s',
      'final test acc.',
      'custom opt./built-in',
      'custom loop/model.fit',
    ],
    tableRows,
  );
  const markdown = `${table}\n\nBatch ${options.batchSize}, learning rate ${options.learningRate}, momentum ${options.momentum}; one warm-up epoch, then ${options.epochs} timed epoch(s) (median); evaluation after each epoch is not timed. Ratios are samples/s of the row over the same loop (same step path) with builtin-momentum, and over model.fit with the same optimizer. Compiled: each step one TensorFlow function call after an eager first step, a traced second step and two steps checked against eager ones (all in the warm-up epoch).`;
  return { section: 'training', title: '2. End-to-end training throughput', rows, markdown };
}
