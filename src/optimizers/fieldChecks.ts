/**
 * The allowed ranges of the numeric hyperparameters, shared by the two places that check
 * them: createOptimizer (a spec; the message names the kind) and stageFromConfig (a stage
 * config read back from a file; the message names the stage). The stages trust their inputs.
 */
import { shown } from './optimizerSpecError.js';
import { OptimizerSpecError } from './optimizerSpecError.js';

interface Range {
  readonly ok: (value: number) => boolean;
  readonly expected: (field: string) => string;
}

const unit: Range = { ok: (v) => v >= 0 && v < 1, expected: (f) => `0 <= ${f} < 1` };
const positive: Range = { ok: (v) => v > 0, expected: () => 'a finite number > 0' };
const nonNegative: Range = { ok: (v) => v >= 0, expected: () => 'a finite number >= 0' };
const anyFinite: Range = { ok: () => true, expected: () => 'a finite number' };
const openUnit: Range = { ok: (v) => v > 0 && v < 1, expected: (f) => `0 < ${f} < 1` };
const aboveOne: Range = { ok: (v) => v > 1, expected: (f) => `${f} > 1` };
const positiveInteger: Range = { ok: (v) => Number.isInteger(v) && v >= 1, expected: () => 'a positive integer' };
const nonNegativeInteger: Range = { ok: (v) => Number.isInteger(v) && v >= 0, expected: () => 'an integer >= 0' };
const closedUnit: Range = { ok: (v) => v >= 0 && v <= 1, expected: (f) => `0 <= ${f} <= 1` };

const RANGES: Readonly<Record<string, Range>> = {
  beta1: unit,
  beta2: unit,
  beta3: unit,
  decay: unit,
  epsilon: nonNegative,
  maxLearningRate: positive,
  d0: positive,
  fMin: anyFinite,
  /** trace's momentum: any finite value >= 0 (createOptimizer narrows it per kind). */
  momentum: nonNegative,
  baseLearningRate: positive,
  baseMomentum: unit,
  weightDecay: nonNegative,
  sInit: positive,
  numBetas: positiveInteger,
  /** momo's beta (0: no averaging); schedule-free's is checked as `interpolation` (beta = 0 divides by zero). */
  beta: unit,
  interpolation: openUnit,
  lowerBound: anyFinite,
  weightLrPower: anyFinite,
  /** stopGradientAfter's steps (the spec's gradientSteps). */
  steps: positiveInteger,
  rho: unit,
  etaMinus: openUnit,
  etaPlus: aboveOne,
  minStep: nonNegative,
  maxStep: positive,
  /** scaleByRprop's initialStep (the spec's learningRate). */
  initialStep: positive,
  rEpsilon: positive,
  initSqDist: positive,
  alpha: positive,
  /** multiSteps: micro-steps per applied update. */
  everyK: positiveInteger,
  /** clip: the largest |u| of an element. */
  maxDelta: positive,
  /** clipByGlobalNorm: the largest norm of the updates over all variables. */
  maxNorm: positive,
  /** reduceOnPlateau: the factor of a reduction, the evaluations that make a plateau, ... */
  factor: openUnit,
  patience: positiveInteger,
  rtol: closedUnit,
  atol: nonNegative,
  cooldown: nonNegativeInteger,
  accumulationSize: positiveInteger,
  minScale: nonNegative,
};

/** Ranges narrower for one kind or stage than for the field in general: owner -> field -> range. */
const OWNER_RANGES: Readonly<Record<string, Readonly<Record<string, Range>>>> = {
  // COCOB's epsilon is the first value of max |g|, a divisor: zero would give 0 / 0.
  cocob: { epsilon: positive },
  scaleByCocob: { epsilon: positive },
};

/**
 * Why `value` is not allowed for `field` (message naming `owner`, a stage or kind), or null.
 * `rangeName` names the range when it is not the field's own (schedule-free's `beta` is
 * checked as `interpolation`: 0 < beta < 1); otherwise a range narrower for the owner applies.
 */
export function fieldProblem(field: string, value: unknown, owner: string, rangeName = field): string | null {
  const range = rangeName === field ? (OWNER_RANGES[owner]?.[field] ?? RANGES[field]) : RANGES[rangeName];
  if (range === undefined) throw new Error(`No range is defined for the field ${field}`);
  if (typeof value === 'number' && Number.isFinite(value) && range.ok(value)) return null;
  return `Invalid ${field} value: ${shown(value)} (expected ${range.expected(field)} for ${owner})`;
}

/** Whether fieldProblem knows `field`. */
export function hasRange(field: string): boolean {
  return RANGES[field] !== undefined;
}

/** `value` as a number; throws the {@link fieldProblem} message when it is not allowed. */
export function checkField(field: string, value: unknown, owner: string, rangeName = field): number {
  const problem = fieldProblem(field, value, owner, rangeName);
  if (problem !== null) throw new OptimizerSpecError(problem);
  return value as number;
}
