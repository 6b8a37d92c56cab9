/**
 * The methods of the atlas (experiment G), each in every setting. Zero budget: the proposal
 * (no-lr-momentum), its bias-corrected form, adam at 1e-3 and the parameter-free kinds at their
 * defaults (optimizers/kinds.ts). Tuned: the learning rate chosen on the validation split from
 * the same number of half-decades for each kind (atlasPreset.ts).
 */
import type { OptimizerSpec } from '../optimizers/index.js';
import { idNumber } from './context.js';

/** The question's beta, and heavy-ball's mu: the usual 0.9. */
export const ATLAS_MOMENTUM = 0.9;

export const TUNED_KINDS = ['ema-momentum', 'heavy-ball', 'adam', 'sgd'] as const;
export type TunedKind = (typeof TUNED_KINDS)[number];

export interface AtlasMethod {
  /** Stable name: run ids, tables and the profile's legend use it. */
  name: string;
  /** Zero budget (one configuration, no choice) or tuned (a learning rate chosen per setting). */
  budget: 'zero' | 'tuned';
  /** Parameter-free at its defaults: a candidate of the "some parameter-free method" finding. */
  parameterFree: boolean;
}

export const PROPOSAL = 'no-lr-momentum';
export const DEBIASED = 'ema-debiased';
export const ADAM_DEFAULT = 'adam-1e-3';

const ZERO_BUDGET: Record<string, OptimizerSpec> = {
  [PROPOSAL]: { kind: 'no-lr-momentum', momentum: ATLAS_MOMENTUM },
  [DEBIASED]: { kind: 'ema-debiased', momentum: ATLAS_MOMENTUM },
  [ADAM_DEFAULT]: { kind: 'adam', learningRate: 1e-3 },
  prodigy: { kind: 'prodigy' },
  dog: { kind: 'dog' },
  'dadapt-adamw': { kind: 'dadapt-adamw' },
  cocob: { kind: 'cocob' },
  mechanic: { kind: 'mechanic' },
  momo: { kind: 'momo' },
  polyak: { kind: 'polyak' },
  adadelta: { kind: 'adadelta', learningRate: 1 },
  'schedule-free': { kind: 'schedule-free' },
};

const NOT_PARAMETER_FREE = new Set([PROPOSAL, DEBIASED, ADAM_DEFAULT]);

export const ATLAS_METHODS: readonly AtlasMethod[] = [
  ...Object.keys(ZERO_BUDGET).map((name) => ({
    name,
    budget: 'zero' as const,
    parameterFree: !NOT_PARAMETER_FREE.has(name),
  })),
  ...TUNED_KINDS.map((name) => ({ name, budget: 'tuned' as const, parameterFree: false })),
];

export function isTunedKind(name: string): name is TunedKind {
  return (TUNED_KINDS as readonly string[]).includes(name);
}

/** The optimizer of a tuned kind at learning rate `rate` (momentum 0.9 where the kind has one). */
export function tunedSpec(kind: TunedKind, rate: number): OptimizerSpec {
  if (kind === 'ema-momentum' || kind === 'heavy-ball') return { kind, learningRate: rate, momentum: ATLAS_MOMENTUM };
  return { kind, learningRate: rate };
}

/** The optimizer of a method: its defaults (zero budget) or `rate` (tuned). */
export function methodSpec(name: string, rate: number): OptimizerSpec {
  if (isTunedKind(name)) return tunedSpec(name, rate);
  const spec = ZERO_BUDGET[name];
  if (!spec) throw new Error(`No atlas method named ${JSON.stringify(name)}`);
  return spec;
}

/** The part of a run id that names the method's configuration: `prodigy`, `ema-momentum-lr0.316`. */
export function methodId(name: string, rate: number): string {
  return isTunedKind(name) ? `${name}-lr${idNumber(rate)}` : name;
}
