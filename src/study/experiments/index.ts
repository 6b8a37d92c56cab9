/**
 * Every experiment of the study, in the order they run: an experiment that hands tuned
 * learning rates on (the grid) comes before the ones that plan with them. The report orders
 * sections by id.
 */
import type { AnyExperiment } from '../experiment.js';
import { grid } from './grid.js';
import { momentumAlone } from './momentumAlone.js';
import { noLearningRate } from './noLearningRate.js';
import { parity } from './parity.js';
import { quadratic } from './quadratic.js';
import { schedule } from './schedule.js';

export const EXPERIMENTS: readonly AnyExperiment[] = [grid, momentumAlone, noLearningRate, quadratic, parity, schedule];
