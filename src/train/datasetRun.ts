/**
 * Training on the user's `tf.data.Dataset`s (`TrainOptions.data`): `config.epochs` passes over
 * the training dataset (a fresh iterator per epoch, in the dataset's own order and batches),
 * one eager step per batch (variableGrads + applyGradients on the config's objective), then
 * loss and accuracy over the whole training and validation datasets after each epoch (and once
 * before the first step). The rows are those of the in-memory loop: `train/batch_loss`,
 * `train|validation/loss|accuracy`, `displacement`, `epoch_seconds`, `samples_per_second`.
 *
 * What this route does not have (the in-memory loop of session.ts does): norm measurements
 * (`normEvery`: grad, update and velocity norms), compiled steps and compiled batch gathers
 * (steps run eager; `stepMode` says so), model.fit (`mode: keras`), a custom `trainStep`,
 * the data order of `config.seed` (the dataset's own order is used), evaluation at an
 * optimizer's evaluation point (schedule-free), and the per-process cache of initial evaluations.
 */
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../backend.js';
import { applyGradientsWithLoss } from '../optimizers/index.js';
import type { MetricRow } from '../runs/metrics.js';
import { UserError } from '../util/errors.js';
import type { TrainConfig } from './config.js';
import type { Evaluation } from '../graph/evaluate.js';
import { globalNorm } from './losses.js';
import { ScalarRecorder } from './recorder.js';
import { epochLoop, type EpochResult, type EpochsOutcome, type TrainProgress } from './session.js';
import { firstDivergence } from './loop.js';
import { objectiveScale, trainingLoss } from './objective.js';
import type { MetricSink } from './sinks.js';

/** One element of a batched dataset: input tensors and one-hot labels, as `model.fitDataset` takes them. */
export type Batch = { xs: TF.Tensor; ys: TF.Tensor };

/** The user's data: batched datasets of `{ xs, ys }`. */
export interface TrainData {
  train: TF.data.Dataset<Batch>;
  validation?: TF.data.Dataset<Batch>;
}

const FIX = 'each element must be { xs, ys }: a batch of inputs and its one-hot labels, as model.fitDataset takes';

/** Throws a message that tells the fix when `element` is not a batch of `{ xs, ys }` tensors. */
export function checkBatch(element: unknown, which: string): Batch {
  const batch = element as Partial<Batch> | null;
  if (typeof batch !== 'object' || batch === null || !('xs' in batch) || !('ys' in batch)) {
    const keys = typeof batch === 'object' && batch !== null ? Object.keys(batch).join(', ') : typeof batch;
    throw new UserError(
      `options.data.${which} gave an element with ${keys || 'no fields'}; ${FIX} (map it: ds.map(e => ({ xs: ..., ys: ... })))`,
    );
  }
  const { xs, ys } = batch;
  if (!(xs instanceof tf.Tensor) || !(ys instanceof tf.Tensor)) {
    throw new UserError(`options.data.${which} gave xs or ys that is not a tensor; ${FIX}`);
  }
  if (ys.rank !== 2 || xs.rank < 2 || xs.shape[0] !== ys.shape[0]) {
    throw new UserError(
      `options.data.${which} gave xs of shape [${xs.shape.join(', ')}] and ys of shape [${ys.shape.join(', ')}]; ${FIX} (batch it: ds.batch(32))`,
    );
  }
  return { xs, ys };
}

/** The first batch's example shape and number of classes: what the user's model must take and give. */
export async function dataShape(data: TrainData): Promise<{ inputShape: number[]; numClasses: number }> {
  if (data === null || typeof data !== 'object' || typeof data.train?.iterator !== 'function') {
    throw new UserError(
      'options.data must be { train, validation? } of tf.data.Dataset (e.g. tf.data.array(...).batch(32))',
    );
  }
  if (data.validation !== undefined && typeof data.validation.iterator !== 'function') {
    throw new UserError('options.data.validation must be a tf.data.Dataset, or left out');
  }
  const iterator = await data.train.iterator();
  const first = await iterator.next();
  if (first.done) throw new UserError('options.data.train is empty: give it at least one batch');
  const { xs, ys } = checkBatch(first.value, 'train');
  const shape = { inputShape: xs.shape.slice(1), numClasses: ys.shape[1] as number };
  tf.dispose(first.value as unknown as TF.TensorContainer);
  return shape;
}

/** `tensor` as float32 (tf.oneHot gives int32 labels); the caller's tidy owns the cast. */
function floats(tensor: TF.Tensor): TF.Tensor {
  return tensor.dtype === 'float32' ? tensor : tf.cast(tensor, 'float32');
}

/** Mean cross-entropy and accuracy of `model` over every batch of `dataset`. */
async function evaluateDataset(
  model: TF.LayersModel,
  dataset: TF.data.Dataset<Batch>,
  which: string,
): Promise<Evaluation> {
  let lossSum = 0;
  let correct = 0;
  let count = 0;
  const iterator = await dataset.iterator();
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
    const { xs, ys } = checkBatch(next.value, which);
    const totals = tf.tidy(() => {
      const logits = model.apply(floats(xs), { training: false }) as TF.Tensor;
      const loss = tf.neg(tf.sum(tf.mul(floats(ys), tf.logSoftmax(logits))));
      const hits = tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), tf.argMax(ys, -1)), 'float32'));
      return tf.stack([loss, hits]);
    });
    const [loss, hits] = await totals.data();
    lossSum += loss;
    correct += hits;
    count += xs.shape[0];
    tf.dispose([totals, xs, ys]);
  }
  if (count === 0) throw new UserError(`options.data.${which} is empty: give it at least one batch`);
  return { loss: lossSum / count, accuracy: correct / count };
}

async function evaluateBoth(model: TF.LayersModel, data: TrainData) {
  return {
    train: await evaluateDataset(model, data.train, 'train'),
    ...(data.validation ? { validation: await evaluateDataset(model, data.validation, 'validation') } : {}),
  };
}

type Evaluations = Awaited<ReturnType<typeof evaluateBoth>>;

function evaluationRows(step: number, epoch: number, evaluations: Evaluations): MetricRow[] {
  return Object.entries(evaluations).flatMap(([split, { loss, accuracy }]) => [
    { step, epoch, split: split as MetricRow['split'], metric: 'loss', value: loss },
    { step, epoch, split: split as MetricRow['split'], metric: 'accuracy', value: accuracy },
  ]);
}

/** What the dataset route needs besides the data: the built model and optimizer (both disposed here). */
export interface DatasetRun {
  runId: string;
  config: TrainConfig;
  model: TF.LayersModel;
  optimizer: TF.Optimizer;
  onProgress?: (progress: TrainProgress) => void;
}

/** The loop's state across epochs. */
interface Loop {
  run: DatasetRun;
  data: TrainData;
  variables: TF.Variable[];
  initialWeights: TF.Tensor[];
  loss: (x: TF.Tensor, y: TF.Tensor) => TF.Scalar;
  recorder: ScalarRecorder;
  step: number;
  stepsPerEpoch: number | null;
}

function report(loop: Loop, epoch: number, loss: number | null, samplesPerSecond: number | null): void {
  const { run, step, stepsPerEpoch } = loop;
  const { epochs, maxSteps } = run.config;
  // The dataset's length is known once the first epoch has counted its batches (NaN until then).
  const totalSteps = Math.min((stepsPerEpoch ?? NaN) * epochs, maxSteps ?? Infinity);
  run.onProgress?.({ runId: run.runId, epoch, epochs, step, totalSteps, loss, samplesPerSecond });
}

/** One eager step on the batch (xs, ys): the objective's gradients applied, the batch loss recorded. */
function step(loop: Loop, epoch: number, xs: TF.Tensor, ys: TF.Tensor): void {
  const { run, variables, loss, recorder } = loop;
  loop.step += 1;
  const scale = objectiveScale(run.config, xs.shape[0]);
  tf.tidy(() => {
    const [x, y] = [floats(xs), floats(ys)];
    const objective = () => (scale === 1 ? loss(x, y) : (tf.mul(loss(x, y), scale) as TF.Scalar));
    const { value, grads } = tf.variableGrads(objective, variables);
    recorder.add(loop.step, epoch, 'train', 'batch_loss', value, 1 / scale);
    applyGradientsWithLoss(run.optimizer, grads, value);
  });
}

/** One pass over the training dataset; returns the batch rows, the samples seen and the divergence step. */
async function trainPass(loop: Loop, epoch: number) {
  const { config } = loop.run;
  const rows: MetricRow[] = [];
  let samples = 0;
  let divergedAtStep: number | null = null;
  const iterator = await loop.data.train.iterator();
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
    const { xs, ys } = checkBatch(next.value, 'train');
    const stop = config.maxSteps !== undefined && loop.step >= config.maxSteps;
    if (!stop) step(loop, epoch, xs, ys);
    samples += stop ? 0 : xs.shape[0];
    tf.dispose([xs, ys]);
    if (stop) break;
    if (loop.step % config.logEvery === 0) {
      const flushed = loop.recorder.flush();
      rows.push(...flushed);
      divergedAtStep = firstDivergence(flushed, config.divergenceBound);
      if (divergedAtStep !== null) break;
      report(loop, epoch, flushed.at(-1)?.value ?? null, null);
    }
  }
  const flushed = loop.recorder.flush();
  rows.push(...flushed);
  return { rows, samples, divergedAtStep: divergedAtStep ?? firstDivergence(flushed, config.divergenceBound) };
}

/** Trains one epoch, then evaluates and measures how far the weights moved. */
async function epochOf(loop: Loop, epoch: number): Promise<EpochResult<Evaluations>> {
  const stepBefore = loop.step;
  const started = performance.now();
  const { rows, samples, divergedAtStep } = await trainPass(loop, epoch);
  loop.stepsPerEpoch ??= loop.step - stepBefore;
  const seconds = (performance.now() - started) / 1000;
  const evaluation = await evaluateBoth(loop.run.model, loop.data);
  const { variables, initialWeights, step } = loop;
  const displacement = tf.tidy(() => globalNorm(variables.map((v, i) => tf.sub(v, initialWeights[i]))).dataSync()[0]);
  rows.push(
    ...evaluationRows(step, epoch, evaluation),
    { step, epoch, split: 'train', metric: 'displacement', value: displacement },
    { step, epoch, split: 'train', metric: 'epoch_seconds', value: seconds },
    { step, epoch, split: 'train', metric: 'samples_per_second', value: samples / seconds },
  );
  return { rows, samples, seconds, divergedAtStep, evaluation };
}

/** Trains `run.model` on `data` as the file comment says, handing each epoch's rows to the sinks. */
export async function runDatasetEpochs(
  run: DatasetRun,
  data: TrainData,
  sinks: readonly MetricSink[],
): Promise<EpochsOutcome> {
  const { config, model, optimizer } = run;
  const variables = model.trainableWeights.map((weight) => weight.read() as TF.Variable);
  const loop: Loop = {
    run,
    data,
    variables,
    initialWeights: variables.map((v) => tf.keep(v.clone())),
    loss: trainingLoss(model, config),
    recorder: new ScalarRecorder(),
    step: 0,
    stepsPerEpoch: null,
  };
  try {
    const initial = await evaluateBoth(model, data);
    const { rows, final, divergedAtStep, samplesPerSecond, earlyStop } = await epochLoop(
      config,
      sinks,
      { rows: evaluationRows(0, 0, initial), evaluation: initial },
      {
        steps: () => loop.step,
        epoch: (epoch) => epochOf(loop, epoch),
        report: (epoch, loss, samplesPerSecond) => report(loop, epoch, loss, samplesPerSecond),
      },
    );
    return {
      divergedAtStep,
      steps: loop.step,
      samplesPerSecond,
      heldOut: 'validation',
      initial,
      final,
      rows,
      earlyStop,
      stepMode: { compile: 'off', compiled: false, fallback: 'tf.data.Dataset input: eager steps over its batches' },
    };
  } finally {
    loop.recorder.dispose();
    tf.dispose(loop.initialWeights);
    optimizer.dispose();
    model.dispose();
  }
}
