/**
 * The atlas (experiment G) in each study preset: which settings, how many tuning runs and how
 * often the held-out split is evaluated. Data size, epochs and final seeds come from the study
 * preset (presets.ts). A larger atlas is one edit here: more settings, more rates, more seeds.
 *
 * The methods are the same in every preset (atlasMethods.ts): the tuned ones get
 * `tunedRates[kind]`, the same number of half-decades each, every rate run with
 * `selectionSeeds` seeds on the validation split; every method's chosen configuration then
 * runs on the preset's final seeds (fresh ones, on the test split).
 */
import type { PresetName } from './presets.js';
import type { TunedKind } from './atlasMethods.js';

export interface AtlasPreset {
  /** Names of the settings (atlasSettings.ts), in report order. */
  settings: string[];
  /** Learning rates tried per tuned kind: the same number of half-decades for each. */
  tunedRates: Record<TunedKind, number[]>;
  /** Seeds per tuning run (seeds 1..n, validation split). */
  selectionSeeds: number;
  /**
   * Held-out evaluations per run (at evenly spaced steps, the epoch ends included): the
   * resolution of the time to target.
   */
  evaluations: number;
  /**
   * Smaller data for the atlas's runs than the study preset's (a slice inside a larger study):
   * training examples (validation included), validation examples and epochs. Absent: the
   * study preset's.
   */
  data?: { trainLimit: number; validationSize: number; epochs: number };
}

/** Half-decades 10^(from / 2) ... 10^(to / 2), rounded to 3 digits (0.316, 3.16e-3, ...). */
export function halfDecades(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => Number((10 ** ((from + i) / 2)).toPrecision(3)));
}

// The tuned ranges hold each kind's usual best (ema-momentum about 0.3 at beta 0.9, sgd the
// same steady-state step, heavy-ball 10x smaller at mu 0.9, adam about 1e-3), reach down two
// decades from it, where the units argument puts summed losses and raw pixels, and one
// half-decade beyond either end, so that a best rate at the top of a range (ema-momentum's
// alpha = 1, where it is the proposal itself) is not the grid's edge: seven half-decades each.
const SEVEN: Record<TunedKind, number[]> = {
  'ema-momentum': halfDecades(-5, 1),
  'heavy-ball': halfDecades(-7, -1),
  sgd: halfDecades(-5, 1),
  adam: halfDecades(-9, -3),
};

const ONE: Record<TunedKind, number[]> = {
  'ema-momentum': [0.316],
  'heavy-ball': [0.0316],
  sgd: [0.1],
  adam: [1e-3],
};

// Cheapest first (the mlp and its variants, then the larger models), so the runs of a setting
// finish together and the costly models come last.
const ALL_SETTINGS = [
  'default',
  'logreg',
  'sum',
  'mse',
  'smoothing',
  'batch32',
  'batch1024',
  'standardized',
  'raw',
  'he',
  'glorot0.1',
  'digits',
  'standardized-he',
  'sum-batch32',
  'mse-batch1024',
  'res-mlp',
  'deep-mlp',
  'cnn',
  'cnn-bn',
  'wide-mlp',
];

// Each preset that runs the atlas, written out in full, so its size and cost read off its own
// block; `full` has none (the atlas is its own preset), and `quick` none to keep the tests short.
export const ATLAS: Partial<Record<PresetName, AtlasPreset>> = {
  smoke: { settings: ['default'], tunedRates: ONE, selectionSeeds: 2, evaluations: 3 },
  // npm start's slice: one setting on 1,500 + 500 validation examples, 2 epochs (its time budget:
  // three settings took npm start to 398 s).
  default: {
    settings: ['default'],
    tunedRates: ONE,
    selectionSeeds: 2,
    evaluations: 6,
    data: { trainLimit: 2000, validationSize: 500, epochs: 2 },
  },
  atlas: { settings: ALL_SETTINGS, tunedRates: SEVEN, selectionSeeds: 2, evaluations: 6 },
};
