/**
 * The allowed ranges of the numeric hyperparameters of the adaptive stages, shared by the
 * stages (which throw at construction) and createOptimizer (which names the kind).
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

const RANGES: Readonly<Record<string, Range>> = {
  beta1: unit,
  beta2: unit,
  beta3: unit,
  decay: unit,
  epsilon: nonNegative,
  maxLearningRate: positive,
  d0: positive,
  fMin: anyFinite,
};

/** Why `value` is not allowed for `field` (message naming `owner`, a stage or kind), or null. */
export function fieldProblem(field: string, value: unknown, owner: string): string | null {
  const range = RANGES[field];
  if (range === undefined) throw new Error(`No range is defined for the field ${field}`);
  if (typeof value === 'number' && Number.isFinite(value) && range.ok(value)) return null;
  return `Invalid ${field} value: ${shown(value)} (expected ${range.expected(field)} for ${owner})`;
}

/** Whether fieldProblem knows `field`. */
export function hasRange(field: string): boolean {
  return RANGES[field] !== undefined;
}

/** The value itself; throws the {@link fieldProblem} message when it is not allowed. */
export function checkField(field: string, value: number, owner: string): number {
  const problem = fieldProblem(field, value, owner);
  if (problem !== null) throw new OptimizerSpecError(problem);
  return value;
}
