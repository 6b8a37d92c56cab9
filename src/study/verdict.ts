/**
 * A verdict is computed from measured numbers against a criterion stated in advance:
 * the criterion text is fixed, the measured text and the outcome come from the data.
 */
export type Outcome = 'supported' | 'not supported' | 'inconclusive';

export interface Verdict {
  experiment: string;
  claim: string;
  criterion: string;
  measured: string;
  outcome: Outcome;
}

export function verdict(
  experiment: string,
  claim: string,
  criterion: string,
  measured: string,
  holds: boolean | null,
): Verdict {
  return {
    experiment,
    claim,
    criterion,
    measured,
    outcome: holds === null ? 'inconclusive' : holds ? 'supported' : 'not supported',
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
