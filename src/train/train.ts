/**
 * One training run written to a run folder: config.json and run.json first, metrics.csv
 * (and, by default, TensorBoard event files) after every epoch, the loss plot at the end, and
 * run.json's final status last. The loop itself is in session.ts; divergence ends a run
 * cleanly with status `diverged` (a result, not a crash), any error marks it `failed`.
 */
import fs from 'node:fs';
import path from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import { backendInfo } from '../backend.js';
import { loadDataset, runDataLoad, type Dataset } from '../data/index.js';
import { runSplits, type HeldOutName } from './heldOut.js';
import { labelsFromFlags, type RunLabels } from '../runs/labels.js';
import { RunFolder, type RunRecord } from '../runs/runFolder.js';
import { EVENTS_FOLDER, eventFileName, writeRunEvents } from '../runs/tensorboard.js';
import { checkpointMetric, pruneCheckpoints, writeCheckpoint } from './checkpoint.js';
import { checkTrainFields, makeOptimizer, withTrainDefaults, type TrainConfig } from './config.js';
import { childFolder } from '../util/names.js';
import {
  disposeSession,
  prepareSession,
  runEpochs,
  type EpochsOutcome,
  type Session,
  type TrainProgress,
} from './session.js';
import type { TrainStep } from './customLoop.js';
import { lossPlotSink, metricsCsvSink, tensorboardSink, type MetricSink } from './sinks.js';
import type { MetricRow } from '../runs/metrics.js';
import { runTitle } from './plots.js';
import type { CompileMode } from '../graph/compileMode.js';
import type { StepMode } from '../graph/verifiedStep.js';
import { compactTimestamp } from '../util/format.js';
import { maskCommand } from '../util/secrets.js';
import { evaluationPointOf } from './evaluationPoint.js';
import { buildUserModel, layerSummary } from './userModel.js';
import { dataShape, runDatasetEpochs, type TrainData } from './datasetRun.js';
import { UserError } from '../util/errors.js';

export { heldOutEvaluation, type SplitEvaluations, type TrainProgress } from './session.js';

export interface TrainOptions {
  /** Folder that holds the run folders. */
  outRoot: string;
  /** Folder name of this run (default: derived from the config and the time). */
  runId?: string;
  /** A dataset already in memory (a sweep loads it once). */
  dataset?: Dataset;
  /**
   * Builds the model instead of `config.model` (whose name is then only a label, e.g. `custom`):
   * one input of the data's example shape, one output of logits (no softmax) per class.
   * config.json records its layers (`layers`: class names and units).
   */
  model?: () => TF.LayersModel;
  /**
   * Batched `tf.data.Dataset`s of `{ xs, ys }` (one-hot labels) to train on instead of
   * `config.dataset`; needs `model`. Runs the step over the dataset's batches (datasetRun.ts
   * says what this route does not have); config.dataset and its limits are not used.
   */
  data?: TrainData;
  /** Builds the optimizer instead of `config.optimizer` (custom chains); config.optimizer still describes it. */
  makeOptimizer?: () => TF.Optimizer;
  /** The custom loop's step (default: the plain variableGrads + applyGradients step). */
  trainStep?: TrainStep;
  onProgress?: (progress: TrainProgress) => void;
  /** The command line that started the run, recorded in run.json. */
  command?: string[];
  /** Write loss.svg/png (default true). */
  plot?: boolean;
  /**
   * Write TensorBoard event files in the run folder (default true): live as the epochs finish,
   * then once more from the finished folder. Sweeps and the study write them after each run.
   */
  tensorboard?: boolean;
  /** Compiled steps for the custom loop (default: $INERTIA_COMPILE, else auto); see verifiedStep.ts. */
  compile?: CompileMode;
  /** Tags recorded in run.json (checked by labels.ts: short words); not part of the run id or config.json. */
  tags?: string[];
  /** A note recorded in run.json (at most 1,000 characters). */
  note?: string;
}

/** A finished run: the training outcome with its folder, final status and wall time. */
export interface RunResult extends EpochsOutcome {
  id: string;
  dir: string;
  status: 'completed' | 'diverged';
  /** Wall time of the whole run, evaluation included. */
  seconds: number;
  /** Whether the custom loop's steps ran compiled, and why not. */
  stepMode: StepMode;
}

function defaultRunId(config: TrainConfig, dataset: string = config.dataset, now = new Date()): string {
  return `${dataset}-${config.model}-${config.optimizer.kind}-seed${config.seed}-${compactTimestamp(now)}`;
}

/**
 * The dataset with the config's limits and validation carve applied: `train` is what the run
 * trains on, `test` the held-out split it is evaluated on (`heldOutName` says which).
 */
export async function runDataset(
  config: TrainConfig,
  given?: Dataset,
): Promise<{ dataset: Dataset; heldOutName: HeldOutName }> {
  const dataset = given ?? (await loadDataset(config.dataset, runDataLoad(config).options));
  const { train, heldOut, heldOutName } = runSplits(dataset, config);
  return { dataset: { ...dataset, train, test: heldOut }, heldOutName };
}

function createRunFolder(
  config: TrainConfig,
  { dataset, heldOutName }: { dataset: Dataset; heldOutName: HeldOutName },
  runId: string,
  options: TrainOptions,
  optimizer: TF.Optimizer,
  model?: TF.LayersModel,
): RunFolder {
  return createFolder(config, runDataFacts({ dataset, heldOutName }), runId, options, optimizer, model);
}

/** What config.json records about a run's data (`data`): source, split, example counts, held-out split. */
export function runDataFacts({ dataset, heldOutName }: { dataset: Dataset; heldOutName: HeldOutName }) {
  const data = { source: dataset.source, split: dataset.split, trainCount: dataset.train.count, heldOut: heldOutName };
  return { ...data, [heldOutName === 'test' ? 'testCount' : 'validationCount']: dataset.test.count };
}

/** The run folder with config.json (the config, the user model's layers, `data`) and run.json. */
function createFolder(
  config: TrainConfig,
  data: Record<string, unknown>,
  runId: string,
  options: TrainOptions,
  optimizer: TF.Optimizer,
  model?: TF.LayersModel,
): RunFolder {
  const evaluatedAt = evaluationPointOf(optimizer);
  return RunFolder.create(
    options.outRoot,
    runId,
    // On options.data, config.dataset names nothing that was trained on: config.json says what was.
    {
      ...withTrainDefaults(config),
      ...(model ? { layers: layerSummary(model) } : {}),
      ...(options.data ? { dataset: 'tf.data.Dataset' } : {}),
      data,
    },
    {
      ...runFacts(options.command),
      ...labelsOf(options),
      ...(evaluatedAt !== null ? { evaluatedAt } : {}),
    },
  );
}

/** The options' tags and note, checked (absent ones stay absent from run.json). */
function labelsOf(options: TrainOptions): RunLabels {
  return labelsFromFlags(options.tags, options.note);
}

/** What run.json records about where a run trained: backend, versions, the command line. */
export function runFacts(command?: string[]): Parameters<typeof RunFolder.create>[3] {
  const info = backendInfo();
  return {
    backend: info.backend,
    tensorflowVersion: info.tensorflowVersion,
    tfjsVersion: info.tfjsVersions['tfjs-core'] ?? 'unknown',
    node: process.version,
    ...(command ? { command: maskCommand(command) } : {}),
  };
}

/**
 * The run's sinks. A resumed run passes the rows it keeps (`resumed`, in metrics.csv already):
 * the live event file is started again with them.
 */
async function sinksFor(
  folder: RunFolder,
  config: TrainConfig,
  options: TrainOptions,
  resumed?: readonly MetricRow[],
): Promise<MetricSink[]> {
  const events = options.tensorboard === false ? [] : [tensorboardSink(folder.dir, { ...config }, folder.startedAt)];
  if (resumed !== undefined && events.length > 0) {
    removeLiveEvents(folder.dir, folder.startedAt);
    await events[0].write(resumed);
  }
  return [
    metricsCsvSink(folder.metrics),
    ...events,
    ...(options.plot === false ? [] : [lossPlotSink(path.join(folder.dir, 'loss'), runTitle(config))]),
  ];
}

/**
 * Trains without a run folder or any output: the rows and evaluations only (benchmarks and
 * profiles). The config is trusted: build it with makeTrainConfig.
 */
export async function trainInMemory(
  config: TrainConfig,
  options: Omit<TrainOptions, 'outRoot' | 'plot' | 'tensorboard' | 'data'> = {},
): Promise<EpochsOutcome> {
  const { dataset, heldOutName } = await runDataset(config, options.dataset);
  const model = options.model ? buildUserModel(options.model, dataset.imageShape, dataset.numClasses) : undefined;
  const optimizer = options.makeOptimizer ? options.makeOptimizer() : makeOptimizer(config.optimizer);
  const runId = options.runId ?? 'in-memory';
  const session = prepareSession(config, dataset, { ...options, model, optimizer, runId, heldOutName });
  try {
    return await runEpochs(session, []);
  } finally {
    disposeSession(session);
  }
}

/**
 * Trains one run into `outRoot/runId`. The config's fields are checked before the folder
 * exists (makeTrainConfig fills in the defaults and checks them too).
 * A folder that exists already is never touched (RunExistsError).
 */
export async function train(config: TrainConfig, options: TrainOptions): Promise<RunResult> {
  // Everything that can be refused is refused before the folder exists: the config's fields,
  // the run id, the data limits, the user's model and (below) the optimizer.
  if (options.data !== undefined && options.model === undefined) {
    throw new UserError('options.data needs options.model: a function that builds a model for the data');
  }
  checkTrainFields(config, {
    userModel: options.model !== undefined,
    ...(options.data ? { heldOut: 'validation' as const } : {}),
  });
  const runId = options.runId ?? defaultRunId(config, options.data ? 'tf-data' : config.dataset);
  childFolder(options.outRoot, runId, 'run id');
  if (options.data !== undefined) return trainOnData(config, options, runId);
  const data = await runDataset(config, options.dataset);
  const { dataset, heldOutName } = data;
  const model = options.model ? buildUserModel(options.model, dataset.imageShape, dataset.numClasses) : undefined;
  const { optimizer, folder } = withDisposal(model, (made) => {
    made.optimizer = options.makeOptimizer ? options.makeOptimizer() : makeOptimizer(config.optimizer);
    return { optimizer: made.optimizer, folder: createRunFolder(config, data, runId, options, made.optimizer, model) };
  });
  return trainInFolder(folder, { runId, config }, options, async (sinks) => {
    const session = prepareSession(config, dataset, { ...options, model, optimizer, runId, heldOutName });
    try {
      return await runEpochs(session, sinks, { afterEpoch: checkpointAfterEpoch(folder.dir, config, session) });
    } finally {
      disposeSession(session);
    }
  });
}

/** What follows each epoch of a run with checkpoints: the checkpoint, then the pruning its mode asks for. */
export function checkpointAfterEpoch(
  dir: string,
  config: TrainConfig,
  session: Session,
): ((epoch: number, rows: readonly MetricRow[]) => Promise<void>) | undefined {
  const mode = config.checkpoint;
  if (mode === undefined) return undefined;
  const metric = checkpointMetric(config.earlyStop?.metric, session.heldOutName);
  return async (epoch, rows) => {
    await writeCheckpoint(dir, session, { epoch, step: session.loop.steps });
    pruneCheckpoints(dir, mode, metric, rows, false);
  };
}

/** `create()`, disposing the model and the optimizer it made when it throws (they are not owned by a session yet). */
function withDisposal<T>(model: TF.LayersModel | undefined, create: (made: { optimizer?: TF.Optimizer }) => T): T {
  const made: { optimizer?: TF.Optimizer } = {};
  try {
    return create(made);
  } catch (error) {
    made.optimizer?.dispose();
    model?.dispose();
    throw error;
  }
}

/** {@link train} on `options.data` (datasetRun.ts), with the user's model. */
async function trainOnData(config: TrainConfig, options: TrainOptions, runId: string): Promise<RunResult> {
  const data = options.data as TrainData;
  if (options.dataset !== undefined) throw new UserError('options.data and options.dataset are both given: pass one');
  if (config.checkpoint !== undefined) {
    throw new UserError(
      'options.data cannot be checkpointed (a tf.data.Dataset has no position to resume at): drop checkpoint, or train on an in-memory dataset (options.dataset)',
    );
  }
  if (options.trainStep !== undefined || config.mode === 'keras') {
    throw new UserError(
      'options.data runs the built-in step: drop trainStep and mode "keras" (or use model.fitDataset with inertiaLogger)',
    );
  }
  if (config.evalEvery !== undefined) {
    throw new UserError(
      'options.data evaluates after each epoch only: drop evalEvery, or train on an in-memory dataset (options.dataset)',
    );
  }
  if (config.trainEvalSize !== undefined) {
    throw new UserError(
      'options.data evaluates every training batch it yields: drop trainEvalSize, or train on an in-memory dataset (options.dataset)',
    );
  }
  const { inputShape, numClasses } = await dataShape(data);
  const model = buildUserModel(options.model as () => TF.LayersModel, inputShape, numClasses);
  const { optimizer, folder } = withDisposal(model, (made) => {
    made.optimizer = options.makeOptimizer ? options.makeOptimizer() : makeOptimizer(config.optimizer);
    const evaluatedAt = evaluationPointOf(made.optimizer);
    if (evaluatedAt !== null) {
      throw new UserError(
        `options.data evaluates at the variables, but this optimizer is evaluated at its ${evaluatedAt}: train it on an in-memory dataset (options.dataset)`,
      );
    }
    const described = {
      source: 'tf.data.Dataset',
      inputShape,
      numClasses,
      heldOut: data.validation ? 'validation' : null,
    };
    return {
      optimizer: made.optimizer,
      folder: createFolder(config, described, runId, options, made.optimizer, model),
    };
  });
  const run = { runId, config, model, optimizer, onProgress: options.onProgress };
  return trainInFolder(folder, { runId, config }, options, (sinks) => runDatasetEpochs(run, data, sinks));
}

/**
 * Trains with `epochs` into the created (or, `resumed`: reopened) `folder`: the sinks, the
 * final status, the early-stop and checkpoint records, the event files; `failed` on any error.
 */
export async function trainInFolder(
  folder: RunFolder,
  { runId, config }: { runId: string; config: TrainConfig },
  options: TrainOptions,
  epochs: (sinks: MetricSink[]) => Promise<EpochsOutcome>,
  resumed?: readonly MetricRow[],
): Promise<RunResult> {
  const started = performance.now();
  try {
    const sinks = await sinksFor(folder, config, options, resumed);
    const outcome = await epochs(sinks);
    const warnings = await closeSinks(sinks, outcome.rows);
    const seconds = (performance.now() - started) / 1000;
    const status = outcome.divergedAtStep === null ? 'completed' : 'diverged';
    const result: RunResult = { id: runId, dir: folder.dir, status, seconds, ...outcome };
    const finished: FinishedRun = {
      status,
      divergedAtStep: outcome.divergedAtStep,
      summary: summarize(result),
      records: {
        ...(outcome.earlyStop ? { earlyStop: { ...outcome.earlyStop } } : {}),
        ...(config.checkpoint ? { checkpoints: finalCheckpoints(folder.dir, config, outcome) } : {}),
      },
    };
    finishRunFolder(folder, finished, warnings, options.plot !== false && warnings.length === 0);
    if (options.tensorboard !== false) writeFinalEvents(folder.dir);
    return result;
  } catch (error) {
    try {
      folder.finish({ status: 'failed', error: error instanceof Error ? error.message : String(error) });
    } catch {
      // The folder cannot be written either (e.g. a full disk): the original error says why.
    }
    throw error;
  }
}

/** Closes every sink with the run's rows; what could not be written comes back as warnings. */
export async function closeSinks(sinks: readonly MetricSink[], rows: readonly MetricRow[]): Promise<string[]> {
  const warnings: string[] = [];
  for (const sink of sinks) {
    try {
      await sink.close?.(rows);
    } catch (error) {
      // Plots are best-effort: a plot that cannot be written is a warning, never an unfinished run.
      warnings.push(`not written: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return warnings;
}

/** How a run ended, as run.json records it. */
export interface FinishedRun {
  status: 'completed' | 'diverged';
  divergedAtStep: number | null;
  summary: NonNullable<RunRecord['summary']>;
  /** What else run.json records about the ending: early stopping, the checkpoints kept. */
  records?: Pick<RunRecord, 'earlyStop' | 'checkpoints'>;
}

/** The checkpoints a finished run keeps (the others removed), as run.json records them. */
function finalCheckpoints(dir: string, config: TrainConfig, outcome: EpochsOutcome): Record<string, unknown> {
  const metric = checkpointMetric(config.earlyStop?.metric, outcome.heldOut);
  return { ...pruneCheckpoints(dir, config.checkpoint!, metric, outcome.rows, true) };
}

/** Removes the live event file of a run started at `startedAt` (a resumed run writes it again). */
function removeLiveEvents(dir: string, startedAt: string): void {
  fs.rmSync(path.join(dir, EVENTS_FOLDER, eventFileName(startedAt)), { force: true });
}

/** Writes run.json's final status and summary: the last file a finished run writes. */
export function finishRunFolder(
  folder: RunFolder,
  finished: FinishedRun,
  warnings: string[] = [],
  plotted = false,
): void {
  const { status, divergedAtStep, summary, records } = finished;
  const update = { status, ...(divergedAtStep !== null ? { divergedAtStep } : {}), summary, ...records };
  const plots = plotted ? ['loss.svg', 'loss.png'] : [];
  if (!plotted) removePlots(folder.dir);
  try {
    folder.finish({ ...update, ...(warnings.length > 0 ? { warnings } : {}) }, plots);
  } catch (error) {
    // A full disk: the plot gives way so that the finished run is recorded as finished.
    if (plots.length === 0) throw error;
    removePlots(folder.dir);
    const message = error instanceof Error ? error.message : String(error);
    folder.finish({ ...update, warnings: [...warnings, `loss plot removed: ${message}`] });
  }
}

/**
 * Replaces the live event file with the one written from the finished folder (with the
 * session's end and status). Best-effort: the run is recorded already, and the live file,
 * or `inertia export tensorboard` later, still has its scalars.
 */
export function writeFinalEvents(dir: string): void {
  try {
    writeRunEvents(dir);
  } catch {
    // The event files are derived from the run's files and can be written again at any time.
  }
}

/** Removes whatever plot files were written (best-effort). */
function removePlots(dir: string): void {
  for (const name of ['loss.svg', 'loss.png']) {
    try {
      fs.rmSync(path.join(dir, name), { force: true });
    } catch {
      // Not a file this run wrote (e.g. a folder of that name): leave it.
    }
  }
}

function summarize(result: RunResult): NonNullable<RunRecord['summary']> {
  const heldOut = result.final[result.heldOut];
  return {
    steps: result.steps,
    seconds: result.seconds,
    samples_per_second: result.samplesPerSecond,
    final_train_loss: result.final.train.loss,
    final_train_accuracy: result.final.train.accuracy,
    // A run on options.data without a validation dataset has no held-out split.
    ...(heldOut
      ? { [`final_${result.heldOut}_loss`]: heldOut.loss, [`final_${result.heldOut}_accuracy`]: heldOut.accuracy }
      : {}),
    diverged: result.status === 'diverged',
    compiled_steps: result.stepMode.compiled,
    compile_fallback: result.stepMode.fallback,
  };
}
