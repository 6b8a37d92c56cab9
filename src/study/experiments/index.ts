/**
 * Every experiment of the study, in the order they run: an experiment that hands tuned
 * learning rates on (the grid) comes before the ones that plan with them. The report orders
 * sections by id.
 */
import { ATLAS } from '../atlasPreset.js';
import type { AnyExperiment } from '../experiment.js';
import type { StudyPreset } from '../presets.js';
import { adaptiveScales } from './adaptiveScales.js';
import { adaptiveTuning } from './adaptiveTuning.js';
import { answerClaims } from './answerClaims.js';
import { fairChance } from './fairChance.js';
import { atlas } from './gAtlas.js';
import { atlasTuning } from './gAtlasTuning.js';
import { grid } from './grid.js';
import { learningRateFree } from './learningRateFree.js';
import { momentumAlone } from './momentumAlone.js';
import { naturalScales } from './naturalScales.js';
import { neededStep } from './neededStep.js';
import { noLearningRate } from './noLearningRate.js';
import { parity } from './parity.js';
import { quadratic } from './quadratic.js';
import { schedule } from './schedule.js';

export const EXPERIMENTS: readonly AnyExperiment[] = [
  grid,
  momentumAlone,
  noLearningRate,
  quadratic,
  parity,
  schedule,
  fairChance,
  adaptiveTuning,
  adaptiveScales,
  learningRateFree,
  neededStep,
  naturalScales,
  answerClaims,
];

/** The atlas: its tuning (on the validation split) before the runs of the chosen rates. */
export const ATLAS_EXPERIMENTS: readonly AnyExperiment[] = [atlasTuning, atlas];

/** What a preset runs: the atlas alone (`atlas`), or every experiment with the atlas's slice where the preset has one. */
export function experimentsFor(preset: Pick<StudyPreset, 'name'>): readonly AnyExperiment[] {
  if (preset.name === 'atlas') return ATLAS_EXPERIMENTS;
  return ATLAS[preset.name] ? [...EXPERIMENTS, ...ATLAS_EXPERIMENTS] : EXPERIMENTS;
}
