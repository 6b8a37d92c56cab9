/**
 * Planning helpers of the atlas (experiment G): its settings in a preset, and one run of a
 * method in a setting. Every atlas run evaluates its held-out split at evenly spaced steps
 * (`evaluations` per run, atlasPreset.ts), so the step at which an accuracy is first reached
 * can be read off its metrics.
 */
import type { TrainOptimizerSpec } from '../train/config.js';
import { ATLAS } from './atlasPreset.js';
import { atlasSetting, type AtlasSetting } from './atlasSettings.js';
import { baseConfig, selectionConfig } from './context.js';
import type { StudyPreset } from './presets.js';
import type { StudyRun } from '../exec/runBatch.js';

/** The study preset with the atlas's own data size, where it has one (atlasPreset.ts). */
export function atlasSized(preset: StudyPreset): StudyPreset {
  const data = ATLAS[preset.name]?.data;
  return data ? { ...preset, ...data } : preset;
}

/**
 * The setting a run id `<prefix>-<setting>-<method>-seed<n>` belongs to: the longest setting
 * name it starts with (so `sum-batch32` is not read as `sum`, nor `cnn-bn` as `cnn`).
 */
export function settingOfRunId(id: string, prefix: string, names: readonly string[]): string | undefined {
  return [...names].sort((a, b) => b.length - a.length).find((name) => id.startsWith(`${prefix}-${name}-`));
}

/** The runs of one setting among `items` (outcomes or planned runs), by their ids. */
export function runsOfSetting<T extends { run: { id: string } } | { id: string }>(
  items: readonly T[],
  prefix: string,
  setting: string,
  names: readonly string[],
): T[] {
  return items.filter((item) => settingOfRunId('run' in item ? item.run.id : item.id, prefix, names) === setting);
}

export function atlasSettingsOf(preset: StudyPreset): AtlasSetting[] {
  return (ATLAS[preset.name]?.settings ?? []).map(atlasSetting);
}

/** Optimizer steps of a run: its epochs of ceil(training examples / batch) steps. */
export function atlasSteps(preset: StudyPreset, trainCount: number, setting: AtlasSetting): number {
  const sized = atlasSized(preset);
  const batchSize = setting.overrides.batchSize ?? sized.batchSize;
  const examples = Math.min(trainCount, sized.trainLimit ?? Infinity) - sized.validationSize;
  return Math.ceil(examples / batchSize) * (setting.overrides.epochs ?? sized.epochs);
}

/** Steps between held-out evaluations so that a run has about `evaluations` of them. */
export function atlasEvalEvery(preset: StudyPreset, trainCount: number, setting: AtlasSetting): number {
  const evaluations = ATLAS[preset.name]?.evaluations ?? 1;
  return Math.max(1, Math.round(atlasSteps(preset, trainCount, setting) / evaluations));
}

export interface AtlasRunSpec {
  experiment: string;
  id: string;
  setting: AtlasSetting;
  optimizer: TrainOptimizerSpec;
  seed: number;
  /** `selection`: evaluated on the validation split; `final`: the same training examples, evaluated on test. */
  purpose: 'selection' | 'final';
}

export function atlasRun(preset: StudyPreset, trainCount: number, spec: AtlasRunSpec): StudyRun {
  const make = spec.purpose === 'selection' ? selectionConfig : baseConfig;
  return {
    id: spec.id,
    experiment: spec.experiment,
    config: make(atlasSized(preset), spec.optimizer, {
      normEvery: 0,
      evalEvery: atlasEvalEvery(preset, trainCount, spec.setting),
      ...spec.setting.overrides,
      seed: spec.seed,
    }),
  };
}
