/**
 * The training loop of one run, without any files: `prepareSession` puts the data on the
 * device and builds the seeded model and optimizer; `runEpochs` trains epoch by epoch (a
 * custom loop of `session.trainStep`, or `model.fit`), evaluates on the full splits after
 * each epoch (the initial weights' evaluation once per process: initialEvaluation.ts) and
 * hands every finished row to the sinks. Divergence ends the loop cleanly.
 */
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../backend.js';
import type { Dataset } from '../data/index.js';
import { buildModel } from '../models/index.js';
import { applyGradientsWithLoss } from '../optimizers/index.js';
import type { MetricRow } from '../runs/metrics.js';
import { seededRandom, permutation } from '../util/random.js';
import { modelSpec, type TrainConfig } from './config.js';
import type { Evaluation } from '../graph/evaluate.js';
import { SplitEvaluator } from '../graph/compiledEvaluation.js';
import { initialEvaluation } from './initialEvaluation.js';
import { globalNorm, smoothLabels, trainingLossOf } from './losses.js';
import { fastCrossEntropy, fastForward } from '../graph/fastForward.js';
import { ScalarRecorder } from './recorder.js';
import { deviceData, gatherRows, type DeviceData } from './deviceData.js';
import type { MetricSink } from './sinks.js';
import type { HeldOutName } from './heldOut.js';
import { defaultCompileMode, type CompileMode } from '../graph/compileMode.js';
import { StepRunner, type StepMode } from '../graph/stepRunner.js';
import { atEvaluationPoint } from './evaluationPoint.js';

export interface TrainProgress {
  runId: string;
  epoch: number;
  epochs: number;
  step: number;
  totalSteps: number;
  loss: number | null;
  samplesPerSecond: number | null;
}

/** One optimizer step of the custom loop on the batch (x, y); increments `session.step`. */
export type TrainStep = (session: Session, epoch: number, x: TF.Tensor, y: TF.Tensor) => void;

/**
 * The built-in step of the custom loop, given the batch's row numbers in the training data:
 * unmeasured steps pass them with the whole training split to the step runner, so that
 * selecting the batch is part of the compiled step; increments `session.step`.
 */
export type RowsStep = (session: Session, epoch: number, rows: TF.Tensor1D) => void;

/** Everything the epochs need; the step functions share it. */
export interface Session {
  runId: string;
  heldOutName: HeldOutName;
  config: TrainConfig;
  dataset: Dataset;
  data: DeviceData;
  model: TF.LayersModel;
  optimizer: TF.Optimizer;
  variables: TF.Variable[];
  initialWeights: TF.Tensor[];
  /** What the initial weights and compiled evaluations are cached by besides the weights: the model's architecture. */
  architecture: string;
  /** The training loss of a batch (its mean per example): fastForward (+ fastCrossEntropy) when the model allows. */
  loss: (x: TF.Tensor, y: TF.Tensor) => TF.Scalar;
  /** A step given the batch itself (`TrainOptions.trainStep`), or the built-in step given its rows. */
  trainStep: { batch: TrainStep } | { rows: RowsStep };
  /** The unmeasured steps of the custom loop, eager or compiled (stepRunner.ts). */
  runner: StepRunner;
  /** Loss and accuracy on a whole split, compiled unless steps are off (compiledEvaluation.ts). */
  evaluator: SplitEvaluator;
  recorder: ScalarRecorder;
  random: () => number;
  step: number;
  totalSteps: number;
  onProgress?: (progress: TrainProgress) => void;
}

export interface SessionOptions {
  runId: string;
  /** What `dataset.test` is: the test split or a validation split carved from training data. */
  heldOutName: HeldOutName;
  /** The optimizer `config.optimizer` describes; the session owns it from here on. */
  optimizer: TF.Optimizer;
  /** The custom loop's step (default: `customStep`). */
  trainStep?: TrainStep;
  /** A model built already (the user's, userModel.ts) instead of buildModel's; the session owns it from here on. */
  model?: TF.LayersModel;
  /** Compiled steps for `customStep` (default: $INERTIA_COMPILE, else auto); off for model.fit and other steps. */
  compile?: CompileMode;
  onProgress?: (progress: TrainProgress) => void;
}

/**
 * A run's evaluations at one point: the training split, and the held-out split under its own
 * name, `test` or `validation` (the run's `heldOut`); the other held-out name is absent.
 */
export type SplitEvaluations = { train: Evaluation } & { [split in HeldOutName]?: Evaluation };

/** The held-out split's evaluation in `evaluations`: `evaluations[heldOut]`, which a run always has. */
export function heldOutEvaluation(evaluations: SplitEvaluations, heldOut: HeldOutName): Evaluation {
  const evaluation = evaluations[heldOut];
  if (evaluation === undefined)
    throw new Error(`no ${heldOut} evaluation among ${Object.keys(evaluations).join(', ')}`);
  return evaluation;
}

/** `{ train, test }` as the loop evaluates it (its `test` is the held-out split), named for what it is. */
function namedEvaluations(evaluation: { train: Evaluation; test: Evaluation }, heldOut: HeldOutName): SplitEvaluations {
  return { train: evaluation.train, [heldOut]: evaluation.test };
}

export interface EpochsOutcome {
  divergedAtStep: number | null;
  steps: number;
  /** Training throughput over all epochs (evaluation excluded). */
  samplesPerSecond: number;
  /** The held-out split the run was evaluated on: `test`, or a `validation` split carved from the training split. */
  heldOut: HeldOutName;
  /** Before the first step: `initial.train`, and `initial.test` or `initial.validation` (see `heldOut`). */
  initial: SplitEvaluations;
  /** After the last epoch: `final.train`, and `final.test` or `final.validation` (see `heldOut`). */
  final: SplitEvaluations;
  rows: MetricRow[];
  /** Whether the custom loop's steps ran compiled, and why not. */
  stepMode: StepMode;
}

/** The generator of a run's data order: one permutation per epoch, drawn in turn. */
export function dataOrderRandom(seed: number): () => number {
  return seededRandom(seed * 7919 + 17);
}

/** The order in which a run with this seed visits `count` training examples in its first epoch. */
export function dataOrder(count: number, seed: number): Int32Array {
  return permutation(count, dataOrderRandom(seed));
}

/**
 * What the mean per-example loss of a batch of `rows` examples is multiplied by before it is
 * differentiated: the loss scale, times the batch size under sum reduction.
 */
export function objectiveScale(config: TrainConfig, rows: number): number {
  return config.lossScale * (config.reduction === 'sum' ? rows : 1);
}

function forward(model: TF.LayersModel, training: boolean) {
  return (x: TF.Tensor) => model.apply(x, { training }) as TF.Tensor;
}

export function trainingLoss(model: TF.LayersModel, config: TrainConfig): (x: TF.Tensor, y: TF.Tensor) => TF.Scalar {
  const kind = config.loss ?? 'cross-entropy';
  const smoothing = config.labelSmoothing ?? 0;
  const fast = fastForward(model);
  if (fast && kind === 'cross-entropy') return (x, y) => fastCrossEntropy(smoothLabels(y, smoothing), fast(x));
  const apply = fast ?? forward(model, true);
  const loss = trainingLossOf(kind, smoothing);
  return (x, y) => loss(y, apply(x));
}

function compileForKeras(session: Session): void {
  const { config, model, optimizer } = session;
  model.compile({
    optimizer,
    loss: (yTrue: TF.Tensor, yPred: TF.Tensor) =>
      tf.mul(
        trainingLossOf(config.loss ?? 'cross-entropy', config.labelSmoothing)(yTrue, yPred),
        objectiveScale(config, yTrue.shape[0]),
      ),
  });
}

/** Puts the (already limited) dataset on the device and builds the model. */
export function prepareSession(config: TrainConfig, dataset: Dataset, options: SessionOptions): Session {
  const data = deviceData(dataset.train, dataset.test, dataset.imageShape, dataset.numClasses);
  const model = options.model ?? buildModel(modelSpec(config), dataset.imageShape, dataset.numClasses);
  // buildModel's architecture is a function of these; the seed only sets the initial values.
  // A user's model is keyed by its full description (its layer names included, so never shared).
  const architecture = options.model
    ? JSON.stringify(model.toJSON(null, false))
    : JSON.stringify([config.model, config.hidden ?? null, dataset.imageShape]);
  const optimizer = options.optimizer;
  const variables = model.trainableWeights.map((weight) => weight.read() as TF.Variable);
  const stepsPerEpoch = Math.ceil(dataset.train.count / config.batchSize);
  const compile =
    config.mode === 'keras' || options.trainStep !== undefined ? 'off' : (options.compile ?? defaultCompileMode());
  const session: Session = {
    runId: options.runId,
    heldOutName: options.heldOutName,
    config,
    dataset,
    data,
    model,
    optimizer,
    variables,
    initialWeights: variables.map((v) => tf.keep(v.clone())),
    architecture,
    loss: trainingLoss(model, config),
    trainStep: options.trainStep ? { batch: options.trainStep } : { rows: customStep },
    runner: new StepRunner({
      mode: compile,
      optimizer,
      variables,
      objective: ([rows, x, y]) =>
        objective(session, gatherRows(x, rows as TF.Tensor1D), gatherRows(y, rows as TF.Tensor1D)),
    }),
    evaluator: new SplitEvaluator(
      {
        forward: forward(model, false),
        weights: model.weights.map((weight) => weight.read() as TF.Variable),
        architecture,
      },
      dataset.numClasses,
      config.evalBatchSize,
      compile !== 'off',
    ),
    recorder: new ScalarRecorder(),
    random: dataOrderRandom(config.seed),
    step: 0,
    totalSteps: Math.min(stepsPerEpoch * config.epochs, config.maxSteps ?? Infinity),
    onProgress: options.onProgress,
  };
  if (config.mode === 'keras') compileForKeras(session);
  return session;
}

export function disposeSession(session: Session): void {
  session.recorder.dispose();
  session.runner.dispose();
  session.evaluator.dispose();
  tf.dispose(session.initialWeights);
  session.optimizer.dispose();
  session.model.dispose();
  session.data.dispose();
}

function velocityOf(optimizer: TF.Optimizer): TF.Tensor[] | null {
  const source = optimizer as unknown as { velocity?: () => TF.NamedTensorMap | null };
  const velocity = source.velocity?.();
  return velocity ? Object.values(velocity) : null;
}

/** The objective a step differentiates: the batch loss times {@link objectiveScale}. */
function objective(session: Session, x: TF.Tensor, y: TF.Tensor): TF.Scalar {
  const scale = objectiveScale(session.config, x.shape[0]);
  return scale === 1 ? session.loss(x, y) : (tf.mul(session.loss(x, y), scale) as TF.Scalar);
}

/** One optimizer step of the custom loop (eager or compiled); norms only on measured steps, always eager. */
export function customStep(session: Session, epoch: number, rows: TF.Tensor1D): void {
  const { config, optimizer, variables, recorder, data } = session;
  session.step += 1;
  const step = session.step;
  const measure = config.normEvery > 0 && (step === 1 || step % config.normEvery === 0);
  const scale = objectiveScale(config, rows.shape[0]);
  tf.tidy(() => {
    if (!measure) {
      const value = session.runner.step([rows, data.trainX, data.trainOneHot]);
      recorder.add(step, epoch, 'train', 'batch_loss', value, 1 / scale);
      return;
    }
    const [x, y] = [gatherRows(data.trainX, rows), gatherRows(data.trainOneHot, rows)];
    const { value, grads } = tf.variableGrads(() => objective(session, x, y), variables);
    recorder.add(step, epoch, 'train', 'batch_loss', value, 1 / scale);
    const before = variables.map((v) => v.clone());
    recorder.add(step, epoch, 'train', 'grad_norm', globalNorm(Object.values(grads)));
    applyGradientsWithLoss(optimizer, grads, value);
    recorder.add(step, epoch, 'train', 'update_norm', globalNorm(variables.map((v, i) => tf.sub(v, before[i]))));
    const velocity = velocityOf(optimizer);
    if (velocity) recorder.add(step, epoch, 'train', 'velocity_norm', globalNorm(velocity));
  });
}

/** The step of the first batch loss beyond `bound` (or not finite) among `rows`, or null. */
export function firstDivergence(rows: readonly MetricRow[], bound: number): number | null {
  for (const row of rows) {
    if (row.metric === 'batch_loss' && !(Math.abs(row.value) <= bound)) return row.step;
  }
  return null;
}

function reportLoss(session: Session, epoch: number, loss: number | null, samplesPerSecond: number | null): void {
  const { runId, config, step, totalSteps } = session;
  session.onProgress?.({ runId, epoch, epochs: config.epochs, step, totalSteps, loss, samplesPerSecond });
}

/** How long the custom loop runs steps without giving the event loop a turn. */
const YIELD_EVERY_MS = 25;

/**
 * Gives the event loop a turn (at most every {@link YIELD_EVERY_MS}), so that a stop signal,
 * a timer or an IPC message is handled between two steps rather than after the epoch.
 */
function eventLoopTurn(last: { at: number }): Promise<void> | undefined {
  const now = performance.now();
  if (now - last.at < YIELD_EVERY_MS) return undefined;
  last.at = now;
  return new Promise((resolve) => setImmediate(resolve));
}

/** Runs one epoch of the custom loop; returns the step at which it diverged, if it did. */
async function customEpoch(
  session: Session,
  epoch: number,
  order: Int32Array,
  rows: MetricRow[],
): Promise<number | null> {
  const { config, data } = session;
  const lastTurn = { at: performance.now() };
  for (let start = 0; start < order.length; start += config.batchSize) {
    await eventLoopTurn(lastTurn);
    if (config.maxSteps !== undefined && session.step >= config.maxSteps) break;
    const indices = order.subarray(start, Math.min(start + config.batchSize, order.length));
    tf.tidy(() => {
      const rows = tf.tensor1d(indices, 'int32');
      const { trainStep } = session;
      if ('rows' in trainStep) trainStep.rows(session, epoch, rows);
      else trainStep.batch(session, epoch, gatherRows(data.trainX, rows), gatherRows(data.trainOneHot, rows));
    });
    const logNow = session.step % config.logEvery === 0;
    // The epoch's last step is evaluated after the epoch anyway.
    const evaluateNow =
      config.evalEvery !== undefined &&
      session.step % config.evalEvery === 0 &&
      start + config.batchSize < order.length;
    if (logNow || evaluateNow) {
      const flushed = session.recorder.flush();
      rows.push(...flushed);
      const diverged = firstDivergence(flushed, config.divergenceBound);
      if (diverged !== null) return diverged;
      const last = flushed.filter((r) => r.metric === 'batch_loss').at(-1);
      if (last && logNow) reportLoss(session, epoch, last.value, null);
    }
    if (evaluateNow) rows.push(...heldOutRows(session, epoch));
  }
  const flushed = session.recorder.flush();
  rows.push(...flushed);
  return firstDivergence(flushed, config.divergenceBound);
}

/** One epoch through model.fit, in the same data order as the custom loop. */
async function kerasEpoch(session: Session, epoch: number, order: Int32Array, rows: MetricRow[]) {
  const { config, data, model } = session;
  const remaining = config.maxSteps === undefined ? Infinity : (config.maxSteps - session.step) * config.batchSize;
  const used = order.subarray(0, Math.min(order.length, remaining));
  if (used.length === 0) return null;
  const index = tf.tensor1d(used, 'int32');
  const xs = tf.gather(data.trainX, index);
  const ys = tf.gather(data.trainOneHot, index);
  let diverged: number | null = null;
  const onBatchEnd = async (_batch: number, logs?: TF.Logs) => {
    session.step += 1;
    const loss = (logs?.loss ?? NaN) / objectiveScale(config, Number(logs?.size ?? config.batchSize));
    rows.push({ step: session.step, epoch, split: 'train', metric: 'batch_loss', value: loss });
    if (diverged === null && !(Math.abs(loss) <= config.divergenceBound)) {
      diverged = session.step;
      model.stopTraining = true;
    }
    if (session.step % config.logEvery === 0) reportLoss(session, epoch, loss, null);
  };
  try {
    await model.fit(xs, ys, {
      batchSize: config.batchSize,
      epochs: 1,
      shuffle: false,
      verbose: 0,
      callbacks: { onBatchEnd },
    });
  } finally {
    tf.dispose([index, xs, ys]);
  }
  return diverged;
}

/** Loss and accuracy on both splits, at the optimizer's evaluation point (schedule-free: x). */
function evaluateBoth(session: Session): { train: Evaluation; test: Evaluation } {
  const { data, evaluator } = session;
  return atEvaluationPoint(session.optimizer, () => ({
    train: evaluator.evaluate(data.trainX, data.trainLabels),
    test: evaluator.evaluate(data.testX, data.testLabels),
  }));
}

/** Loss and accuracy on the held-out split alone, at the optimizer's evaluation point: the rows of an evaluation inside an epoch. */
function heldOutRows(session: Session, epoch: number): MetricRow[] {
  const { data, evaluator, step, heldOutName } = session;
  const heldOut = atEvaluationPoint(session.optimizer, () => evaluator.evaluate(data.testX, data.testLabels));
  return [
    { step, epoch, split: heldOutName, metric: 'loss', value: heldOut.loss },
    { step, epoch, split: heldOutName, metric: 'accuracy', value: heldOut.accuracy },
  ];
}

function evaluationRows(
  step: number,
  epoch: number,
  evaluation: { train: Evaluation; test: Evaluation },
  heldOut: HeldOutName,
): MetricRow[] {
  const { train, test } = evaluation;
  return [
    { step, epoch, split: 'train', metric: 'loss', value: train.loss },
    { step, epoch, split: 'train', metric: 'accuracy', value: train.accuracy },
    { step, epoch, split: heldOut, metric: 'loss', value: test.loss },
    { step, epoch, split: heldOut, metric: 'accuracy', value: test.accuracy },
  ];
}

/** One epoch's rows and facts; `E` is the evaluations after it. */
export interface EpochResult<E = { train: Evaluation; test: Evaluation }> {
  rows: MetricRow[];
  divergedAtStep: number | null;
  seconds: number;
  samples: number;
  evaluation: E;
}

/**
 * The loop over epochs (of the in-memory data or of a tf.data.Dataset): writes the initial
 * rows, then trains epoch by epoch until done, diverged or out of steps, handing each epoch's
 * rows to the sinks and reporting its mean training loss.
 */
export async function epochLoop<E extends { train: Evaluation }>(
  config: TrainConfig,
  sinks: readonly MetricSink[],
  initial: { rows: MetricRow[]; evaluation: E },
  run: {
    steps: () => number;
    epoch: (epoch: number) => Promise<EpochResult<E>>;
    report: (epoch: number, loss: number, samplesPerSecond: number) => void;
  },
): Promise<{ rows: MetricRow[]; final: E; divergedAtStep: number | null; samplesPerSecond: number }> {
  const rows = [...initial.rows];
  for (const sink of sinks) await sink.write(rows);
  let final = initial.evaluation;
  let divergedAtStep: number | null = null;
  let trainSeconds = 0;
  let samplesSeen = 0;
  for (let epoch = 1; epoch <= config.epochs && divergedAtStep === null; epoch++) {
    if (config.maxSteps !== undefined && run.steps() >= config.maxSteps) break;
    const result = await run.epoch(epoch);
    ({ divergedAtStep, evaluation: final } = result);
    trainSeconds += result.seconds;
    samplesSeen += result.samples;
    rows.push(...result.rows);
    for (const sink of sinks) await sink.write(result.rows);
    run.report(epoch, final.train.loss, result.samples / result.seconds);
  }
  return { rows, final, divergedAtStep, samplesPerSecond: trainSeconds > 0 ? samplesSeen / trainSeconds : 0 };
}

/** Trains one epoch, then evaluates and measures how far the weights moved. */
async function trainEpoch(session: Session, epoch: number): Promise<EpochResult> {
  const { config } = session;
  const order = permutation(session.dataset.train.count, session.random);
  const rows: MetricRow[] = [];
  const stepBefore = session.step;
  const epochStart = performance.now();
  const divergedAtStep =
    config.mode === 'keras'
      ? await kerasEpoch(session, epoch, order, rows)
      : await customEpoch(session, epoch, order, rows);
  const seconds = (performance.now() - epochStart) / 1000;
  const samples = Math.min(order.length, (session.step - stepBefore) * config.batchSize);
  const evaluation = evaluateBoth(session);
  const displacement = tf.tidy(
    () => globalNorm(session.variables.map((v, i) => tf.sub(v, session.initialWeights[i]))).dataSync()[0],
  );
  const step = session.step;
  rows.push(
    ...evaluationRows(step, epoch, evaluation, session.heldOutName),
    { step, epoch, split: 'train', metric: 'displacement', value: displacement },
    { step, epoch, split: 'train', metric: 'epoch_seconds', value: seconds },
    { step, epoch, split: 'train', metric: 'samples_per_second', value: samples / seconds },
  );
  return { rows, divergedAtStep, seconds, samples, evaluation };
}

/** Evaluates the initial weights, then trains epoch by epoch until done, diverged or out of steps. */
export async function runEpochs(session: Session, sinks: readonly MetricSink[]): Promise<EpochsOutcome> {
  const { config } = session;
  const { dataset, model } = session;
  const initial = initialEvaluation(
    { train: dataset.train, heldOut: dataset.test },
    {
      spec: [session.architecture, dataset.numClasses],
      evalBatchSize: config.evalBatchSize,
      weights: model.weights.map((weight) => weight.read()),
    },
    () => evaluateBoth(session),
  );
  const { rows, final, divergedAtStep, samplesPerSecond } = await epochLoop(
    config,
    sinks,
    { rows: evaluationRows(0, 0, initial, session.heldOutName), evaluation: initial },
    {
      steps: () => session.step,
      epoch: (epoch) => trainEpoch(session, epoch),
      report: (epoch, loss, samplesPerSecond) => reportLoss(session, epoch, loss, samplesPerSecond),
    },
  );
  return {
    divergedAtStep,
    steps: session.step,
    samplesPerSecond,
    heldOut: session.heldOutName,
    initial: namedEvaluations(initial, session.heldOutName),
    final: namedEvaluations(final, session.heldOutName),
    rows,
    stepMode: session.runner.mode,
  };
}
