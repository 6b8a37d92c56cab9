/**
 * Section 5: `fit` on users' own models. For each model of {@link FIT_MODELS}, inertia's `fit`
 * and tfjs-node's `model.fit` train the same architecture from the same initial weights on the
 * same data and batch size, one after the other; then Keras's `fit` (scripts/peers/keras_train.py,
 * the same layers) when the peers venv exists. Each run has one warm-up epoch (inertia's trace
 * and checks, Keras's tracing), timed apart, then `epochs` timed epochs; samples/s is the median
 * of the timed epochs. The LSTM's task (a sequence of 32 numbers: is its first half's sum the
 * larger?) is generated here; Keras reads only image datasets, so it has no LSTM cell.
 *
 * With `repeats` > 1 the whole series runs that many times, each repeat a pair (fit and
 * model.fit back to back, the order alternating from repeat to repeat, so a drift of the
 * machine's load falls on both sides); a ratio is then the median of the repeats' own ratios,
 * with their range, and a goal is judged on that median.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../backend.js';
import { takeFirst, type Dataset, type DatasetName } from '../data/index.js';
import { fit } from '../train/fit.js';
import { formatNumber } from '../util/format.js';
import { markdownTable } from '../util/markdown.js';
import { median } from '../util/stats.js';
import { fitRepeats } from './folder.js';
import { exportDataset, findPeer, peerModelSpec, runPeer } from './peers.js';
import { rowMaker, type BenchRow, type RowContext, type SectionResult } from './report.js';

export const FIT_MODELS = [
  'mnist-node CNN',
  'BatchNorm + Dropout CNN',
  'LSTM (32 steps)',
  'MLP 784-256-128-10',
] as const;
export type FitModelName = (typeof FIT_MODELS)[number];

/** Each model's layers and training settings (the goals of the section, with their reasons, in docs/benchmarks.md). */
const MODELS: Record<
  FitModelName,
  {
    layers: () => TF.layers.Layer[];
    learningRate: number;
    momentum: number;
    images: boolean;
    /** The least fit / model.fit ratio aimed at. */
    goal: number;
    /** The least fit / Keras fit ratio aimed at (none for the LSTM, which Keras does not run here). */
    kerasGoal?: number;
  }
> = {
  'mnist-node CNN': {
    // tfjs-examples/mnist-node's model and optimizer.
    layers: () => [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 5, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
      tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
    learningRate: 0.15,
    momentum: 0,
    images: true,
    goal: 3,
    kerasGoal: 1.5,
  },
  'BatchNorm + Dropout CNN': {
    layers: () => [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 3, activation: 'relu' }),
      tf.layers.batchNormalization(),
      tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
      tf.layers.dropout({ rate: 0.25 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 64, activation: 'relu' }),
      tf.layers.dropout({ rate: 0.5 }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
    learningRate: 0.05,
    momentum: 0.9,
    images: true,
    goal: 3,
    kerasGoal: 1.2,
  },
  'LSTM (32 steps)': {
    layers: () => [
      tf.layers.lstm({ inputShape: [32, 1], units: 32 }),
      tf.layers.dense({ units: 1, activation: 'sigmoid' }),
    ],
    learningRate: 0.05,
    momentum: 0.9,
    images: false,
    goal: 2,
  },
  'MLP 784-256-128-10': {
    layers: () => [
      tf.layers.flatten({ inputShape: [28, 28, 1] }),
      tf.layers.dense({ units: 256, activation: 'relu' }),
      tf.layers.dense({ units: 128, activation: 'relu' }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
    learningRate: 0.05,
    momentum: 0.9,
    images: true,
    goal: 3,
    kerasGoal: 1.5,
  },
};

export interface FitBenchOptions {
  dataset: { name: DatasetName; data: Dataset };
  models?: readonly FitModelName[];
  /** Timed epochs after the warm-up epoch. */
  epochs: number;
  /** Paired repeats of the whole series (default 1); ratios are then medians of the pairs' ratios. */
  repeats?: number;
  batchSize: number;
  trainLimit?: number;
  seed: number;
  /** Keras's threads (intra-op, inter-op); inertia's and tfjs's are the process's. */
  threads: number;
  interOp: number;
  timeoutSeconds: number;
  context: RowContext;
  onProgress?: (message: string) => void;
}

export interface FitMeasurement {
  model: FitModelName;
  /** Which repeat of the series (0 when the series ran once). */
  repeat: number;
  system: 'inertia fit' | 'tfjs-node model.fit' | 'Keras fit';
  samplesPerSecond: number;
  warmupSeconds: number;
  /** The last epoch's training loss (Keras: null, its script reports test accuracy instead). */
  finalLoss: number | null;
  /** Why the steps ran eagerly (inertia fit), or null. */
  fallback: string | null;
}

/** The examples and targets of a model's task: images with one-hot labels, or the sequences. */
function taskData(images: boolean, split: Dataset['train'], seed: number): [TF.Tensor, TF.Tensor] {
  return tf.tidy(() => {
    if (images) {
      const x = tf.tensor4d(split.images.subarray(0, split.count * 784), [split.count, 28, 28, 1]);
      return [x, tf.oneHot(tf.tensor1d(split.labels.subarray(0, split.count), 'int32'), 10).toFloat()];
    }
    const x = tf.randomUniform([split.count, 32, 1], 0, 1, 'float32', seed);
    const [first, second] = tf.split(x, 2, 1);
    const y = tf.cast(tf.greater(tf.sum(first, [1, 2]), tf.sum(second, [1, 2])), 'float32').reshape([-1, 1]);
    return [x, y];
  });
}

/** Epoch times of a training that reports epochs through tfjs callbacks. */
async function epochTimes(
  train: (callbacks: TF.CustomCallbackArgs) => Promise<TF.History>,
): Promise<{ seconds: number[]; history: TF.History }> {
  const seconds: number[] = [];
  let start = 0;
  const history = await train({
    onEpochBegin: async () => void (start = performance.now()),
    onEpochEnd: async () => void seconds.push((performance.now() - start) / 1000),
  });
  return { seconds, history };
}

function measurement(
  model: FitModelName,
  repeat: number,
  system: FitMeasurement['system'],
  count: number,
  seconds: number[],
  history: TF.History | null,
  fallback: string | null,
): FitMeasurement {
  const losses = (history?.history.loss ?? []) as number[];
  return {
    model,
    repeat,
    system,
    samplesPerSecond: count / median(seconds.slice(1)),
    warmupSeconds: seconds[0],
    finalLoss: losses.at(-1) ?? null,
    fallback,
  };
}

/** inertia's fit and model.fit from the same initial weights, fit first on even repeats, model.fit first on odd ones. */
async function measureTfjs(name: FitModelName, repeat: number, options: FitBenchOptions): Promise<FitMeasurement[]> {
  const spec = MODELS[name];
  const split = takeFirst(options.dataset.data.train, options.trainLimit ?? options.dataset.data.train.count);
  const [x, y] = taskData(spec.images, split, options.seed);
  const build = () => {
    const model = tf.sequential({ layers: spec.layers() });
    const optimizer =
      spec.momentum > 0 ? tf.train.momentum(spec.learningRate, spec.momentum) : tf.train.sgd(spec.learningRate);
    model.compile({ optimizer, loss: spec.images ? 'categoricalCrossentropy' : 'binaryCrossentropy' });
    return model;
  };
  const [ours, theirs] = [build(), build()];
  theirs.setWeights(ours.getWeights());
  const settings = { epochs: options.epochs + 1, batchSize: options.batchSize, verbose: 0 as const };
  const label = fitRepeats(options.repeats) > 1 ? ` (repeat ${repeat + 1} of ${options.repeats})` : '';
  const runOurs = () => {
    options.onProgress?.(`fit: ${name} inertia fit${label}`);
    return epochTimes((callbacks) => fit(ours, x, y, { ...settings, seed: options.seed, callbacks }));
  };
  const runTheirs = () => {
    options.onProgress?.(`fit: ${name} tfjs-node model.fit${label}`);
    return epochTimes((callbacks) => theirs.fit(x, y, { ...settings, callbacks }));
  };
  try {
    let a: Awaited<ReturnType<typeof epochTimes>>;
    let b: Awaited<ReturnType<typeof epochTimes>>;
    if (repeat % 2 === 0) {
      a = await runOurs();
      b = await runTheirs();
    } else {
      b = await runTheirs();
      a = await runOurs();
    }
    const { stepMode } = a.history as Awaited<ReturnType<typeof fit>>;
    const fallback = stepMode.compiled ? null : stepMode.fallback;
    return [
      measurement(name, repeat, 'inertia fit', split.count, a.seconds, a.history, fallback),
      measurement(name, repeat, 'tfjs-node model.fit', split.count, b.seconds, b.history, null),
    ];
  } finally {
    tf.dispose([x, y]);
    ours.dispose();
    theirs.dispose();
  }
}

/** Keras's fit of the same layers on the same images, or null when the peers venv is missing. */
function measureKeras(
  name: FitModelName,
  repeat: number,
  options: FitBenchOptions,
  dataDir: string,
  python: string,
): FitMeasurement {
  const spec = MODELS[name];
  const model = tf.sequential({ layers: spec.layers() });
  const modelFile = path.join(dataDir, `${name.replace(/[^A-Za-z0-9]+/g, '-')}.json`);
  fs.writeFileSync(modelFile, JSON.stringify(peerModelSpec(name, model)));
  model.dispose();
  options.onProgress?.(`fit: ${name} Keras fit`);
  const result = runPeer('keras', {
    python,
    dataDir,
    modelFile,
    batchSize: options.batchSize,
    learningRate: spec.learningRate,
    momentum: spec.momentum,
    epochs: options.epochs,
    threads: options.threads,
    interOp: options.interOp,
    seed: options.seed,
    timeoutSeconds: options.timeoutSeconds,
  });
  return {
    model: name,
    repeat,
    system: 'Keras fit',
    samplesPerSecond: result.samples_per_second,
    warmupSeconds: result.warmup_seconds,
    finalLoss: null,
    fallback: null,
  };
}

export async function benchFit(options: FitBenchOptions): Promise<SectionResult> {
  const models = options.models ?? FIT_MODELS;
  const repeats = fitRepeats(options.repeats);
  const keras = findPeer('keras');
  const notes: string[] = keras.available ? [] : [`- **Keras: unavailable**: ${keras.reason}`];
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'inertia-fit-bench-'));
  const measurements: FitMeasurement[] = [];
  try {
    const { data } = options.dataset;
    const train = takeFirst(data.train, options.trainLimit ?? data.train.count);
    exportDataset(scratch, options.dataset.name, train, takeFirst(data.test, Math.min(1000, data.test.count)));
    for (let repeat = 0; repeat < repeats; repeat++) {
      for (const name of models) {
        measurements.push(...(await measureTfjs(name, repeat, options)));
        if (!keras.available || !MODELS[name].images) continue;
        try {
          measurements.push(measureKeras(name, repeat, options, scratch, keras.python));
        } catch (error) {
          notes.push(`- **Keras ${name}: failed**: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return fitSection(measurements, options, notes);
}

/** One system's measurements of a model, one per repeat that ran it, in repeat order. */
function ratesOf(measurements: readonly FitMeasurement[], model: FitModelName, system: FitMeasurement['system']) {
  return measurements.filter((m) => m.model === model && m.system === system);
}

/**
 * inertia fit over a peer: the ratio in each repeat where both ran, and their median (null when
 * no repeat has both).
 */
function pairedRatio(
  measurements: readonly FitMeasurement[],
  model: FitModelName,
  peer: FitMeasurement['system'],
): { median: number; pairs: number[] } | null {
  const ours = ratesOf(measurements, model, 'inertia fit');
  const pairs = ours.flatMap((m) => {
    const theirs = measurements.find((p) => p.model === model && p.system === peer && p.repeat === m.repeat);
    return theirs === undefined ? [] : [m.samplesPerSecond / theirs.samplesPerSecond];
  });
  return pairs.length === 0 ? null : { median: median(pairs), pairs };
}

const rateText = (rates: readonly FitMeasurement[]) =>
  rates.length === 0 ? 'n/a' : formatNumber(median(rates.map((m) => m.samplesPerSecond)));

function ratioText(ratio: { median: number; pairs: number[] } | null, goal?: number): string {
  if (ratio === null) return 'n/a';
  const range =
    ratio.pairs.length > 1
      ? ` [${formatNumber(Math.min(...ratio.pairs))}-${formatNumber(Math.max(...ratio.pairs))}]`
      : '';
  const verdict = goal === undefined ? '' : ratio.median >= goal ? ' (met)' : ' (missed)';
  return `${formatNumber(ratio.median)}${range}${verdict}`;
}

export function fitSection(
  measurements: readonly FitMeasurement[],
  options: Pick<FitBenchOptions, 'dataset' | 'epochs' | 'batchSize' | 'context' | 'repeats'>,
  notes: readonly string[],
): SectionResult {
  const row = rowMaker('fit', options.context);
  const repeats = fitRepeats(options.repeats);
  const rows: BenchRow[] = measurements.flatMap((m) => [
    row(m.model, m.system, 'samples_per_second', m.samplesPerSecond, 'samples/s'),
    row(m.model, m.system, 'warmup_epoch_seconds', m.warmupSeconds, 's'),
  ]);
  const table = [...new Set(measurements.map((m) => m.model))].map((model) => {
    const overTfjs = pairedRatio(measurements, model, 'tfjs-node model.fit');
    const overKeras = pairedRatio(measurements, model, 'Keras fit');
    for (const [system, ratio] of [
      ['inertia fit / tfjs-node model.fit', overTfjs],
      ['inertia fit / Keras fit', overKeras],
    ] as const) {
      if (ratio === null) continue;
      rows.push(row(model, system, 'ratio_samples_per_second', ratio.median, 'ratio'));
      if (repeats > 1) rows.push(...ratio.pairs.map((pair) => row(model, system, 'ratio_of_pair', pair, 'ratio')));
    }
    const fallback = measurements.find((m) => m.model === model && m.fallback !== null)?.fallback;
    return [
      model,
      rateText(ratesOf(measurements, model, 'inertia fit')),
      rateText(ratesOf(measurements, model, 'tfjs-node model.fit')),
      rateText(ratesOf(measurements, model, 'Keras fit')),
      ratioText(overTfjs, MODELS[model].goal),
      ratioText(overKeras, MODELS[model].kerasGoal),
      fallback ? `eager: ${fallback}` : 'compiled',
    ];
  });
  const series =
    repeats > 1
      ? ` ${repeats} paired repeats (fit and model.fit back to back, the order alternating): samples/s are the repeats' medians, a ratio is the median of the repeats' ratios [their range], judged on that median.`
      : '';
  const markdown = [
    `${options.dataset.name} (the LSTM: generated sequences of the same count), batch ${options.batchSize}, ${options.epochs} timed epoch(s) after a warm-up epoch; samples/s of the timed epochs (median).${series}`,
    '',
    markdownTable(
      [
        'model',
        'inertia fit',
        'tfjs-node model.fit',
        'Keras fit',
        'fit / model.fit (goal)',
        'fit / Keras (goal)',
        'inertia steps',
      ],
      table,
    ),
    ...(notes.length > 0 ? ['', ...notes] : []),
  ].join('\n');
  return { section: 'fit', title: '5. fit on your own model: inertia fit vs model.fit vs Keras', rows, markdown };
}
