/**
 * A verdict is computed from measured numbers against a criterion fixed in advance in
 * criteria.ts: the claim and the criterion come from there, the measured text and the
 * outcome from the data.
 */
import { criterion } from './criteria.js';
import type { Outcome } from './stats.js';

export type { Outcome } from './stats.js';

export interface Verdict {
  /** Stable id of the criterion (criteria.ts); tests match on it, not on the claim text. */
  id: string;
  experiment: string;
  claim: string;
  criterion: string;
  measured: string;
  outcome: Outcome;
}

/** A verdict on criterion `id`; a boolean outcome is supported/not supported, null inconclusive. */
export function verdict(id: string, measured: string, outcome: Outcome | boolean | null): Verdict {
  const stated = criterion(id);
  return {
    id,
    experiment: stated.experiment,
    claim: stated.claim,
    criterion: stated.rule,
    measured,
    outcome:
      typeof outcome === 'string'
        ? outcome
        : outcome === null
          ? 'inconclusive'
          : outcome
            ? 'supported'
            : 'not supported',
  };
}

export function pct(x: number): string {
  return Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : 'n/a';
}

export function num(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  const magnitude = Math.abs(x);
  return magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e5)
    ? x.toExponential(digits - 1)
    : Number(x.toPrecision(digits)).toString();
}
