/**
 * Planning helpers shared by experiments A-F: one run per seed for a setting, on the
 * validation split when the run helps choose a hyperparameter (purpose `selection`), on the
 * test split with seeds no selection used when it produces a reported number (`final`).
 */
import type { TrainConfig, TrainOptimizerSpec } from '../train/config.js';
import { baseConfig, idNumber, selectionConfig } from './context.js';
import { finalSeeds, selectionSeeds, type StudyPreset } from './presets.js';
import type { StudyRun } from '../exec/runBatch.js';

export type Purpose = 'selection' | 'final';

/** Seeds 1..n choose hyperparameters; seeds 101.. produce the reported numbers. */
export function seedsFor(preset: StudyPreset, purpose: Purpose): number[] {
  return purpose === 'selection' ? selectionSeeds(preset) : finalSeeds(preset);
}

export interface Setting {
  /** Run id without the seed, e.g. `eA-no-lr-beta0.9-s128`. */
  id: string;
  optimizer: TrainOptimizerSpec;
  overrides?: Partial<TrainConfig>;
}

/** One run per seed of `purpose` for the setting. */
export function runsOf(preset: StudyPreset, experiment: string, setting: Setting, purpose: Purpose): StudyRun[] {
  return seedsFor(preset, purpose).map((seed) => ({
    id: `${setting.id}-seed${seed}`,
    experiment,
    config: (purpose === 'selection' ? selectionConfig : baseConfig)(preset, setting.optimizer, {
      normEvery: 0,
      ...setting.overrides,
      seed,
    }),
  }));
}

/** `s2to-7`, `s1`, `s2to7`: loss scales in run ids, as the powers of two they are. */
export function scaleId(scale: number): string {
  const exponent = Math.log2(scale);
  return Number.isInteger(exponent) && exponent !== 0 ? `s2to${exponent}` : `s${idNumber(scale)}`;
}
