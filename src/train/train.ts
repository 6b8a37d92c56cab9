/**
 * One training run: data on the device once, seeded weights and data order, a custom loop
 * (`tf.variableGrads` + `optimizer.applyGradients`) or `model.fit`, full-set evaluation each
 * epoch, and a run folder with config.json, run.json, metrics.csv, TensorBoard events and a
 * loss plot. Divergence ends the run cleanly with status `diverged`: a result, not a crash.
 */
import path from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import { tf, backendInfo, createSummaryWriter, type SummaryWriter } from '../backend.js';
import { loadDataset, type Dataset } from '../data/index.js';
import { buildModel } from '../models/index.js';
import { applyGradientsWithLoss } from '../optimizers/index.js';
import { RunFolder, type RunRecord } from '../runs/runFolder.js';
import type { MetricRow } from '../runs/metrics.js';
import { seededRandom, permutation } from '../util/random.js';
import { validateTrainConfig, makeOptimizer, type LossKind, type TrainConfig } from './config.js';
import { evaluate, type Evaluation } from './evaluate.js';
import { crossEntropy, globalNorm, meanSquaredError } from './losses.js';
import { fastCrossEntropy, fastForward } from './fastForward.js';
import { ScalarRecorder } from './recorder.js';
import { runTitle, writeLossPlot } from './plots.js';
import { deviceData, type DeviceData } from './deviceData.js';
import { runSplits, type HeldOutName } from './heldOut.js';

export interface TrainProgress {
  runId: string;
  epoch: number;
  epochs: number;
  step: number;
  totalSteps: number;
  loss: number | null;
  samplesPerSecond: number | null;
}

export interface TrainOptions {
  /** Folder that holds the run folders. */
  outRoot: string;
  /** Folder name of this run (default: derived from the config and the time). */
  runId?: string;
  /** A dataset already in memory (a sweep loads it once). */
  dataset?: Dataset;
  /** Builds the optimizer instead of `config.optimizer` (custom chains); config.optimizer still describes it. */
  makeOptimizer?: () => TF.Optimizer;
  onProgress?: (progress: TrainProgress) => void;
  /** The command line that started the run, recorded in run.json. */
  command?: string[];
  /** Write loss.svg/png (default true). */
  plot?: boolean;
  /**
   * Write TensorBoard event files on the native backend (default true). tfjs-node keeps every
   * summary writer open for the life of the process (5 small tensors each), so sweeps of
   * hundreds of runs turn it off.
   */
  tensorboard?: boolean;
}

export interface RunResult {
  id: string;
  dir: string;
  status: 'completed' | 'diverged';
  divergedAtStep: number | null;
  steps: number;
  /** Wall time of the whole run, evaluation included. */
  seconds: number;
  /** Training throughput over all epochs (evaluation excluded). */
  samplesPerSecond: number;
  /** The held-out split `test` below was evaluated on: the test split or a validation split. */
  heldOut: HeldOutName;
  initial: { train: Evaluation; test: Evaluation };
  final: { train: Evaluation; test: Evaluation };
  rows: MetricRow[];
}

/** The generator of a run's data order: one permutation per epoch, drawn in turn. */
export function dataOrderRandom(seed: number): () => number {
  return seededRandom(seed * 7919 + 17);
}

/** The order in which a run with this seed visits `count` training examples in its first epoch. */
export function dataOrder(count: number, seed: number): Int32Array {
  return permutation(count, dataOrderRandom(seed));
}

export function defaultRunId(config: TrainConfig, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return `${config.dataset}-${config.model}-${config.optimizer.kind}-seed${config.seed}-${stamp}`;
}

/** Everything one epoch needs; the step functions below share it. */
interface Session {
  config: TrainConfig;
  data: DeviceData;
  model: TF.Sequential;
  optimizer: TF.Optimizer;
  variables: TF.Variable[];
  /** The training loss of a batch (its mean per example): fastForward (+ fastCrossEntropy) when the model allows. */
  loss: (x: TF.Tensor, y: TF.Tensor) => TF.Scalar;
  recorder: ScalarRecorder;
  random: () => number;
  step: number;
}

function forward(model: TF.Sequential, training: boolean) {
  return (x: TF.Tensor) => model.apply(x, { training }) as TF.Tensor;
}

function trainingLoss(model: TF.Sequential, kind: LossKind): (x: TF.Tensor, y: TF.Tensor) => TF.Scalar {
  const fast = fastForward(model);
  const apply = fast ?? forward(model, true);
  if (kind === 'mse') return (x, y) => meanSquaredError(y, apply(x));
  if (fast) return (x, y) => fastCrossEntropy(y, fast(x));
  return (x, y) => crossEntropy(y, apply(x));
}

/**
 * What the mean per-example loss of a batch of `rows` examples is multiplied by before it is
 * differentiated: the loss scale, times the batch size under sum reduction.
 */
export function objectiveScale(config: TrainConfig, rows: number): number {
  return config.lossScale * (config.reduction === 'sum' ? rows : 1);
}

function velocityOf(optimizer: TF.Optimizer): TF.Tensor[] | null {
  const source = optimizer as unknown as { velocity?: () => TF.NamedTensorMap | null };
  const velocity = source.velocity?.();
  return velocity ? Object.values(velocity) : null;
}

/** One optimizer step of the custom loop; norms only on measured steps. */
function customStep(session: Session, epoch: number, x: TF.Tensor, y: TF.Tensor): void {
  const { config, optimizer, variables, recorder } = session;
  session.step += 1;
  const step = session.step;
  const measure = config.normEvery > 0 && (step === 1 || step % config.normEvery === 0);
  const scale = objectiveScale(config, x.shape[0]);
  tf.tidy(() => {
    const { value, grads } = tf.variableGrads(
      () => (scale === 1 ? session.loss(x, y) : (tf.mul(session.loss(x, y), scale) as TF.Scalar)),
      variables,
    );
    recorder.add(step, epoch, 'train', 'batch_loss', value, 1 / scale);
    if (!measure) {
      applyGradientsWithLoss(optimizer, grads, value);
      return;
    }
    const before = variables.map((v) => v.clone());
    recorder.add(step, epoch, 'train', 'grad_norm', globalNorm(Object.values(grads)));
    applyGradientsWithLoss(optimizer, grads, value);
    recorder.add(step, epoch, 'train', 'update_norm', globalNorm(variables.map((v, i) => tf.sub(v, before[i]))));
    const velocity = velocityOf(optimizer);
    if (velocity) recorder.add(step, epoch, 'train', 'velocity_norm', globalNorm(velocity));
  });
}

function firstDivergence(rows: readonly MetricRow[], bound: number): number | null {
  for (const row of rows) {
    if (row.metric === 'batch_loss' && !(Math.abs(row.value) <= bound)) return row.step;
  }
  return null;
}

/** Runs one epoch of the custom loop; returns the step at which it diverged, if it did. */
function customEpoch(
  session: Session,
  epoch: number,
  order: Int32Array,
  rows: MetricRow[],
  report: (loss: number) => void,
): number | null {
  const { config, data } = session;
  for (let start = 0; start < order.length; start += config.batchSize) {
    if (config.maxSteps !== undefined && session.step >= config.maxSteps) break;
    const indices = order.subarray(start, Math.min(start + config.batchSize, order.length));
    tf.tidy(() => {
      const index = tf.tensor1d(indices, 'int32');
      customStep(session, epoch, tf.gather(data.trainX, index), tf.gather(data.trainOneHot, index));
    });
    if (session.step % config.logEvery === 0) {
      const flushed = session.recorder.flush();
      rows.push(...flushed);
      const diverged = firstDivergence(flushed, config.divergenceBound);
      if (diverged !== null) return diverged;
      const last = flushed.filter((r) => r.metric === 'batch_loss').at(-1);
      if (last) report(last.value);
    }
  }
  const flushed = session.recorder.flush();
  rows.push(...flushed);
  return firstDivergence(flushed, config.divergenceBound);
}

/** One epoch through model.fit, in the same data order as the custom loop. */
async function kerasEpoch(
  session: Session,
  epoch: number,
  order: Int32Array,
  rows: MetricRow[],
  report: (loss: number) => void,
): Promise<number | null> {
  const { config, data, model } = session;
  const remaining = config.maxSteps === undefined ? Infinity : (config.maxSteps - session.step) * config.batchSize;
  const used = order.subarray(0, Math.min(order.length, remaining));
  if (used.length === 0) return null;
  const index = tf.tensor1d(used, 'int32');
  const xs = tf.gather(data.trainX, index);
  const ys = tf.gather(data.trainOneHot, index);
  let diverged: number | null = null;
  try {
    await model.fit(xs, ys, {
      batchSize: config.batchSize,
      epochs: 1,
      shuffle: false,
      verbose: 0,
      callbacks: {
        onBatchEnd: async (_batch, logs) => {
          session.step += 1;
          const loss = (logs?.loss ?? NaN) / objectiveScale(config, Number(logs?.size ?? config.batchSize));
          rows.push({ step: session.step, epoch, split: 'train', metric: 'batch_loss', value: loss });
          if (diverged === null && !(Math.abs(loss) <= config.divergenceBound)) {
            diverged = session.step;
            model.stopTraining = true;
          }
          if (session.step % config.logEvery === 0) report(loss);
        },
      },
    });
  } finally {
    tf.dispose([index, xs, ys]);
  }
  return diverged;
}

function evaluationRows(
  step: number,
  epoch: number,
  train: Evaluation,
  heldOut: Evaluation,
  heldOutName: HeldOutName,
): MetricRow[] {
  return [
    { step, epoch, split: 'train', metric: 'loss', value: train.loss },
    { step, epoch, split: 'train', metric: 'accuracy', value: train.accuracy },
    { step, epoch, split: heldOutName, metric: 'loss', value: heldOut.loss },
    { step, epoch, split: heldOutName, metric: 'accuracy', value: heldOut.accuracy },
  ];
}

function writeTensorboard(writer: SummaryWriter | null, rows: readonly MetricRow[]): void {
  if (!writer) return;
  for (const row of rows) {
    if (Number.isFinite(row.value)) writer.scalar(`${row.split}/${row.metric}`, row.value, row.step);
  }
  writer.flush();
}

export async function train(configInput: TrainConfig, options: TrainOptions): Promise<RunResult> {
  const config = validateTrainConfig(configInput);
  const dataset = options.dataset ?? (await loadDataset(config.dataset, { dataDir: config.dataDir }));
  const { train: trainSplit, heldOut: testSplit, heldOutName } = runSplits(dataset, config);
  const runId = options.runId ?? defaultRunId(config);
  const info = backendInfo();
  const folder = RunFolder.create(
    options.outRoot,
    runId,
    {
      ...config,
      data: {
        source: dataset.source,
        split: dataset.split,
        trainCount: trainSplit.count,
        heldOut: heldOutName,
        [heldOutName === 'test' ? 'testCount' : 'validationCount']: testSplit.count,
      },
    },
    {
      backend: info.backend,
      tensorflowVersion: info.tensorflowVersion,
      tfjsVersion: info.tfjsVersions['tfjs-core'] ?? 'unknown',
      node: process.version,
      ...(options.command ? { command: options.command } : {}),
    },
  );
  const started = performance.now();
  const data = deviceData(trainSplit, testSplit, dataset.imageShape, dataset.numClasses);
  const model = buildModel(
    { kind: config.model, hidden: config.hidden, seed: config.seed },
    dataset.imageShape,
    dataset.numClasses,
  );
  const optimizer = options.makeOptimizer ? options.makeOptimizer() : makeOptimizer(config.optimizer);
  const session: Session = {
    config,
    data,
    model,
    optimizer,
    variables: model.trainableWeights.map((weight) => weight.read() as TF.Variable),
    loss: trainingLoss(model, config.loss ?? 'cross-entropy'),
    recorder: new ScalarRecorder(),
    random: dataOrderRandom(config.seed),
    step: 0,
  };
  const initialWeights = session.variables.map((v) => tf.keep(v.clone()));
  const tensorboard = options.tensorboard === false ? null : createSummaryWriter(path.join(folder.dir, 'tensorboard'));
  const rows: MetricRow[] = [];
  const stepsPerEpoch = Math.ceil(trainSplit.count / config.batchSize);
  const totalSteps = Math.min(stepsPerEpoch * config.epochs, config.maxSteps ?? Infinity);
  try {
    if (config.mode === 'keras') {
      model.compile({
        optimizer,
        loss: (yTrue: TF.Tensor, yPred: TF.Tensor) =>
          tf.mul(
            config.loss === 'mse' ? meanSquaredError(yTrue, yPred) : crossEntropy(yTrue, yPred),
            objectiveScale(config, yTrue.shape[0]),
          ),
      });
    }
    const evalForward = forward(model, false);
    const evaluateBoth = () => ({
      train: evaluate(evalForward, data.trainX, data.trainLabels, dataset.numClasses, config.evalBatchSize),
      test: evaluate(evalForward, data.testX, data.testLabels, dataset.numClasses, config.evalBatchSize),
    });
    const initial = evaluateBoth();
    let final = initial;
    let pendingRows = evaluationRows(0, 0, initial.train, initial.test, heldOutName);
    rows.push(...pendingRows);
    let divergedAtStep: number | null = null;
    let trainSeconds = 0;
    let samplesSeen = 0;
    for (let epoch = 1; epoch <= config.epochs && divergedAtStep === null; epoch++) {
      if (config.maxSteps !== undefined && session.step >= config.maxSteps) break;
      const order = permutation(trainSplit.count, session.random);
      const epochRows: MetricRow[] = [];
      const stepBefore = session.step;
      const report = (loss: number) =>
        options.onProgress?.({
          runId,
          epoch,
          epochs: config.epochs,
          step: session.step,
          totalSteps,
          loss,
          samplesPerSecond: null,
        });
      const epochStart = performance.now();
      divergedAtStep =
        config.mode === 'keras'
          ? await kerasEpoch(session, epoch, order, epochRows, report)
          : customEpoch(session, epoch, order, epochRows, report);
      const seconds = (performance.now() - epochStart) / 1000;
      const samples = Math.min(order.length, (session.step - stepBefore) * config.batchSize);
      trainSeconds += seconds;
      samplesSeen += samples;
      final = evaluateBoth();
      const displacement = tf.tidy(
        () => globalNorm(session.variables.map((v, i) => tf.sub(v, initialWeights[i]))).dataSync()[0],
      );
      epochRows.push(
        ...evaluationRows(session.step, epoch, final.train, final.test, heldOutName),
        { step: session.step, epoch, split: 'train', metric: 'displacement', value: displacement },
        { step: session.step, epoch, split: 'train', metric: 'epoch_seconds', value: seconds },
        { step: session.step, epoch, split: 'train', metric: 'samples_per_second', value: samples / seconds },
      );
      rows.push(...epochRows);
      pendingRows = pendingRows.concat(epochRows);
      await folder.metrics.write(pendingRows);
      writeTensorboard(tensorboard, pendingRows);
      pendingRows = [];
      options.onProgress?.({
        runId,
        epoch,
        epochs: config.epochs,
        step: session.step,
        totalSteps,
        loss: final.train.loss,
        samplesPerSecond: samples / seconds,
      });
    }
    await folder.metrics.write(pendingRows);
    const status = divergedAtStep === null ? 'completed' : 'diverged';
    const result: RunResult = {
      id: runId,
      dir: folder.dir,
      status,
      divergedAtStep,
      steps: session.step,
      seconds: (performance.now() - started) / 1000,
      samplesPerSecond: trainSeconds > 0 ? samplesSeen / trainSeconds : 0,
      heldOut: heldOutName,
      initial,
      final,
      rows,
    };
    if (options.plot !== false) await writeLossPlot(rows, path.join(folder.dir, 'loss'), runTitle(config));
    folder.finish({ status, ...(divergedAtStep !== null ? { divergedAtStep } : {}), summary: summarize(result) });
    return result;
  } catch (error) {
    folder.finish({ status: 'failed', error: error instanceof Error ? error.message : String(error) });
    throw error;
  } finally {
    session.recorder.dispose();
    tf.dispose(initialWeights);
    optimizer.dispose();
    model.dispose();
    data.dispose();
  }
}

export function summarize(result: RunResult): NonNullable<RunRecord['summary']> {
  return {
    steps: result.steps,
    seconds: result.seconds,
    samples_per_second: result.samplesPerSecond,
    final_train_loss: result.final.train.loss,
    final_train_accuracy: result.final.train.accuracy,
    [`final_${result.heldOut}_loss`]: result.final.test.loss,
    [`final_${result.heldOut}_accuracy`]: result.final.test.accuracy,
    diverged: result.status === 'diverged',
  };
}
