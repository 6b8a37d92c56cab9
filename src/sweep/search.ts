/**
 * Searches beyond the grid's product: `random` draws `trials` settings, each from its own
 * seeded stream (trial i from deriveSeed(seed, "trial<i>"), so adding trials keeps the ones
 * drawn before and a rerun draws the same); a list is a choice among its values, a
 * distribution (`lr: { logUniform: [1e-4, 1] }`) is drawn from. `asha` draws the trials the
 * same way and trains them by successive halving (halving.ts).
 */
import { UserError } from '../util/errors.js';
import { deriveSeed, seededRandom, type Random } from '../util/random.js';

export const SEARCH_KINDS = ['grid', 'random', 'asha'] as const;

export const DISTRIBUTION_KINDS = ['logUniform', 'uniform', 'intUniform'] as const;
type DistributionKind = (typeof DISTRIBUTION_KINDS)[number];

/**
 * A numeric field drawn by a random search: `logUniform: [a, b]` (log x uniform on
 * [log a, log b], 0 < a < b), `uniform: [a, b]` and `intUniform: [a, b]` (integers a..b, both
 * included). Drawn values keep 4 significant digits, so run configs and reports read well.
 */
export type Distribution = Partial<Record<DistributionKind, [number, number]>>;

/** The search of a sweep that is not a grid, as sweep.json records it. */
export interface SearchPlan {
  kind: 'random' | 'asha';
  /** Settings drawn (trials 1..trials). */
  trials: number;
  /** Seed of the draws (not of the runs: every trial trains on the sweep's seeds). */
  seed: number;
  /** asha: the reduction factor: each rung keeps the best 1/eta of its trials. */
  eta?: number;
  /** asha: epochs of the first rung; each next rung trains eta times longer, up to the grid's epochs. */
  minEpochs?: number;
}

/** Reads `{ logUniform: [a, b] }` and the like; returns null for a value that is not a distribution object. */
export function parseDistribution(field: string, raw: unknown): Distribution | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
  const keys = Object.keys(raw);
  const kind = keys[0] as DistributionKind;
  const bounds = (raw as Record<string, unknown>)[kind];
  const expected = `expected one of { logUniform: [a, b] }, { uniform: [a, b] }, { intUniform: [a, b] }, { choice: [values] }`;
  if (keys.length !== 1 || !(DISTRIBUTION_KINDS as readonly string[]).includes(kind)) {
    throw new UserError(`Invalid grid ${field} value: ${JSON.stringify(raw)} (${expected})`);
  }
  if (
    !Array.isArray(bounds) ||
    bounds.length !== 2 ||
    !bounds.every((bound) => typeof bound === 'number' && Number.isFinite(bound)) ||
    bounds[0] >= bounds[1] ||
    (kind === 'logUniform' && bounds[0] <= 0) ||
    (kind === 'intUniform' && !bounds.every(Number.isInteger))
  ) {
    const what = kind === 'logUniform' ? '0 < a < b' : kind === 'intUniform' ? 'integers a < b' : 'numbers a < b';
    throw new UserError(`Invalid grid ${field} value: ${JSON.stringify(raw)} (expected ${kind}: [a, b] with ${what})`);
  }
  return { [kind]: [bounds[0], bounds[1]] } as Distribution;
}

const significant = (value: number) => Number(value.toPrecision(4));

/** One draw of `distribution`. */
export function draw(distribution: Distribution, random: Random): number {
  const u = random();
  if (distribution.logUniform) {
    const [low, high] = distribution.logUniform;
    return significant(Math.exp(Math.log(low) + u * (Math.log(high) - Math.log(low))));
  }
  if (distribution.intUniform) {
    const [low, high] = distribution.intUniform;
    return low + Math.min(high - low, Math.floor(u * (high - low + 1)));
  }
  const [low, high] = distribution.uniform!;
  return significant(low + u * (high - low));
}

/** The stream trial `trial` draws its setting from. */
export function trialRandom(plan: SearchPlan, trial: number): Random {
  return seededRandom(deriveSeed(plan.seed, `trial${trial}`));
}

/** The value of a list (a choice) for one draw. */
export function choose<V>(values: readonly V[], random: Random): V {
  return values[Math.min(values.length - 1, Math.floor(random() * values.length))];
}

/** Reads --search, --trials, --search-seed, --eta and --min-epochs (flags, else the grid file's fields). */
export function makeSearchPlan(raw: {
  search?: unknown;
  trials?: unknown;
  'search-seed'?: unknown;
  eta?: unknown;
  'min-epochs'?: unknown;
}): SearchPlan | undefined {
  const kind = raw.search ?? 'grid';
  if (typeof kind !== 'string' || !(SEARCH_KINDS as readonly string[]).includes(kind)) {
    throw new UserError(`Invalid search value: ${JSON.stringify(kind)} (expected one of: ${SEARCH_KINDS.join(', ')})`);
  }
  const integer = (name: string, value: unknown, fallback: number, least: number) => {
    const number = value === undefined ? fallback : Number(value);
    if (typeof value === 'boolean' || !Number.isInteger(number) || number < least) {
      throw new UserError(`Invalid ${name} value: ${JSON.stringify(value)} (expected an integer of at least ${least})`);
    }
    return number;
  };
  if (kind === 'grid') {
    for (const name of ['trials', 'search-seed', 'eta', 'min-epochs'] as const) {
      if (raw[name] !== undefined) {
        throw new UserError(`--${name} applies to a random or asha search only; add --search random or --search asha`);
      }
    }
    return undefined;
  }
  if (raw.trials === undefined) throw new UserError(`--search ${kind} draws --trials N settings: give N`);
  const plan: SearchPlan = {
    kind: kind as SearchPlan['kind'],
    trials: integer('trials', raw.trials, 0, 1),
    seed: integer('search-seed', raw['search-seed'], 0, 0),
  };
  if (kind === 'random') {
    for (const name of ['eta', 'min-epochs'] as const) {
      if (raw[name] !== undefined) throw new UserError(`--${name} applies to --search asha only`);
    }
    return plan;
  }
  return { ...plan, eta: integer('eta', raw.eta, 3, 2), minEpochs: integer('min-epochs', raw['min-epochs'], 1, 1) };
}
