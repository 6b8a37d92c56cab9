/**
 * A verdict is computed from measured numbers against a criterion fixed in advance in
 * criteria.ts: the claim and the criterion come from there, the measured text and the
 * outcome from the data.
 */
import { criterion } from './criteria.js';
import { holmAdjusted, type Outcome } from '../util/intervals.js';

export type { Outcome } from '../util/intervals.js';

export interface Verdict {
  /** Stable id of the criterion (criteria.ts); tests match on it, not on the claim text. */
  id: string;
  experiment: string;
  /** From the criterion: a finding about training, or a check of the arithmetic. */
  kind: 'finding' | 'check';
  claim: string;
  /**
   * A finding's `couldFail` (the outcome that would have contradicted it), or what fixes a
   * check's outcome (empty for a check of a closed form, whose claim says so).
   */
  basis: string;
  /** The outcome a check must have to pass (from its criterion; supported unless stated). */
  expected?: Outcome;
  criterion: string;
  measured: string;
  outcome: Outcome;
  /**
   * Set on a negative control: the same criterion applied to a case where the claim must fail
   * (`expected` is then "not supported"). A criterion that cannot fail on its control is a defect.
   */
  control?: { subject: string; expected: Outcome };
  /**
   * One-sided p-value of the claim where its rule is decided on t-type intervals (the largest of
   * its parts'); with `holm` its adjusted value over the family of findings judged together.
   */
  pValue?: number;
  holm?: { adjusted: number; family: number };
}

function toOutcome(outcome: Outcome | boolean | null): Outcome {
  if (typeof outcome === 'string') return outcome;
  if (outcome === null) return 'inconclusive';
  return outcome ? 'supported' : 'not supported';
}

/** A verdict on criterion `id`; a boolean outcome is supported/not supported, null inconclusive. */
export function verdict(id: string, measured: string, outcome: Outcome | boolean | null, pValue?: number): Verdict {
  const stated = criterion(id);
  return {
    ...(pValue !== undefined && Number.isFinite(pValue) ? { pValue } : {}),
    id,
    experiment: stated.experiment,
    kind: stated.kind,
    claim: stated.claim,
    basis: stated.kind === 'finding' ? stated.couldFail : (stated.identity ?? ''),
    ...(stated.kind === 'check' ? { expected: stated.expected ?? 'supported' } : {}),
    criterion: stated.rule,
    measured,
    outcome: toOutcome(outcome),
  };
}

/**
 * The negative control of criterion `id`: the same rule on `subject`, a case where the claim
 * must come out "not supported". Its id is `<id>:control`.
 */
export function controlVerdict(
  id: string,
  subject: string,
  measured: string,
  outcome: Outcome | boolean | null,
): Verdict {
  const base = verdict(id, measured, outcome);
  return {
    ...base,
    id: `${id}:control`,
    claim: `Negative control (${subject}): ${base.claim}`,
    control: { subject, expected: 'not supported' },
  };
}

/** Family-wise level of the findings: one-sided 2.5%, the level at which a 95% interval clears its bound. */
export const FAMILY_LEVEL = 0.025;

/**
 * Holm's correction over the findings judged together: every finding (not a control) with a
 * p-value. A finding supported by its own interval whose adjusted p-value exceeds the family
 * level becomes inconclusive, and its measured text says so. Other verdicts pass unchanged.
 */
export function holmFindings(verdicts: readonly Verdict[]): Verdict[] {
  const family = verdicts.filter((v) => v.kind === 'finding' && !v.control && v.pValue !== undefined);
  const adjusted = holmAdjusted(family.map((v) => v.pValue!));
  const byVerdict = new Map(family.map((v, i) => [v, adjusted[i]]));
  return verdicts.map((v) => {
    const p = byVerdict.get(v);
    if (p === undefined) return v;
    const corrected: Verdict = { ...v, holm: { adjusted: p, family: family.length } };
    if (v.outcome !== 'supported' || p <= FAMILY_LEVEL) return corrected;
    return {
      ...corrected,
      outcome: 'inconclusive',
      measured: `${v.measured}. Supported by its own interval (p = ${v.pValue!.toPrecision(2)}), not after Holm's correction over ${family.length} findings (adjusted p = ${p.toPrecision(2)} > ${FAMILY_LEVEL})`,
    };
  });
}
