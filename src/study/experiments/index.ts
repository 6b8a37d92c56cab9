/**
 * Every experiment of the study, in the order they run: an experiment that hands a choice on
 * (the grid's learning rates, the betas of A, the alphas of E) comes before the ones that plan
 * with it (A1 and E1 run the choices of A and E again on fresh seeds). The report orders
 * sections by id. A file is named for its experiment's number or letter in the report
 * (e3Grid.ts is experiment 3, eB0AdaptiveTuning.ts experiment B0), as run ids are (eB-...).
 */
import { ATLAS } from '../atlasPreset.js';
import type { AnyExperiment } from '../experiment.js';
import type { StudyPreset } from '../presets.js';
import { momentumAlone } from './e1MomentumAlone.js';
import { noLearningRate } from './e2NoLearningRate.js';
import { grid } from './e3Grid.js';
import { quadratic } from './e4Quadratic.js';
import { parity } from './e5Parity.js';
import { schedule } from './e6Schedule.js';
import { fairChance } from './eAFairChance.js';
import { fairChanceConfirmed } from './eA1FairChanceConfirmed.js';
import { adaptiveTuning } from './eB0AdaptiveTuning.js';
import { adaptiveScales } from './eBAdaptiveScales.js';
import { atlas } from './eGAtlas.js';
import { atlasTuning } from './eG0AtlasTuning.js';
import { learningRateFree } from './eCLearningRateFree.js';
import { neededStep } from './eDNeededStep.js';
import { naturalScales } from './eENaturalScales.js';
import { naturalScalesConfirmed } from './eE1NaturalScalesConfirmed.js';
import { answerClaims } from './eFAnswerClaims.js';

export const EXPERIMENTS: readonly AnyExperiment[] = [
  grid,
  momentumAlone,
  noLearningRate,
  quadratic,
  parity,
  schedule,
  fairChance,
  fairChanceConfirmed,
  adaptiveTuning,
  adaptiveScales,
  learningRateFree,
  neededStep,
  naturalScales,
  naturalScalesConfirmed,
  answerClaims,
];

/** The atlas: its tuning (on the validation split) before the runs of the chosen rates. */
export const ATLAS_EXPERIMENTS: readonly AnyExperiment[] = [atlasTuning, atlas];

/** What a preset runs: the atlas alone (`atlas`), or every experiment with the atlas's slice where the preset has one. */
export function experimentsFor(preset: Pick<StudyPreset, 'name'>): readonly AnyExperiment[] {
  if (preset.name === 'atlas') return ATLAS_EXPERIMENTS;
  return ATLAS[preset.name] ? [...EXPERIMENTS, ...ATLAS_EXPERIMENTS] : EXPERIMENTS;
}
