/** `inertia train`: one training run from command-line options, written to a run folder. */
import type { DatasetName } from '../data/index.js';
import type { ModelKind } from '../models/index.js';
import {
  makeTrainConfig,
  type TrainConfig,
  type TrainConfigOverrides,
  type TrainOptimizerSpec,
} from '../train/config.js';
import {
  BUILTIN_KIND_FIELDS,
  KIND_FIELDS,
  type BuiltinOptimizerKind,
  type OptimizerField,
  type OptimizerKind,
} from '../optimizers/kinds.js';
import { TRAIN_FLAG_FIELDS, type TrainArgs } from './trainOptions.js';
import { OPTIMIZER_FLAGS } from '../optimizers/kinds.js';
import { readTrainConfigFile } from '../train/configFile.js';
import { readOptimizerSpecFile } from '../train/optimizerSpecFile.js';
import {
  checkScheduleFlags,
  scheduleFromFlags,
  SCHEDULE_FLAGS,
  type ScheduleParameters,
} from '../optimizers/scheduleFlags.js';
import { KIND_DEFAULTS } from '../optimizers/kinds.js';
import { UserError } from '../util/errors.js';
import { heldOutEvaluation, train, type RunResult, type TrainProgress } from '../train/train.js';
import { resumeRun } from '../train/resume.js';
import { parseEarlyStop } from '../train/earlyStop.js';
import { labelsFromFlags } from '../runs/labels.js';
import { validationOf } from '../train/heldOut.js';
import { progressView, type ProgressView } from './progress.js';
import { formatPercent } from '../util/format.js';

function parseHidden(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const sizes = text.split(',').map((part) => Number(part.trim()));
  if (sizes.length === 0 || sizes.some((size) => !Number.isInteger(size) || size <= 0)) {
    throw new UserError(
      `Invalid --hidden value: ${JSON.stringify(text)} (expected positive integers separated by commas, e.g. 256,128)`,
    );
  }
  return sizes;
}

/** The optimizer the flags describe: --optimizer-spec's chain, or --optimizer with the fields given. */
function optimizerFromFlags(args: TrainArgs): TrainOptimizerSpec {
  if (args['optimizer-spec'] !== undefined) return readOptimizerSpecFile(args['optimizer-spec']);
  const optimizer: Record<string, unknown> = { kind: args.optimizer };
  for (const [flag, field] of Object.entries(OPTIMIZER_FLAGS)) {
    const value = args[flag as keyof typeof OPTIMIZER_FLAGS];
    if (value !== undefined) optimizer[field] = value;
  }
  return optimizer as unknown as TrainOptimizerSpec;
}

/** The fields that the flags alone describe (only the optimizer fields that were given). */
function configFromFlags(args: TrainArgs): TrainConfigOverrides {
  const optimizer = optimizerFromFlags(args);
  return {
    dataset: args.dataset as DatasetName,
    dataDir: args['data-dir'],
    trainLimit: args['train-limit'],
    testLimit: args['test-limit'],
    model: args.model as ModelKind,
    hidden: parseHidden(args.hidden),
    init: args.init,
    inputs: args.inputs,
    optimizer,
    epochs: args.epochs,
    batchSize: args['batch-size'],
    seed: args.seed,
    lossScale: args['loss-scale'],
    loss: args.loss,
    reduction: args.reduction,
    labelSmoothing: args['label-smoothing'],
    mode: args.keras ? 'keras' : 'custom',
    logEvery: args['log-every'],
    normEvery: args['norm-every'],
    maxSteps: args['max-steps'],
    validation: validationOf(args['validation-size']),
    checkpoint: args.checkpoint,
    earlyStop: args['early-stop'] === undefined ? undefined : parseEarlyStop(args['early-stop']),
  };
}

function getPath(object: Record<string, unknown>, dotted: string): unknown {
  return dotted
    .split('.')
    .reduce<unknown>((inner, key) => (inner as Record<string, unknown> | undefined)?.[key], object);
}

function setPath(object: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  const parent = keys
    .slice(0, -1)
    .reduce((inner, key) => (inner[key] = { ...(inner[key] as Record<string, unknown>) }), object);
  if (value === undefined) delete parent[keys.at(-1)!];
  else parent[keys.at(-1)!] = value;
}

/**
 * The TrainConfig of a run: from the flags, or with --config from that file with exactly the
 * flags in `given` (the ones on the command line, not defaults) overriding its fields; then
 * validated once by makeTrainConfig.
 */
export function configFromArgs(args: TrainArgs, given: ReadonlySet<string> = new Set()): TrainConfig {
  checkOptimizerSources(args, given);
  const fromFlags = configFromFlags(args);
  let config = fromFlags;
  if (args.config !== undefined) {
    const merged = readTrainConfigFile(args.config) as unknown as Record<string, unknown>;
    for (const [flag, field] of Object.entries(TRAIN_FLAG_FIELDS)) {
      if (field !== null && given.has(flag)) setPath(merged, field, getPath(fromFlags as never, field));
    }
    config = merged as unknown as TrainConfig;
  }
  checkOptimizerFlags(args, config.optimizer.kind);
  return makeTrainConfig(withSchedule(args, config));
}

function scheduleParameters(args: TrainArgs): ScheduleParameters {
  const parameters: Record<string, number> = {};
  for (const [flag, field] of Object.entries(SCHEDULE_FLAGS)) {
    const value = args[flag as keyof typeof SCHEDULE_FLAGS];
    if (value !== undefined) parameters[field] = value;
  }
  return parameters;
}

/**
 * `config` with its learning rate turned into the --schedule one, around the rate the run
 * would otherwise use (--lr, the --config file's, or the kind's default).
 */
function withSchedule<T extends TrainConfigOverrides>(args: TrainArgs, config: T): T {
  const parameters = scheduleParameters(args);
  checkScheduleFlags(args.schedule, parameters);
  if (args.schedule === undefined) return config;
  const spec = config.optimizer as unknown as Record<string, unknown>;
  const kind = spec.kind as string;
  const defaults = KIND_DEFAULTS[kind as OptimizerKind] as Record<string, number | undefined> | undefined;
  const alpha = spec.learningRate ?? defaults?.learningRate;
  if (!fieldsOf(kind).includes('learningRate')) {
    throw new UserError(`--schedule does not apply to --optimizer ${kind} (it has no learning rate)`);
  }
  if (typeof alpha !== 'number') {
    throw new UserError(
      alpha === undefined
        ? `--schedule ${args.schedule} needs --lr (the rate it starts from or peaks at)`
        : `--schedule ${args.schedule} needs a constant learning rate to shape, not ${JSON.stringify(alpha)}; give --lr`,
    );
  }
  const learningRate = scheduleFromFlags(args.schedule, alpha, parameters);
  return { ...config, optimizer: { ...spec, learningRate } as unknown as TrainOptimizerSpec };
}

/** --optimizer-spec describes the whole optimizer: the flags that describe one too are refused with it. */
function checkOptimizerSources(args: TrainArgs, given: ReadonlySet<string>): void {
  if (args['optimizer-spec'] === undefined) return;
  const others = ['optimizer', 'schedule', ...Object.keys(OPTIMIZER_FLAGS)].filter(
    (flag) => given.has(flag) || (flag !== 'optimizer' && args[flag as keyof TrainArgs] !== undefined),
  );
  if (others.length > 0) {
    throw new UserError(
      `--${others[0]} cannot be combined with --optimizer-spec: the file describes the whole optimizer (put the rate, its schedule and the other settings in its stages)`,
    );
  }
}

/** The fields a kind takes (inertia kinds and TF.js built-ins); none for an unknown kind. */
function fieldsOf(kind: string): readonly OptimizerField[] {
  if (kind in KIND_FIELDS) return KIND_FIELDS[kind as OptimizerKind];
  return BUILTIN_KIND_FIELDS[kind as BuiltinOptimizerKind] ?? [];
}

/**
 * Refuses an optimizer flag that the run's optimizer kind does not take, naming the flags it
 * does take (the values themselves are checked by createOptimizer).
 */
function checkOptimizerFlags(args: TrainArgs, kind: string): void {
  const fields = fieldsOf(kind);
  for (const [flag, field] of Object.entries(OPTIMIZER_FLAGS)) {
    if (args[flag as keyof typeof OPTIMIZER_FLAGS] === undefined || fields.includes(field)) continue;
    const takes = Object.entries(OPTIMIZER_FLAGS)
      .filter(([, f]) => fields.includes(f))
      .map(([name]) => `--${name}`);
    throw new UserError(
      `--${flag} (${field}) does not apply to --optimizer ${kind} (it takes ${takes.length === 0 ? 'no optimizer flags' : takes.join(', ')})`,
    );
  }
}

/** The `--json` document of a run: the result without its metric rows (those are in metrics.csv). */
export function trainRecord(result: RunResult): Omit<RunResult, 'rows'> {
  const { rows: _rows, ...record } = result;
  return record;
}

export function formatResult(result: RunResult): string {
  const pct = (x: number) => formatPercent(x, 2);
  const verdict = result.status === 'diverged' ? `DIVERGED at step ${result.divergedAtStep}` : 'completed';
  const heldOut = result.heldOut;
  const evaluation = heldOutEvaluation(result.final, heldOut);
  return [
    `${result.id}: ${verdict} after ${result.steps} steps in ${result.seconds.toFixed(1)} s (${Math.round(result.samplesPerSecond)} samples/s)`,
    `  ${heldOut} accuracy ${pct(evaluation.accuracy)}, ${heldOut} loss ${evaluation.loss.toFixed(4)}, train loss ${result.final.train.loss.toFixed(4)}`,
    `  written to ${result.dir}`,
  ].join('\n');
}

export interface TrainCommandContext {
  /** Flags named on the command line (they override a --config file). */
  given?: ReadonlySet<string>;
  /** The command line, recorded in run.json. */
  command?: string[];
}

/** The flags --resume takes besides itself: the run's config.json and run.json say the rest. */
const RESUME_FLAGS = new Set(['resume', 'compile', 'quiet', 'json', 'fail-on-diverge']);

/** --resume continues a run as it was set up: a flag that would change it is refused. */
function checkResumeFlags(given: ReadonlySet<string>): void {
  const other = [...given].find((flag) => flag in TRAIN_FLAG_FIELDS && !RESUME_FLAGS.has(flag));
  if (other !== undefined) {
    throw new UserError(
      `--${other} cannot be combined with --resume: the run continues with the settings of its config.json (train a new run to change them)`,
    );
  }
}

export async function trainCommand(args: TrainArgs, context: TrainCommandContext = {}): Promise<RunResult> {
  if (args.resume !== undefined) checkResumeFlags(context.given ?? new Set());
  const config = args.resume === undefined ? configFromArgs(args, context.given) : undefined;
  const labels = labelsFromFlags(args.tag, args.note);
  const view = progressView({
    quiet: args.quiet,
    format: 'epoch {epoch}/{epochs} |{bar}| step {value}/{total} | loss {loss} | {sps} samples/s | ETA {eta_formatted}',
  });
  try {
    const shared = { command: context.command, compile: args.compile, onProgress: progressOf(view) };
    if (config === undefined) return await resumeRun(args.resume as string, shared);
    return await train(config, { outRoot: args.out, runId: args['run-id'], ...labels, ...shared });
  } finally {
    view.stop();
  }
}

/** The progress events of a run, rendered by `view`. */
function progressOf(view: ProgressView): (p: TrainProgress) => void {
  return (p) => {
    const fields = {
      epoch: String(p.epoch),
      epochs: String(p.epochs),
      loss: p.loss === null ? '-' : p.loss.toFixed(4),
      sps: p.samplesPerSecond === null ? '-' : String(Math.round(p.samplesPerSecond)),
    };
    view.update(p.step, p.totalSteps, fields);
    if (p.samplesPerSecond !== null)
      view.line(`epoch ${p.epoch}/${p.epochs}: train loss ${fields.loss}, ${fields.sps} samples/s`);
  };
}
