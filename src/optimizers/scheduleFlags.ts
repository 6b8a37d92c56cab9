/**
 * The learning-rate schedules of `inertia train --schedule`, as the flags name them, and the
 * schedule (schedules.ts) each one builds from the run's learning rate. No TensorFlow.js here:
 * the CLI checks its flags and prints its help before the backend starts.
 *
 * With alpha the run's learning rate (`--lr`, or the kind's default):
 * - `cosine-decay` (--decay-steps, [--end-lr]): alpha down to end-lr (default 0) along a half cosine
 * - `warmup-cosine` (--warmup-steps, --decay-steps, [--end-lr]): linear from 0 to alpha, then
 *   cosine down to end-lr; decay-steps counts the warmup (Optax's warmup_cosine_decay_schedule)
 * - `linear-warmup` (--warmup-steps): linear from 0 to alpha, then alpha
 * - `exponential-decay` (--decay-steps, --decay-rate, [--end-lr]): alpha decay-rate^(t / decay-steps)
 * - `step-decay` (--decay-steps, --decay-rate, [--end-lr]): alpha decay-rate^floor(t / decay-steps)
 */
import { OptimizerSpecError } from './optimizerSpecError.js';
import type { NamedSchedule } from './schedules.js';

export const SCHEDULE_KINDS = [
  'cosine-decay',
  'warmup-cosine',
  'linear-warmup',
  'exponential-decay',
  'step-decay',
] as const;

export type ScheduleKind = (typeof SCHEDULE_KINDS)[number];

/** The schedule parameters a flag sets. */
export interface ScheduleParameters {
  readonly warmupSteps?: number;
  readonly decaySteps?: number;
  readonly endLearningRate?: number;
  readonly decayRate?: number;
}

type Parameter = keyof ScheduleParameters;

/** The command-line flag of each schedule parameter. */
export const SCHEDULE_FLAGS = {
  'warmup-steps': 'warmupSteps',
  'decay-steps': 'decaySteps',
  'end-lr': 'endLearningRate',
  'decay-rate': 'decayRate',
} as const satisfies Record<string, Parameter>;

const FLAG_OF: Readonly<Record<Parameter, string>> = {
  warmupSteps: 'warmup-steps',
  decaySteps: 'decay-steps',
  endLearningRate: 'end-lr',
  decayRate: 'decay-rate',
};

/** Each kind's parameters: required first, then optional. */
const TAKES: Readonly<Record<ScheduleKind, { required: readonly Parameter[]; optional: readonly Parameter[] }>> = {
  'cosine-decay': { required: ['decaySteps'], optional: ['endLearningRate'] },
  'warmup-cosine': { required: ['warmupSteps', 'decaySteps'], optional: ['endLearningRate'] },
  'linear-warmup': { required: ['warmupSteps'], optional: [] },
  'exponential-decay': { required: ['decaySteps', 'decayRate'], optional: ['endLearningRate'] },
  'step-decay': { required: ['decaySteps', 'decayRate'], optional: ['endLearningRate'] },
};

function flagList(parameters: readonly Parameter[]): string {
  return parameters.map((p) => `--${FLAG_OF[p]}`).join(', ');
}

/**
 * Refuses a schedule parameter that `kind` does not take (or any, without a kind) and a
 * missing required one, naming the flags to give.
 */
export function checkScheduleFlags(kind: string | undefined, given: ScheduleParameters): void {
  const named = (Object.keys(FLAG_OF) as Parameter[]).filter((p) => given[p] !== undefined);
  if (kind === undefined) {
    if (named.length > 0) {
      throw new OptimizerSpecError(
        `--${FLAG_OF[named[0]]} needs --schedule (one of: ${SCHEDULE_KINDS.join(', ')}); add it or drop --${FLAG_OF[named[0]]}`,
      );
    }
    return;
  }
  if (!(SCHEDULE_KINDS as readonly string[]).includes(kind)) {
    throw new OptimizerSpecError(`Invalid --schedule value: "${kind}" (expected one of: ${SCHEDULE_KINDS.join(', ')})`);
  }
  const takes = TAKES[kind as ScheduleKind];
  for (const parameter of named) {
    if (!takes.required.includes(parameter) && !takes.optional.includes(parameter)) {
      throw new OptimizerSpecError(
        `--${FLAG_OF[parameter]} does not apply to --schedule ${kind} (it takes ${flagList([...takes.required, ...takes.optional])})`,
      );
    }
  }
  const missing = takes.required.filter((p) => given[p] === undefined);
  if (missing.length > 0) {
    throw new OptimizerSpecError(
      `--schedule ${kind} needs ${flagList(missing)} (it takes ${flagList([...takes.required, ...takes.optional])})`,
    );
  }
}

/** The schedule `--schedule kind` builds around the learning rate `alpha` (flags checked first). */
export function scheduleFromFlags(kind: string, alpha: number, given: ScheduleParameters): NamedSchedule {
  checkScheduleFlags(kind, given);
  const { warmupSteps, decaySteps, endLearningRate, decayRate } = given as Required<ScheduleParameters>;
  const end = endLearningRate === undefined ? {} : { endValue: endLearningRate };
  switch (kind as ScheduleKind) {
    case 'cosine-decay':
      return { schedule: 'cosine-decay', initValue: alpha, decaySteps, alpha: (endLearningRate ?? 0) / alpha };
    case 'warmup-cosine':
      return { schedule: 'warmup-cosine', initValue: 0, peakValue: alpha, warmupSteps, decaySteps, ...end };
    case 'linear-warmup':
      return { schedule: 'linear', initValue: 0, endValue: alpha, transitionSteps: warmupSteps };
    case 'exponential-decay':
    case 'step-decay':
      return {
        schedule: 'exponential-decay',
        initValue: alpha,
        transitionSteps: decaySteps,
        decayRate,
        ...(kind === 'step-decay' ? { staircase: true } : {}),
        ...end,
      };
  }
}
