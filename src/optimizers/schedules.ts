/**
 * Learning-rate schedules by name, after Optax's (`optax.cosine_decay_schedule`,
 * `linear_schedule`, `warmup_cosine_decay_schedule`, `exponential_decay`; Keras's
 * `CosineDecay` and `ExponentialDecay` are the same formulas). A schedule is plain JSON,
 * `{ schedule: <name>, ...fields }`, so it round-trips through getConfig and config.json, and
 * it is accepted wherever a learning rate is (see learningRate.ts). `step` is the number of
 * steps already taken (0 during the first step); values are computed in float64 and reach
 * the tensors as one scalar per step (StepContext.scalar).
 *
 * - `cosine-decay` { initValue, decaySteps, alpha = 0, exponent = 1 }:
 *   c = min(step, decaySteps); value = initValue ((1 - alpha) (0.5 (1 + cos(pi c / decaySteps)))^exponent + alpha)
 * - `linear` { initValue, endValue, transitionSteps, transitionBegin = 0 }:
 *   c = clip(step - transitionBegin, 0, transitionSteps);
 *   value = (initValue - endValue) (1 - c / transitionSteps) + endValue  (a linear warmup when
 *   initValue < endValue; the rate stays at endValue afterwards)
 * - `warmup-cosine` { initValue = 0, peakValue, warmupSteps, decaySteps, endValue = 0, exponent = 1 }:
 *   linear from initValue to peakValue over warmupSteps, then cosine-decay from peakValue to
 *   endValue over the remaining decaySteps - warmupSteps (decaySteps counts the warmup, as Optax's)
 * - `exponential-decay` { initValue, transitionSteps, decayRate, transitionBegin = 0, staircase = false, endValue? }:
 *   c = step - transitionBegin; p = c / transitionSteps (floored when staircase: step decay);
 *   value = initValue decayRate^p for c > 0, initValue before; clipped at endValue when given
 *   (a floor when decayRate < 1, a ceiling otherwise)
 */
import { shown } from './optimizerSpecError.js';

export interface CosineDecaySchedule {
  readonly schedule: 'cosine-decay';
  readonly initValue: number;
  readonly decaySteps: number;
  readonly alpha?: number;
  readonly exponent?: number;
}

export interface LinearSchedule {
  readonly schedule: 'linear';
  readonly initValue: number;
  readonly endValue: number;
  readonly transitionSteps: number;
  readonly transitionBegin?: number;
}

export interface WarmupCosineSchedule {
  readonly schedule: 'warmup-cosine';
  readonly initValue?: number;
  readonly peakValue: number;
  readonly warmupSteps: number;
  readonly decaySteps: number;
  readonly endValue?: number;
  readonly exponent?: number;
}

export interface ExponentialDecaySchedule {
  readonly schedule: 'exponential-decay';
  readonly initValue: number;
  readonly transitionSteps: number;
  readonly decayRate: number;
  readonly transitionBegin?: number;
  readonly staircase?: boolean;
  readonly endValue?: number;
}

/** A schedule given by name (the piecewise-constant one in learningRate.ts has no name). */
export type NamedSchedule = CosineDecaySchedule | LinearSchedule | WarmupCosineSchedule | ExponentialDecaySchedule;

export const SCHEDULE_NAMES = ['cosine-decay', 'linear', 'warmup-cosine', 'exponential-decay'] as const;

export type ScheduleName = (typeof SCHEDULE_NAMES)[number];

function cosineDecayAt(initValue: number, decaySteps: number, alpha: number, exponent: number, step: number): number {
  const count = Math.min(step, decaySteps);
  const cosine = 0.5 * (1 + Math.cos((Math.PI * count) / decaySteps));
  return initValue * ((1 - alpha) * cosine ** exponent + alpha);
}

function linearAt(initValue: number, endValue: number, transitionSteps: number, begin: number, step: number): number {
  if (transitionSteps <= 0) return initValue;
  const count = Math.min(Math.max(step - begin, 0), transitionSteps);
  return (initValue - endValue) * (1 - count / transitionSteps) + endValue;
}

function exponentialDecayAt(s: ExponentialDecaySchedule, step: number): number {
  const count = step - (s.transitionBegin ?? 0);
  const power = s.staircase === true ? Math.floor(count / s.transitionSteps) : count / s.transitionSteps;
  const value = count <= 0 ? s.initValue : s.initValue * s.decayRate ** power;
  if (s.endValue === undefined) return value;
  return s.decayRate < 1 ? Math.max(value, s.endValue) : Math.min(value, s.endValue);
}

/** The value of a named schedule when `step` steps have already been taken. */
export function namedScheduleAt(s: NamedSchedule, step: number): number {
  switch (s.schedule) {
    case 'cosine-decay':
      return cosineDecayAt(s.initValue, s.decaySteps, s.alpha ?? 0, s.exponent ?? 1, step);
    case 'linear':
      return linearAt(s.initValue, s.endValue, s.transitionSteps, s.transitionBegin ?? 0, step);
    case 'warmup-cosine': {
      const initValue = s.initValue ?? 0;
      const endValue = s.endValue ?? 0;
      if (step < s.warmupSteps) return linearAt(initValue, s.peakValue, s.warmupSteps, 0, step);
      const alpha = s.peakValue === 0 ? 0 : endValue / s.peakValue;
      const decaySteps = s.decaySteps - s.warmupSteps;
      return cosineDecayAt(s.peakValue, decaySteps, alpha, s.exponent ?? 1, step - s.warmupSteps);
    }
    case 'exponential-decay':
      return exponentialDecayAt(s, step);
  }
}

type Range = 'nonNegative' | 'positive' | 'positiveInteger' | 'nonNegativeInteger' | 'boolean';

const EXPECTED: Readonly<Record<Range, string>> = {
  nonNegative: 'a finite number >= 0',
  positive: 'a finite number > 0',
  positiveInteger: 'a positive integer',
  nonNegativeInteger: 'an integer >= 0',
  boolean: 'true or false',
};

function inRange(range: Range, value: unknown): boolean {
  if (range === 'boolean') return typeof value === 'boolean';
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  if (range === 'positive') return value > 0;
  if (range === 'positiveInteger') return Number.isInteger(value) && value >= 1;
  if (range === 'nonNegativeInteger') return Number.isInteger(value) && value >= 0;
  return value >= 0;
}

interface ScheduleRule {
  /** Each field with its range; `true` marks the required ones. */
  readonly fields: Readonly<Record<string, readonly [Range, boolean]>>;
  /** An example of the schedule, for messages. */
  readonly example: string;
  /** A problem between fields, or null. */
  readonly across?: (s: Record<string, unknown>) => string | null;
}

const RULES: Readonly<Record<ScheduleName, ScheduleRule>> = {
  'cosine-decay': {
    fields: {
      initValue: ['nonNegative', true],
      decaySteps: ['positiveInteger', true],
      alpha: ['nonNegative', false],
      exponent: ['positive', false],
    },
    example: '{ "schedule": "cosine-decay", "initValue": 0.1, "decaySteps": 1000 }',
  },
  linear: {
    fields: {
      initValue: ['nonNegative', true],
      endValue: ['nonNegative', true],
      transitionSteps: ['positiveInteger', true],
      transitionBegin: ['nonNegativeInteger', false],
    },
    example: '{ "schedule": "linear", "initValue": 0, "endValue": 0.1, "transitionSteps": 100 }',
  },
  'warmup-cosine': {
    fields: {
      initValue: ['nonNegative', false],
      peakValue: ['positive', true],
      warmupSteps: ['nonNegativeInteger', true],
      decaySteps: ['positiveInteger', true],
      endValue: ['nonNegative', false],
      exponent: ['positive', false],
    },
    example: '{ "schedule": "warmup-cosine", "peakValue": 0.1, "warmupSteps": 100, "decaySteps": 1000 }',
    across: (s) =>
      (s.decaySteps as number) > (s.warmupSteps as number)
        ? null
        : `decaySteps (${shown(s.decaySteps)}) must be larger than warmupSteps (${shown(s.warmupSteps)}): decaySteps counts the warmup too`,
  },
  'exponential-decay': {
    fields: {
      initValue: ['positive', true],
      transitionSteps: ['positiveInteger', true],
      decayRate: ['positive', true],
      transitionBegin: ['nonNegativeInteger', false],
      staircase: ['boolean', false],
      endValue: ['nonNegative', false],
    },
    example: '{ "schedule": "exponential-decay", "initValue": 0.1, "transitionSteps": 1000, "decayRate": 0.5 }',
  },
};

/** Why `value`, an object with a `schedule` field, is not a valid named schedule, or null. */
export function namedScheduleProblem(value: Record<string, unknown>): string | null {
  const name = value.schedule;
  if (typeof name !== 'string' || !(SCHEDULE_NAMES as readonly string[]).includes(name)) {
    return `Invalid schedule name: ${shown(name)} (expected one of: ${SCHEDULE_NAMES.join(', ')})`;
  }
  const rule = RULES[name as ScheduleName];
  const where = `in the ${name} schedule`;
  for (const field of Object.keys(value)) {
    if (field !== 'schedule' && rule.fields[field] === undefined) {
      return `Unknown field "${field}" ${where} (allowed: ${Object.keys(rule.fields).join(', ')}; e.g. ${rule.example})`;
    }
  }
  for (const [field, [range, required]] of Object.entries(rule.fields)) {
    const given = value[field];
    if (given === undefined) {
      if (required) return `Missing ${field} ${where} (expected ${EXPECTED[range]}; e.g. ${rule.example})`;
      continue;
    }
    if (!inRange(range, given)) return `Invalid ${field} value ${where}: ${shown(given)} (expected ${EXPECTED[range]})`;
  }
  const across = rule.across?.(value);
  return across ? `Invalid ${name} schedule: ${across}` : null;
}
