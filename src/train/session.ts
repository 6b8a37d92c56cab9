/**
 * One run's epochs, without any files: `prepareSession` puts the data on the device and builds
 * the seeded model, its evaluator and its loop (the custom loop, customLoop.ts, or model.fit,
 * kerasLoop.ts); `runEpochs` draws each epoch's data order, has the loop train it, evaluates on
 * the full splits after each epoch (the initial weights' evaluation once per process:
 * initialEvaluation.ts) and hands every finished row to the sinks. Divergence ends the run
 * cleanly.
 */
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../backend.js';
import type { Dataset } from '../data/index.js';
import { buildModel } from '../models/index.js';
import type { MetricRow } from '../runs/metrics.js';
import { seededRandom, permutation } from '../util/random.js';
import { modelSpec, type TrainConfig } from './config.js';
import type { Evaluation } from '../graph/evaluate.js';
import { SplitEvaluator } from '../graph/compiledEvaluation.js';
import { initialEvaluation } from './initialEvaluation.js';
import { globalNorm } from './losses.js';
import { deviceData, type DeviceData } from './deviceData.js';
import type { MetricSink } from './sinks.js';
import type { HeldOutName } from './heldOut.js';
import { defaultCompileMode, type CompileMode } from '../graph/compileMode.js';
import type { StepMode } from '../graph/verifiedStep.js';
import { traceLayers } from '../graph/traceLayers.js';
import { atEvaluationPoint } from './evaluationPoint.js';
import { CustomLoop, type TrainStep } from './customLoop.js';
import { KerasLoop } from './kerasLoop.js';
import type { LossReport, TrainingLoop } from './loop.js';
import { forward, scaledObjective, trainingLoss } from './objective.js';
import { earlyStopDecision, type EarlyStopRecord } from './earlyStop.js';

export interface TrainProgress {
  runId: string;
  epoch: number;
  epochs: number;
  step: number;
  totalSteps: number;
  loss: number | null;
  samplesPerSecond: number | null;
}

/** Everything a run's epochs share, fixed when the session is prepared; the loop owns the steps. */
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
  /** Loss and accuracy on a whole split, compiled unless steps are off (compiledEvaluation.ts). */
  evaluator: SplitEvaluator;
  /** The custom loop or model.fit. */
  loop: TrainingLoop;
  /** Steps the run takes unless it diverges. */
  totalSteps: number;
  onProgress?: (progress: TrainProgress) => void;
}

export interface SessionOptions {
  runId: string;
  /** What `dataset.test` is: the test split or a validation split carved from training data. */
  heldOutName: HeldOutName;
  /** The optimizer `config.optimizer` describes; the session owns it from here on. */
  optimizer: TF.Optimizer;
  /** The custom loop's step (default: the built-in step, trainingStep.ts). */
  trainStep?: TrainStep;
  /** A model built already (the user's, userModel.ts) instead of buildModel's; the session owns it from here on. */
  model?: TF.LayersModel;
  /** Compiled steps for the built-in step (default: $INERTIA_COMPILE, else auto); off for model.fit and other steps. */
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
  /** The early-stopping decision (config.earlyStop), or null without one. */
  earlyStop: EarlyStopRecord | null;
}

/** The generator of a run's data order: one permutation per epoch, drawn in turn. */
export function dataOrderRandom(seed: number): () => number {
  return seededRandom(seed * 7919 + 17);
}

/** The order in which a run with this seed visits `count` training examples in its first epoch. */
export function dataOrder(count: number, seed: number): Int32Array {
  return permutation(count, dataOrderRandom(seed));
}

/** Puts the (already limited) dataset on the device and builds the model and its loop. */
export function prepareSession(config: TrainConfig, dataset: Dataset, options: SessionOptions): Session {
  const data = deviceData(dataset.train, dataset.test, dataset.imageShape, dataset.numClasses, config.trainEvalSize);
  const model = options.model ?? buildModel(modelSpec(config), dataset.imageShape, dataset.numClasses);
  // A layer the compiled step cannot hold then names itself in the fallback line.
  traceLayers(model);
  // buildModel's architecture is a function of these; the seed only sets the initial values.
  // A user's model is keyed by its full description (its layer names included, so never shared).
  const architecture = options.model
    ? JSON.stringify(model.toJSON(null, false))
    : JSON.stringify([config.model, config.hidden ?? null, dataset.imageShape]);
  const optimizer = options.optimizer;
  const variables = model.trainableWeights.map((weight) => weight.read() as TF.Variable);
  const totalSteps = totalStepsOf(config, dataset);
  const compile =
    config.mode === 'keras' || options.trainStep !== undefined ? 'off' : (options.compile ?? defaultCompileMode());
  const report: LossReport = (epoch, step, loss) =>
    options.onProgress?.({
      ...progressOf(options.runId, config, totalSteps),
      epoch,
      step,
      loss,
      samplesPerSecond: null,
    });
  const initialWeights = variables.map((v) => tf.keep(v.clone()));
  const evaluator = new SplitEvaluator(
    {
      forward: forward(model, false),
      weights: model.weights.map((weight) => weight.read() as TF.Variable),
      architecture,
    },
    dataset.numClasses,
    config.evalBatchSize,
    compile !== 'off',
  );
  // Rows of an evaluation of the held-out split inside an epoch (evalEvery), at the optimizer's evaluation point.
  const heldOutRows = (epoch: number, step: number): MetricRow[] => {
    const heldOut = atEvaluationPoint(optimizer, () => evaluator.evaluate(data.testX, data.testLabels));
    return [
      { step, epoch, split: options.heldOutName, metric: 'loss', value: heldOut.loss },
      { step, epoch, split: options.heldOutName, metric: 'accuracy', value: heldOut.accuracy },
    ];
  };
  const loop =
    config.mode === 'keras'
      ? new KerasLoop(config, data, model, optimizer, report)
      : customLoop(config, { data, model, optimizer, variables }, compile, options.trainStep, report, heldOutRows);
  return {
    runId: options.runId,
    heldOutName: options.heldOutName,
    config,
    dataset,
    data,
    model,
    optimizer,
    variables,
    initialWeights,
    architecture,
    evaluator,
    loop,
    totalSteps,
    onProgress: options.onProgress,
  };
}

/** Steps the run takes unless it diverges: every batch of every epoch, at most maxSteps. */
function totalStepsOf(config: TrainConfig, dataset: Dataset): number {
  return Math.min(Math.ceil(dataset.train.count / config.batchSize) * config.epochs, config.maxSteps ?? Infinity);
}

/** What every progress report of a run says. */
function progressOf(runId: string, config: TrainConfig, totalSteps: number) {
  return { runId, epochs: config.epochs, totalSteps };
}

/** The custom loop of the run's model on its data, with the built-in step (or the caller's). */
function customLoop(
  config: TrainConfig,
  run: { data: DeviceData; model: TF.LayersModel; optimizer: TF.Optimizer; variables: TF.Variable[] },
  compile: CompileMode,
  trainStep: TrainStep | undefined,
  report: LossReport,
  heldOutRows: (epoch: number, step: number) => MetricRow[],
): CustomLoop {
  const { data, model, optimizer, variables } = run;
  const loss = trainingLoss(model, config);
  const parts = { variables, optimizer, objective: scaledObjective(config, loss) };
  return new CustomLoop({ config, data, model, loss, parts, compile, trainStep, report, heldOutRows });
}

export function disposeSession(session: Session): void {
  session.loop.dispose();
  session.evaluator.dispose();
  tf.dispose(session.initialWeights);
  session.optimizer.dispose();
  session.model.dispose();
  session.data.dispose();
}

/** Reports an epoch's end: its mean training loss and the throughput of its steps. */
function reportEpoch(session: Session, epoch: number, loss: number, samplesPerSecond: number): void {
  const { runId, config, loop, totalSteps } = session;
  session.onProgress?.({ ...progressOf(runId, config, totalSteps), epoch, step: loop.steps, loss, samplesPerSecond });
}

/** Loss and accuracy on both splits, at the optimizer's evaluation point (schedule-free: x). */
function evaluateBoth(session: Session): { train: Evaluation; test: Evaluation } {
  const { data, evaluator } = session;
  return atEvaluationPoint(session.optimizer, () => ({
    train: evaluator.evaluate(data.trainEvalX, data.trainEvalLabels),
    test: evaluator.evaluate(data.testX, data.testLabels),
  }));
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
 * rows, then trains epoch by epoch until done, diverged, stopped early (earlyStop.ts) or out
 * of steps, handing each epoch's rows to the sinks, then to `run.afterEpoch` (a checkpoint),
 * and reporting its mean training loss. A resumed run (`initial.epochsDone` > 0) passes the
 * rows of its finished epochs, already written, and the evaluation after the last of them.
 */
export async function epochLoop<E extends { train: Evaluation }>(
  config: TrainConfig,
  sinks: readonly MetricSink[],
  initial: { rows: MetricRow[]; evaluation: E; epochsDone?: number },
  run: {
    steps: () => number;
    epoch: (epoch: number) => Promise<EpochResult<E>>;
    report: (epoch: number, loss: number, samplesPerSecond: number) => void;
    afterEpoch?: (epoch: number, rows: readonly MetricRow[]) => Promise<void>;
  },
): Promise<{
  rows: MetricRow[];
  final: E;
  divergedAtStep: number | null;
  samplesPerSecond: number;
  earlyStop: EarlyStopRecord | null;
}> {
  const rows = [...initial.rows];
  const epochsDone = initial.epochsDone ?? 0;
  if (epochsDone === 0) for (const sink of sinks) await sink.write(rows);
  let final = initial.evaluation;
  let divergedAtStep: number | null = null;
  let { trainSeconds, samplesSeen } = trainingTime(rows);
  const decide = () => (config.earlyStop ? earlyStopDecision(rows, config.earlyStop) : null);
  let earlyStop = decide();
  for (let epoch = epochsDone + 1; epoch <= config.epochs && divergedAtStep === null; epoch++) {
    if (earlyStop?.stoppedAtEpoch != null) break;
    if (config.maxSteps !== undefined && run.steps() >= config.maxSteps) break;
    const result = await run.epoch(epoch);
    ({ divergedAtStep, evaluation: final } = result);
    trainSeconds += result.seconds;
    samplesSeen += result.samples;
    rows.push(...result.rows);
    for (const sink of sinks) await sink.write(result.rows);
    earlyStop = decide();
    if (divergedAtStep === null) await run.afterEpoch?.(epoch, rows);
    run.report(epoch, final.train.loss, result.samples / result.seconds);
  }
  return {
    rows,
    final,
    divergedAtStep,
    samplesPerSecond: trainSeconds > 0 ? samplesSeen / trainSeconds : 0,
    earlyStop,
  };
}

/** Training seconds and examples of the epochs among `rows` (a resumed run's earlier epochs). */
function trainingTime(rows: readonly MetricRow[]): { trainSeconds: number; samplesSeen: number } {
  const perEpoch = new Map<number, { seconds?: number; rate?: number }>();
  for (const row of rows) {
    if (row.split !== 'train' || (row.metric !== 'epoch_seconds' && row.metric !== 'samples_per_second')) continue;
    const entry = perEpoch.get(row.epoch) ?? {};
    if (row.metric === 'epoch_seconds') entry.seconds = row.value;
    else entry.rate = row.value;
    perEpoch.set(row.epoch, entry);
  }
  let trainSeconds = 0;
  let samplesSeen = 0;
  for (const { seconds = 0, rate = 0 } of perEpoch.values()) {
    trainSeconds += seconds;
    samplesSeen += seconds * rate;
  }
  return { trainSeconds, samplesSeen };
}

/** Trains one epoch, then evaluates and measures how far the weights moved. */
async function trainEpoch(session: Session, epoch: number, order: Int32Array): Promise<EpochResult> {
  const { config, loop } = session;
  const rows: MetricRow[] = [];
  const stepBefore = loop.steps;
  const epochStart = performance.now();
  const divergedAtStep = await loop.epoch(epoch, order, rows);
  const seconds = (performance.now() - epochStart) / 1000;
  const samples = Math.min(order.length, (loop.steps - stepBefore) * config.batchSize);
  const evaluation = evaluateBoth(session);
  const displacement = tf.tidy(
    () => globalNorm(session.variables.map((v, i) => tf.sub(v, session.initialWeights[i]))).dataSync()[0],
  );
  const step = loop.steps;
  rows.push(
    ...evaluationRows(step, epoch, evaluation, session.heldOutName),
    { step, epoch, split: 'train', metric: 'displacement', value: displacement },
    { step, epoch, split: 'train', metric: 'epoch_seconds', value: seconds },
    { step, epoch, split: 'train', metric: 'samples_per_second', value: samples / seconds },
  );
  return { rows, divergedAtStep, seconds, samples, evaluation };
}

/** What a run adds to the plain loop over epochs: where it resumes, what follows each epoch. */
export interface EpochHooks {
  /**
   * A resumed run: the rows of the epochs it trained already (0 to `epoch`, written), and the
   * step it stopped at; the model and optimizer already hold their state after that epoch
   * (resume.ts). The data order skips the permutations of those epochs.
   */
  resumed?: { rows: MetricRow[]; epoch: number; step: number };
  /** After each epoch that did not diverge, once its rows are written (a checkpoint). */
  afterEpoch?: (epoch: number, rows: readonly MetricRow[]) => Promise<void>;
}

/** The evaluations an `epoch`'s rows record (a resumed run's last finished epoch). */
function evaluationFromRows(rows: readonly MetricRow[], epoch: number, heldOut: HeldOutName) {
  const value = (split: string, metric: string) => {
    const row = rows.find((r) => r.epoch === epoch && r.split === split && r.metric === metric);
    if (row === undefined) throw new Error(`no ${split}/${metric} row of epoch ${epoch}`);
    return row.value;
  };
  const of = (split: string): Evaluation => ({ loss: value(split, 'loss'), accuracy: value(split, 'accuracy') });
  return { train: of('train'), test: of(heldOut) };
}

/** The evaluation of the initial weights (once per process for the same weights and data). */
function initialOf(session: Session): { train: Evaluation; test: Evaluation } {
  const { config, dataset, model } = session;
  return initialEvaluation(
    { train: dataset.train, heldOut: dataset.test },
    {
      spec: [session.architecture, dataset.numClasses, config.trainEvalSize ?? null],
      evalBatchSize: config.evalBatchSize,
      weights: model.weights.map((weight) => weight.read()),
    },
    () => evaluateBoth(session),
  );
}

/**
 * Evaluates the initial weights, then trains epoch by epoch until done, diverged, stopped
 * early or out of steps; a resumed run (`hooks.resumed`) continues after its last epoch.
 */
export async function runEpochs(
  session: Session,
  sinks: readonly MetricSink[],
  hooks: EpochHooks = {},
): Promise<EpochsOutcome> {
  const { config, dataset, loop, heldOutName } = session;
  const { resumed } = hooks;
  const random = dataOrderRandom(config.seed);
  const order = () => permutation(dataset.train.count, random);
  if (resumed) {
    for (let epoch = 1; epoch <= resumed.epoch; epoch++) order();
    loop.startAt(resumed.step);
  }
  const initial = resumed ? evaluationFromRows(resumed.rows, 0, heldOutName) : initialOf(session);
  const { rows, final, divergedAtStep, samplesPerSecond, earlyStop } = await epochLoop(
    config,
    sinks,
    resumed
      ? {
          rows: resumed.rows,
          evaluation: evaluationFromRows(resumed.rows, resumed.epoch, heldOutName),
          epochsDone: resumed.epoch,
        }
      : { rows: evaluationRows(0, 0, initial, heldOutName), evaluation: initial },
    {
      steps: () => loop.steps,
      epoch: (epoch) => trainEpoch(session, epoch, order()),
      report: (epoch, loss, samplesPerSecond) => reportEpoch(session, epoch, loss, samplesPerSecond),
      afterEpoch: hooks.afterEpoch,
    },
  );
  return {
    divergedAtStep,
    steps: loop.steps,
    samplesPerSecond,
    heldOut: heldOutName,
    initial: namedEvaluations(initial, heldOutName),
    final: namedEvaluations(final, heldOutName),
    rows,
    stepMode: loop.stepMode,
    earlyStop,
  };
}
