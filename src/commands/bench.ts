/**
 * `inertia bench`: sets the thread counts before TensorFlow loads, then runs the bench
 * (src/bench/run.ts) and returns where it wrote bench.csv and bench.md.
 */
import os from 'node:os';
import { applyThreadSettings, threadSettingsFromEnvironment, type ThreadSettings } from '../bench/machine.js';
import type { BenchOutcome } from '../bench/run.js';
import { UserError } from '../util/errors.js';
import { DATASET_NAMES, type DatasetName } from '../data/types.js';
import { DatasetError } from '../data/errors.js';
import type { CompileMode } from '../graph/compileMode.js';

export interface BenchCommandOptions {
  quick: boolean;
  /** Tiny settings (SMOKE_SETTINGS) that only check that the bench runs end to end. */
  smoke?: boolean;
  out: string;
  /** Comma-separated: optimizer,training,backends,peers,fit. */
  sections: string;
  /** Intra-op threads for TensorFlow and the peers (default: TF_NUM_INTRAOP_THREADS, else the core count). */
  threads?: number;
  /** Inter-op threads for TensorFlow and the peers (default: TF_NUM_INTEROP_THREADS, else the core count). */
  interOp?: number;
  /** The command line, recorded in bench.md. */
  command: string;
  /** Compiled-step paths (see BenchOptions.compile). */
  compile?: CompileMode;
  /** Comma-separated oneDNN settings (on, off); see oneDnnChoices. */
  onednn?: string;
  /** Comma-separated datasets of the training and peer sections (default: fashion-mnist when installed, else mnist-digits). */
  datasets?: string;
  /** Paired repeats of the fit section (default 1). */
  repeats?: number;
  onProgress?: (message: string) => void;
}

/**
 * The thread counts of every system the bench runs: the flags (`--threads N` alone sets both
 * pools to N), else the environment's, else TensorFlow's own defaults (the core count for both
 * pools), which is what `inertia train` and a Keras script get when nobody sets them.
 */
export function resolveThreads(threads: number | undefined, interOp?: number): ThreadSettings {
  for (const [flag, value] of [
    ['--threads', threads],
    ['--inter-op', interOp],
  ] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < 1))
      throw new UserError(`Invalid ${flag} value: ${value} (expected a positive integer, e.g. ${flag} 1)`);
  }
  const cores = os.availableParallelism();
  const fromEnvironment = threadSettingsFromEnvironment(cores);
  return applyThreadSettings(
    threads ?? fromEnvironment?.intraOp ?? cores,
    interOp ?? (threads === undefined ? fromEnvironment?.interOp : threads) ?? cores,
  );
}

/**
 * `--smoke`: the bench at a size that takes seconds (scripts and tests check that it runs and
 * what it writes); the timings of so few steps on 256 examples measure nothing.
 */
export const SMOKE_SETTINGS = {
  datasets: ['synthetic'],
  models: ['mlp'],
  epochs: 1,
  trainLimit: 256,
  testLimit: 128,
  optimizerSteps: 3,
  optimizerWarmupSteps: 1,
  profileSteps: 3,
  largeVariables: false,
  backendSamples: 128,
  backendSeconds: 0.05,
  peerTimeoutSeconds: 120,
} as const;

const ONEDNN_CHOICES = ['on', 'off'] as const;
type OneDnnChoice = (typeof ONEDNN_CHOICES)[number];

/**
 * The oneDNN settings to measure: the flag's list; without it, both, unless the user set
 * TF_ENABLE_ONEDNN_OPTS (then only that setting, as everywhere else in inertia).
 */
export function oneDnnChoices(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): OneDnnChoice[] {
  if (flag === undefined) {
    const own = env.TF_ENABLE_ONEDNN_OPTS;
    if (own === undefined || own.trim() === '') return [...ONEDNN_CHOICES];
    return [['0', 'false'].includes(own.trim().toLowerCase()) ? 'off' : 'on'];
  }
  const names = [...new Set(flag.split(',').map((name) => name.trim().toLowerCase()))].filter(Boolean);
  if (names.length === 0 || names.some((name) => !(ONEDNN_CHOICES as readonly string[]).includes(name))) {
    throw new UserError(`Invalid --onednn value ${JSON.stringify(flag)} (expected on, off or on,off)`);
  }
  return names as OneDnnChoice[];
}

function parseDatasets(value: string): DatasetName[] {
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = names.find((name) => !(DATASET_NAMES as readonly string[]).includes(name));
  if (names.length === 0 || unknown !== undefined) {
    throw new UserError(
      `Invalid --datasets value ${JSON.stringify(value)} (expected a comma-separated list of: ${DATASET_NAMES.join(', ')})`,
    );
  }
  return names as DatasetName[];
}

/**
 * The datasets the training and peer sections time when the user names none: fashion-mnist
 * when it is installed (60,000 images: an epoch of the compiled MLP lasts about a second, long
 * enough that per-epoch costs and timer noise weigh little in the ratios), else mnist-digits
 * (8,000 images, epochs of a tenth of a second: its ratios vary from run to run), with a line
 * saying so.
 */
export async function defaultBenchDatasets(
  note: (message: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<DatasetName[]> {
  const { locateIdxFiles } = await import('../data/idxDataset.js');
  try {
    await locateIdxFiles('fashion-mnist', {}, env);
    return ['fashion-mnist'];
  } catch (error) {
    if (!(error instanceof DatasetError)) throw error;
    note(`timing on mnist-digits, whose short epochs make the ratios vary from run to run: ${error.message}`);
    return ['mnist-digits'];
  }
}

export async function bench(options: BenchCommandOptions): Promise<BenchOutcome> {
  // Before the backend loads: TensorFlow reads the thread counts and oneDNN when it loads.
  const threads = resolveThreads(options.threads, options.interOp);
  const { benchDir, fitRepeats, parseSections } = await import('../bench/folder.js');
  fitRepeats(options.repeats);
  const settings = oneDnnChoices(options.onednn);
  const datasets =
    options.datasets === undefined
      ? options.smoke || options.quick
        ? undefined
        : await defaultBenchDatasets(options.onProgress ?? (() => {}))
      : parseDatasets(options.datasets);
  const common = {
    ...(options.smoke ? SMOKE_SETTINGS : {}),
    quick: options.quick || options.smoke === true,
    smoke: options.smoke === true,
    sections: parseSections(options.sections),
    outRoot: options.out,
    threads,
    command: options.command,
    compile: options.compile,
    ...(options.repeats === undefined ? {} : { fitRepeats: options.repeats }),
    ...(datasets === undefined ? {} : { datasets }),
  };
  if (settings.length > 1) {
    const { runBenchAcrossOneDnn } = await import('../bench/oneDnnSettings.js');
    const dir = benchDir(options.out, new Date());
    return runBenchAcrossOneDnn({ ...common, settings, onProgress: options.onProgress }, dir);
  }
  process.env.TF_ENABLE_ONEDNN_OPTS = settings[0] === 'on' ? '1' : '0';
  const { runBench } = await import('../bench/run.js');
  const { backendInfo } = await import('../backend.js');
  if (backendInfo().backend === 'tensorflow' && backendInfo().oneDnn.enabled !== (settings[0] === 'on')) {
    throw new UserError(
      `--onednn ${settings[0]}: TensorFlow was loaded with oneDNN ${backendInfo().oneDnn.enabled ? 'on' : 'off'} before the bench could set it`,
    );
  }
  return runBench({ ...common, onProgress: options.onProgress });
}

export function formatBench(outcome: BenchOutcome): string {
  return [`wrote ${outcome.markdown}`, `wrote ${outcome.csv}`].join('\n');
}
