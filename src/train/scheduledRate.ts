/**
 * A run's learning-rate schedule as `inertia train --schedule` and a sweep's grid give it: the
 * schedule kind and its parameters, applied to the run's own learning rate (its config's, or
 * its optimizer kind's default), which becomes the schedule's start or peak.
 */
import { fieldsOf, KIND_DEFAULTS, type OptimizerKind } from '../optimizers/kinds.js';
import {
  checkScheduleFlags,
  scheduleFromFlags,
  SCHEDULE_FLAGS,
  type ScheduleKind,
  type ScheduleParameters,
} from '../optimizers/scheduleFlags.js';
import { UserError } from '../util/errors.js';
import type { TrainConfigOverrides, TrainOptimizerSpec } from './config.js';

/** A schedule kind with its parameters (checked by {@link scheduleChoice}). */
export interface ScheduleChoice {
  kind: ScheduleKind;
  parameters: ScheduleParameters;
}

/** A schedule in words, e.g. "linear-warmup (warmupSteps 4)". */
export function describeSchedule(schedule: ScheduleChoice): string {
  const parameters = Object.entries(schedule.parameters).map(([name, value]) => `${name} ${value}`);
  return `${schedule.kind} (${parameters.join(', ')})`;
}

/** The parameters the flags give (`--warmup-steps 100` -> warmupSteps), leaving out the absent ones. */
export function scheduleParametersOf(
  values: Partial<Record<keyof typeof SCHEDULE_FLAGS, number | undefined>>,
): ScheduleParameters {
  const parameters: Record<string, number> = {};
  for (const [flag, field] of Object.entries(SCHEDULE_FLAGS)) {
    const value = values[flag as keyof typeof SCHEDULE_FLAGS];
    if (value !== undefined) parameters[field] = value;
  }
  return parameters;
}

/**
 * The schedule the flags describe, or undefined without `--schedule`; refuses a parameter the
 * kind does not take, a missing one, and a parameter without a kind.
 */
export function scheduleChoice(kind: string | undefined, parameters: ScheduleParameters): ScheduleChoice | undefined {
  checkScheduleFlags(kind, parameters);
  return kind === undefined ? undefined : { kind: kind as ScheduleKind, parameters };
}

/** Refuses an optimizer kind the schedule cannot shape (it has no learning rate), naming it. */
export function checkScheduledKind(kind: string): void {
  if (!fieldsOf(kind).includes('learningRate')) {
    throw new UserError(`--schedule does not apply to --optimizer ${kind} (it has no learning rate)`);
  }
}

/**
 * `config` with its learning rate turned into the schedule's, around the rate the run would
 * otherwise use (its config's, or the kind's default); unchanged without a schedule.
 */
export function withScheduledRate<T extends TrainConfigOverrides>(config: T, schedule: ScheduleChoice | undefined): T {
  if (schedule === undefined) return config;
  const spec = config.optimizer as unknown as Record<string, unknown>;
  const kind = spec.kind as string;
  checkScheduledKind(kind);
  const defaults = KIND_DEFAULTS[kind as OptimizerKind] as Record<string, number | undefined> | undefined;
  const alpha = spec.learningRate ?? defaults?.learningRate;
  if (typeof alpha !== 'number') {
    throw new UserError(
      alpha === undefined
        ? `--schedule ${schedule.kind} needs --lr (the rate it starts from or peaks at)`
        : `--schedule ${schedule.kind} needs a constant learning rate to shape, not ${JSON.stringify(alpha)}; give --lr`,
    );
  }
  const learningRate = scheduleFromFlags(schedule.kind, alpha, schedule.parameters);
  return { ...config, optimizer: { ...spec, learningRate } as unknown as TrainOptimizerSpec };
}
