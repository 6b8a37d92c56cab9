/**
 * Every experiment of the study, in the order they run: an experiment that hands tuned
 * learning rates on (the grid) comes before the ones that plan with them. The report orders
 * sections by id.
 */
import type { AnyExperiment } from '../experiment.js';
import { adaptiveScales } from './adaptiveScales.js';
import { adaptiveTuning } from './adaptiveTuning.js';
import { answerClaims } from './answerClaims.js';
import { fairChance } from './fairChance.js';
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
