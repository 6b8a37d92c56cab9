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
import { RunFolder, type RunRecord } from '../runs/runFolder.js';
import { writeRunEvents } from '../runs/tensorboard.js';
import { checkTrainFields, makeOptimizer, withTrainDefaults, type TrainConfig } from './config.js';
import { childFolder } from '../util/names.js';
import {
  disposeSession,
  heldOutEvaluation,
  prepareSession,
  runEpochs,
  type EpochsOutcome,
  type TrainProgress,
  type TrainStep,
} from './session.js';
import { lossPlotSink, metricsCsvSink, tensorboardSink, type MetricSink } from './sinks.js';
import type { MetricRow } from '../runs/metrics.js';
import { runTitle } from './plots.js';
import type { CompileMode } from './compileMode.js';
import type { StepMode } from './stepRunner.js';
import { compactTimestamp } from '../util/format.js';
import { maskCommand } from '../util/secrets.js';
import { evaluationPointOf } from './evaluationPoint.js';

export { dataOrder, heldOutEvaluation, objectiveScale, type SplitEvaluations, type TrainProgress } from './session.js';

export interface TrainOptions {
  /** Folder that holds the run folders. */
  outRoot: string;
  /** Folder name of this run (default: derived from the config and the time). */
  runId?: string;
  /** A dataset already in memory (a sweep loads it once). */
  dataset?: Dataset;
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
  /** Compiled steps for the custom loop (default: $INERTIA_COMPILE, else auto); see stepRunner.ts. */
  compile?: CompileMode;
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

function defaultRunId(config: TrainConfig, now = new Date()): string {
  return `${config.dataset}-${config.model}-${config.optimizer.kind}-seed${config.seed}-${compactTimestamp(now)}`;
}

/**
 * The dataset with the config's limits and validation carve applied: `train` is what the run
 * trains on, `test` the held-out split it is evaluated on (`heldOutName` says which).
 */
async function runDataset(
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
): RunFolder {
  const evaluatedAt = evaluationPointOf(optimizer);
  const data = { source: dataset.source, split: dataset.split, trainCount: dataset.train.count, heldOut: heldOutName };
  const heldOutCount = { [heldOutName === 'test' ? 'testCount' : 'validationCount']: dataset.test.count };
  return RunFolder.create(
    options.outRoot,
    runId,
    { ...withTrainDefaults(config), data: { ...data, ...heldOutCount } },
    { ...runFacts(options.command), ...(evaluatedAt !== null ? { evaluatedAt } : {}) },
  );
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

function sinksFor(folder: RunFolder, config: TrainConfig, options: TrainOptions): MetricSink[] {
  return [
    metricsCsvSink(folder.metrics),
    ...(options.tensorboard === false ? [] : [tensorboardSink(folder.dir, { ...config }, folder.startedAt)]),
    ...(options.plot === false ? [] : [lossPlotSink(path.join(folder.dir, 'loss'), runTitle(config))]),
  ];
}

/**
 * Trains without a run folder or any output: the rows and evaluations only (benchmarks and
 * profiles). The config is trusted: build it with makeTrainConfig.
 */
export async function trainInMemory(
  config: TrainConfig,
  options: Omit<TrainOptions, 'outRoot' | 'plot' | 'tensorboard'> = {},
): Promise<EpochsOutcome> {
  const { dataset, heldOutName } = await runDataset(config, options.dataset);
  const optimizer = options.makeOptimizer ? options.makeOptimizer() : makeOptimizer(config.optimizer);
  const runId = options.runId ?? 'in-memory';
  const session = prepareSession(config, dataset, { ...options, optimizer, runId, heldOutName });
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
  // the run id, the data limits, and (below) the optimizer.
  checkTrainFields(config);
  const runId = options.runId ?? defaultRunId(config);
  childFolder(options.outRoot, runId, 'run id');
  const data = await runDataset(config, options.dataset);
  const { dataset, heldOutName } = data;
  const optimizer = options.makeOptimizer ? options.makeOptimizer() : makeOptimizer(config.optimizer);
  let folder: RunFolder;
  try {
    folder = createRunFolder(config, data, runId, options, optimizer);
  } catch (error) {
    optimizer.dispose();
    throw error;
  }
  const started = performance.now();
  try {
    const session = prepareSession(config, dataset, { ...options, optimizer, runId, heldOutName });
    try {
      const sinks = sinksFor(folder, config, options);
      const outcome = await runEpochs(session, sinks);
      const warnings = await closeSinks(sinks, outcome.rows);
      const seconds = (performance.now() - started) / 1000;
      const status = outcome.divergedAtStep === null ? 'completed' : 'diverged';
      const result: RunResult = { id: runId, dir: folder.dir, status, seconds, ...outcome };
      const finished: FinishedRun = { status, divergedAtStep: outcome.divergedAtStep, summary: summarize(result) };
      finishRunFolder(folder, finished, warnings, options.plot !== false && warnings.length === 0);
      if (options.tensorboard !== false) writeFinalEvents(folder.dir);
      return result;
    } finally {
      disposeSession(session);
    }
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
}

/** Writes run.json's final status and summary: the last file a finished run writes. */
export function finishRunFolder(
  folder: RunFolder,
  finished: FinishedRun,
  warnings: string[] = [],
  plotted = false,
): void {
  const { status, divergedAtStep, summary } = finished;
  const update = { status, ...(divergedAtStep !== null ? { divergedAtStep } : {}), summary };
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
  return {
    steps: result.steps,
    seconds: result.seconds,
    samples_per_second: result.samplesPerSecond,
    final_train_loss: result.final.train.loss,
    final_train_accuracy: result.final.train.accuracy,
    [`final_${result.heldOut}_loss`]: heldOutEvaluation(result.final, result.heldOut).loss,
    [`final_${result.heldOut}_accuracy`]: heldOutEvaluation(result.final, result.heldOut).accuracy,
    diverged: result.status === 'diverged',
    compiled_steps: result.stepMode.compiled,
    compile_fallback: result.stepMode.fallback,
  };
}
