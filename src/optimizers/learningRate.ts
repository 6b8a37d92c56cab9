import type * as TF from '@tensorflow/tfjs-core';
import { shown } from './optimizerSpecError.js';
import { OptimizerSpecError } from './optimizerSpecError.js';
import { namedScheduleAt, namedScheduleProblem, SCHEDULE_NAMES, type NamedSchedule } from './schedules.js';
import type { StepContext } from './types.js';

/**
 * A learning rate is a positive number, a piecewise-constant schedule, or a named schedule
 * (cosine decay, linear warmup, warmup-cosine, exponential or step decay: see schedules.ts).
 *
 * Piecewise constant: `{ values: [a0, a1, ..., an], boundaries: [b1, ..., bn] }` (strictly
 * increasing positive integers; values.length = boundaries.length + 1): the rate is a0 for the
 * steps before b1, and switches to a_i when the number of steps already taken reaches b_i.
 * Example: `{ values: [0.1, 0.05], boundaries: [100] }` uses 0.1 for steps 0..99 and 0.05 from
 * the 101st step on (after 100 steps). Every form is plain JSON, so it round-trips through
 * getConfig.
 */
export interface PiecewiseConstantSchedule {
  readonly values: readonly number[];
  readonly boundaries: readonly number[];
}

export type LearningRate = number | PiecewiseConstantSchedule | NamedSchedule;

function isNamed(learningRate: PiecewiseConstantSchedule | NamedSchedule): learningRate is NamedSchedule {
  return 'schedule' in learningRate;
}

/**
 * The rate (or weight decay) `rate` as the step's cached scalar `key`, as it stands after the
 * steps taken plus `stepsAhead`. A constant rate does not read the step count, so a compiled
 * step needs no per-step scalar for it.
 */
export function rateScalar(context: StepContext, key: string, rate: LearningRate, stepsAhead = 0): TF.Scalar {
  return context.scalar(key, typeof rate === 'number' ? rate : learningRateAt(rate, context.step + stepsAhead));
}

/** The rate to use when `step` steps have already been taken. */
export function learningRateAt(learningRate: LearningRate, step: number): number {
  if (typeof learningRate === 'number') return learningRate;
  if (isNamed(learningRate)) return namedScheduleAt(learningRate, step);
  const { values, boundaries } = learningRate;
  let index = 0;
  while (index < boundaries.length && step >= boundaries[index]) index++;
  return values[index];
}

function isPositiveFinite(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

const EXPECTED = `expected a finite number > 0, or a schedule { values, boundaries } with positive finite values and strictly increasing positive integer boundaries, values.length = boundaries.length + 1, or a named schedule { schedule: ${SCHEDULE_NAMES.join(' | ')}, ... }`;

/** Why `value` is not a valid learning rate, or null when it is. */
export function learningRateProblem(value: unknown): string | null {
  if (isPositiveFinite(value)) return null;
  const invalid = `Invalid learningRate value: ${shown(value)} (${EXPECTED})`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return invalid;
  if ('schedule' in value) return namedScheduleProblem(value as Record<string, unknown>);
  const { values, boundaries, ...extra } = value as Record<string, unknown>;
  if (Object.keys(extra).length > 0) return invalid;
  if (!Array.isArray(values) || !Array.isArray(boundaries)) return invalid;
  if (values.length !== boundaries.length + 1 || !values.every(isPositiveFinite)) return invalid;
  const increasing = boundaries.every((b, i) => Number.isInteger(b) && b > 0 && (i === 0 || b > boundaries[i - 1]));
  return increasing ? null : invalid;
}

/** Throws the {@link learningRateProblem} message when `value` is not a valid learning rate. */
export function checkLearningRate(value: unknown): LearningRate {
  const problem = learningRateProblem(value);
  if (problem !== null) throw new OptimizerSpecError(problem);
  return value as LearningRate;
}

/** A plain copy, safe to put in a config. */
export function learningRateConfig(
  learningRate: LearningRate,
): number | { values: number[]; boundaries: number[] } | { [field: string]: string | number | boolean } {
  if (typeof learningRate === 'number') return learningRate;
  if (isNamed(learningRate)) return { ...learningRate };
  return { values: [...learningRate.values], boundaries: [...learningRate.boundaries] };
}
