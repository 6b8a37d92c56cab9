/** `inertia train`: one training run from command-line options, written to a run folder. */
import { makeTrainConfig, type TrainConfig, type TrainConfigOverrides } from '../train/config.js';
import { fieldsOf } from '../optimizers/kinds.js';
import type { TrainArgs } from './trainOptions.js';
import { configFromFields, copyPath, OPTIMIZER_FLAG_FIELDS, TRAIN_FIELDS } from '../train/fields.js';
import { readTrainConfigFile } from '../train/configFile.js';
import { readOptimizerSpecFile } from '../train/optimizerSpecFile.js';
import { scheduleChoice, scheduleParametersOf, withScheduledRate } from '../train/scheduledRate.js';
import { UserError } from '../util/errors.js';
import { heldOutEvaluation, train, type RunResult, type TrainProgress } from '../train/train.js';
import { resumeRun } from '../train/resume.js';
import { progressView, type ProgressView } from './progress.js';
import { formatPercent } from '../util/format.js';
import { runSettingsFromFlags } from './runSettings.js';

/** The fields that the flags alone describe (only the optimizer fields that were given); --optimizer-spec's chain replaces the optimizer. */
function configFromFlags(args: TrainArgs): TrainConfigOverrides {
  const config = configFromFields(args) as unknown as TrainConfigOverrides;
  if (args['optimizer-spec'] === undefined) return config;
  return { ...config, optimizer: readOptimizerSpecFile(args['optimizer-spec']) };
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
    for (const [flag, field] of Object.entries(TRAIN_FIELDS)) {
      if (field.path !== null && given.has(flag)) copyPath(merged, fromFlags, field.path);
    }
    config = merged as unknown as TrainConfig;
  }
  checkOptimizerFlags(args, config.optimizer.kind);
  return makeTrainConfig(withScheduledRate(config, scheduleChoice(args.schedule, scheduleParametersOf(args))));
}

/** --optimizer-spec describes the whole optimizer: the flags that describe one too are refused with it. */
function checkOptimizerSources(args: TrainArgs, given: ReadonlySet<string>): void {
  if (args['optimizer-spec'] === undefined) return;
  const others = ['optimizer', 'schedule', ...Object.keys(OPTIMIZER_FLAG_FIELDS)].filter(
    (flag) => given.has(flag) || (flag !== 'optimizer' && args[flag as keyof TrainArgs] !== undefined),
  );
  if (others.length > 0) {
    throw new UserError(
      `--${others[0]} cannot be combined with --optimizer-spec: the file describes the whole optimizer (put the rate, its schedule and the other settings in its stages)`,
    );
  }
}

/**
 * Refuses an optimizer flag that the run's optimizer kind does not take, naming the flags it
 * does take (the values themselves are checked by createOptimizer).
 */
function checkOptimizerFlags(args: TrainArgs, kind: string): void {
  const fields = fieldsOf(kind);
  for (const [flag, field] of Object.entries(OPTIMIZER_FLAG_FIELDS)) {
    if (args[flag as keyof TrainArgs] === undefined || fields.includes(field)) continue;
    const takes = Object.entries(OPTIMIZER_FLAG_FIELDS)
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

/** --resume continues a run as it was set up: a flag that would change it (or its labels) is refused. */
function checkResumeFlags(given: ReadonlySet<string>): void {
  const other = [...given].find((flag) => !RESUME_FLAGS.has(flag));
  if (other !== undefined) {
    throw new UserError(
      `--${other} cannot be combined with --resume: the run continues with the settings of its config.json (train a new run to change them)`,
    );
  }
}

export async function trainCommand(args: TrainArgs, context: TrainCommandContext = {}): Promise<RunResult> {
  if (args.resume !== undefined) checkResumeFlags(context.given ?? new Set());
  const config = args.resume === undefined ? configFromArgs(args, context.given) : undefined;
  const settings = runSettingsFromFlags(args);
  const view = progressView({
    quiet: args.quiet,
    format: 'epoch {epoch}/{epochs} |{bar}| step {value}/{total} | loss {loss} | {sps} samples/s | ETA {eta_formatted}',
  });
  try {
    const shared = { command: context.command, onProgress: progressOf(view) };
    if (config === undefined) return await resumeRun(args.resume as string, { ...shared, compile: args.compile });
    return await train(config, { outRoot: args.out, runId: args['run-id'], ...settings, ...shared });
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
