/**
 * `inertia bench`: runs the selected sections in one process and writes
 * `<outRoot>/<timestamp>/bench.csv` and `bench.md`. Returns values and emits progress
 * messages; it never prints.
 */
import fs from 'node:fs';
import path from 'node:path';
import { backendInfo } from '../backend.js';
import { DatasetError, loadDataset, takeFirst, type Dataset, type DatasetName } from '../data/index.js';
import type { ModelKind } from '../models/index.js';
import { createOptimizer } from '../optimizers/index.js';
import { gitCommit } from '../util/provenance.js';
import { benchBackendSection } from './backendSection.js';
import { machineInfo, machineLabel, threadsLabel, type MachineInfo, type ThreadSettings } from './machine.js';
import { benchOptimizerSteps, LARGE_VARIABLE_SET } from './optimizerStep.js';
import { modelVariableSet, type CustomOptimizerFactory } from '../train/stepTiming.js';
import { benchPeers } from './peerSection.js';
import { writeBenchFolder, type BenchRow, type RowContext, type SectionName, type SectionResult } from './report.js';
import { benchTraining, type TrainingMeasurement } from './training.js';
import { benchFit } from './fitSection.js';
import { defaultCompileMode, type CompileMode } from '../graph/compileMode.js';
import { graphBinding } from '../graph/graphBinding.js';
import { UserError } from '../util/errors.js';
import { goalsMarkdown } from './goals.js';
import { benchDir } from './folder.js';
import { profileMarkdown, profileRows, profileTrainingStep, type StepProfile } from './profile.js';

export interface BenchOptions {
  /** Fewer datasets and epochs: minutes instead of tens of minutes. */
  quick: boolean;
  /** A smoke-sized bench (seconds): its goals table judges no goal. */
  smoke?: boolean;
  sections: readonly SectionName[];
  /** Folder that holds one folder per bench run. */
  outRoot: string;
  /** The thread settings TensorFlow was loaded with (null: its defaults). */
  threads: ThreadSettings | null;
  /** The command line that made this bench, for bench.md. */
  command: string;
  // Overrides of the quick/full presets (tests, tuning).
  datasets?: readonly DatasetName[];
  models?: readonly ModelKind[];
  epochs?: number;
  trainLimit?: number;
  testLimit?: number;
  optimizerSteps?: number;
  /** Paired repeats of the fit section (default 1): its ratios are then medians of the pairs. */
  fitRepeats?: number;
  /** Steps of the longer run in the step profile (default 45). */
  profileSteps?: number;
  optimizerWarmupSteps?: number;
  /** Include the ~10M-parameter variable set in the optimizer section (default true). */
  largeVariables?: boolean;
  backendSamples?: number;
  backendSeconds?: number;
  peerTimeoutSeconds?: number;
  createCustomOptimizer?: CustomOptimizerFactory;
  /** Compiled-step paths: auto = where this binding can, on = or fail, off = eager only (default: $INERTIA_COMPILE, else auto). */
  compile?: CompileMode;
  onProgress?: (message: string) => void;
}

/** Whether the bench times compiled steps too. */
function compiledPaths(mode: CompileMode): boolean {
  if (mode === 'off') return false;
  const graph = graphBinding();
  if (!('reason' in graph)) return true;
  if (mode === 'on') throw new UserError(`--compile on: compiled steps cannot run: ${graph.reason}`);
  return false;
}

export interface BenchOutcome {
  dir: string;
  csv: string;
  markdown: string;
  /** goals.md: the goals table alone (met/missed per cell), to paste into docs/benchmarks.md and the README. */
  goals: string;
  sections: SectionResult[];
}

export const BATCH_SIZE = 128;
export const LEARNING_RATE = 0.05;
export const MOMENTUM = 0.9;
export const SEED = 1;

/** The sections that train on the bench's datasets. */
const DATA_SECTIONS: readonly SectionName[] = ['training', 'peers', 'fit'];

function versionsLabel(backend: string): string {
  const info = backendInfo();
  const tfjs = `tfjs ${info.tfjsVersions['tfjs-core'] ?? 'unknown'}`;
  return backend === 'tensorflow'
    ? `${tfjs}; TensorFlow C library ${info.tensorflowVersion ?? 'unknown'}, oneDNN ${info.oneDnn.enabled ? 'on' : 'off'}`
    : `${tfjs}; pure-JS cpu kernels`;
}

async function loadDatasets(
  names: readonly DatasetName[],
  notes: string[],
): Promise<{ name: DatasetName; data: Dataset }[]> {
  const loaded: { name: DatasetName; data: Dataset }[] = [];
  for (const name of names) {
    try {
      loaded.push({ name, data: await loadDataset(name) });
    } catch (error) {
      if (!(error instanceof DatasetError)) throw error;
      notes.push(`- **${name}: unavailable**: ${error.message}`);
    }
  }
  return loaded;
}

function withNotes(result: SectionResult, notes: readonly string[]): SectionResult {
  return notes.length === 0 ? result : { ...result, markdown: `${result.markdown}\n\n${notes.join('\n')}` };
}

/** Step profiles of the custom loop and model.fit for each model on the first dataset. */
async function profileSteps(
  dataset: { name: DatasetName; data: Dataset } | undefined,
  models: readonly ModelKind[],
  options: BenchOptions,
  progress: (message: string) => void,
): Promise<StepProfile[]> {
  if (!dataset) return [];
  const count = Math.min(options.trainLimit ?? Infinity, dataset.data.train.count);
  const manySteps = Math.min(Math.floor(count / BATCH_SIZE), options.profileSteps ?? 45);
  const fewSteps = Math.max(1, Math.floor(manySteps / 6));
  if (manySteps <= fewSteps) return [];
  const limited = { name: dataset.name, data: { ...dataset.data, train: takeFirst(dataset.data.train, count) } };
  const profiles: StepProfile[] = [];
  for (const model of models) {
    for (const [mode, optimizer] of [
      ['custom', 'heavy-ball'],
      ['keras', 'builtin-momentum'],
    ] as const) {
      progress(`training: step profile ${dataset.name} ${model} ${mode} ${optimizer}`);
      profiles.push(
        await profileTrainingStep({
          dataset: limited,
          model,
          mode,
          optimizer,
          batchSize: BATCH_SIZE,
          learningRate: LEARNING_RATE,
          momentum: MOMENTUM,
          seed: SEED,
          fewSteps,
          manySteps,
        }),
      );
    }
  }
  return profiles;
}

export async function runBench(options: BenchOptions): Promise<BenchOutcome> {
  const started = new Date();
  const machine = machineInfo();
  const backend = backendInfo().backend;
  const threads =
    backend === 'cpu'
      ? 'JS main thread'
      : options.threads
        ? threadsLabel(options.threads)
        : 'TensorFlow defaults (all cores)';
  const context: RowContext = { backend, versions: versionsLabel(backend), threads, machine: machineLabel(machine) };
  // mnist-digits only by default: with oneDNN on and off, every section runs twice, and the
  // whole bench stays within minutes; `inertia bench` passes fashion-mnist when it is installed
  // (commands/bench.ts defaultBenchDatasets).
  const datasetNames = options.datasets ?? ['mnist-digits'];
  const models = options.models ?? ['mlp', 'cnn'];
  const epochs = options.epochs ?? (options.quick ? 1 : 2);
  const progress = options.onProgress ?? (() => {});
  const dir = benchDir(options.outRoot, started);
  fs.mkdirSync(dir, { recursive: true });
  const sections: SectionResult[] = [];
  const wants = (name: SectionName) => options.sections.includes(name);
  const compiled = compiledPaths(options.compile ?? defaultCompileMode());

  if (wants('optimizer')) sections.push(await optimizerSection(options, compiled, context, progress));
  let inertia: TrainingMeasurement[] = [];
  const dataNotes: string[] = [];
  const datasets = DATA_SECTIONS.some(wants) ? await loadDatasets(datasetNames, dataNotes) : [];
  const workload = { ...benchWorkload(options), epochs };
  if (wants('training')) {
    const training = await trainingSection(options, { workload, compiled, datasets, models, dir, context, progress });
    inertia = training.measurements;
    sections.push(withNotes(training.result, dataNotes));
  }
  if (wants('backends')) sections.push(await backendsSection(options, context, progress));
  if (wants('peers')) {
    const result = await benchPeers({
      ...workload,
      datasets,
      models,
      threads: options.threads?.intraOp ?? machine.cores,
      interOp: options.threads?.interOp ?? machine.cores,
      timeoutSeconds: options.peerTimeoutSeconds ?? 1800,
      inertia,
      context,
      onProgress: progress,
    });
    sections.push(withNotes(result, dataNotes));
  }
  const fitInput = { epochs, machine, context, progress, notes: dataNotes };
  if (wants('fit') && datasets.length > 0) sections.push(await fitSection(options, datasets[0], fitInput));

  const header = {
    command: options.command,
    startedAt: started.toISOString(),
    seconds: (Date.now() - started.getTime()) / 1000,
    machine,
    backend,
    versions: context.versions,
    threads,
    gitCommit: gitCommit(),
  };
  const goals = settingGoals(datasetNames[0], sections, machine, options.smoke);
  return { dir, ...(await writeBenchFolder(dir, header, sections, goals)), sections };
}

/** The goals for this process's one oneDNN setting (a run over both settings has its own, see oneDnnSettings.ts). */
function settingGoals(
  dataset: string,
  sections: readonly { rows: readonly BenchRow[] }[],
  machine: MachineInfo,
  smoke: boolean | undefined,
): string {
  const setting = backendInfo().oneDnn.enabled ? 'on' : 'off';
  return goalsMarkdown(dataset, [{ setting, rows: sections.flatMap((s) => s.rows) }], machine, { smoke });
}

/** Section 1: the optimizer step alone, custom vs tf.train's, on the MLP's variables (and a large set). */
async function optimizerSection(
  options: BenchOptions,
  compiled: boolean,
  context: RowContext,
  progress: (message: string) => void,
): Promise<SectionResult> {
  const variableSets = [modelVariableSet('mlp'), ...(options.largeVariables === false ? [] : [LARGE_VARIABLE_SET])];
  const { result } = await benchOptimizerSteps({
    variableSets,
    createCustom:
      options.createCustomOptimizer ?? ((spec) => createOptimizer(spec as Parameters<typeof createOptimizer>[0])),
    steps: options.optimizerSteps ?? (options.quick ? 30 : 100),
    warmupSteps: options.optimizerWarmupSteps ?? 5,
    compiled,
    context,
    onProgress: progress,
  });
  return result;
}

/** The training settings every section that trains shares (epochs are set by the caller). */
function benchWorkload(options: BenchOptions) {
  return {
    batchSize: BATCH_SIZE,
    learningRate: LEARNING_RATE,
    momentum: MOMENTUM,
    seed: SEED,
    trainLimit: options.trainLimit,
    testLimit: options.testLimit,
  };
}

/** Section 2: whole training runs (custom loop and model.fit), with a profile of one step. */
async function trainingSection(
  options: BenchOptions,
  input: {
    workload: ReturnType<typeof benchWorkload> & { epochs: number };
    compiled: boolean;
    datasets: { name: DatasetName; data: Dataset }[];
    models: readonly ModelKind[];
    dir: string;
    context: RowContext;
    progress: (message: string) => void;
  },
): Promise<{ measurements: TrainingMeasurement[]; result: SectionResult }> {
  const { measurements, result } = await benchTraining({
    ...input.workload,
    compiled: input.compiled,
    datasets: input.datasets,
    models: input.models,
    runsDir: path.join(input.dir, 'runs'),
    context: input.context,
    onProgress: input.progress,
  });
  const profiles = await profileSteps(input.datasets[0], input.models, options, input.progress);
  result.rows.push(...profileRows(profiles, input.context));
  result.markdown += `\n\n### Where a training step goes\n\n${profileMarkdown(profiles)}`;
  return { measurements, result };
}

/** Section 5: inertia's fit vs tfjs-node's model.fit (and Keras's fit) on users' kinds of models. */
async function fitSection(
  options: BenchOptions,
  dataset: { name: DatasetName; data: Dataset },
  input: {
    epochs: number;
    machine: MachineInfo;
    context: RowContext;
    progress: (message: string) => void;
    notes: readonly string[];
  },
): Promise<SectionResult> {
  const result = await benchFit({
    dataset,
    epochs: input.epochs,
    repeats: options.fitRepeats,
    batchSize: BATCH_SIZE,
    trainLimit: options.trainLimit,
    seed: SEED,
    threads: options.threads?.intraOp ?? input.machine.cores,
    interOp: options.threads?.interOp ?? input.machine.cores,
    timeoutSeconds: options.peerTimeoutSeconds ?? 1800,
    context: input.context,
    onProgress: input.progress,
  });
  return withNotes(result, input.notes);
}

/** Section 3: the same MLP training on each backend. */
async function backendsSection(
  options: BenchOptions,
  context: RowContext,
  progress: (message: string) => void,
): Promise<SectionResult> {
  progress('backends: tensorflow vs cpu');
  const seconds = options.backendSeconds ?? (options.quick ? 1 : 3);
  return benchBackendSection(
    { samples: options.backendSamples ?? 2048, minSeconds: seconds, seed: SEED },
    context,
    versionsLabel,
  );
}
