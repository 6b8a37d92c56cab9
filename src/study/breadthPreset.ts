/**
 * How wide experiments A-F sweep in each study preset. The default preset keeps every
 * experiment but trims the widths so `npm start` stays within its time budget (fewer betas,
 * momenta and tuning rates, three loss scales, no CNN and no wide MLPs); the full preset has
 * the complete grids. Seeds come from the study preset (same rule for every experiment).
 */
import type { PresetName } from './presets.js';

export interface BreadthPreset {
  /** Loss scales s of experiments A, B, C and D (powers of two: alpha / s and s * g stay exact). */
  scales: number[];
  /** EMA coefficients of no-lr-momentum (experiment A i). */
  betas: number[];
  /** Momenta of heavy-ball without a learning rate, v = mu v + g; w -= v (experiment A ii). */
  heavyBallMomenta: number[];
  /** Learning rates tried for adam and rmsprop on the validation split at s = 1 (experiment B). */
  adaptiveRates: number[];
  /** Learning rates tried for ema-momentum in each natural setting (experiment E). */
  settingRates: number[];
  /** First hidden widths of the MLPs of experiment E (hidden = [w, w / 2]). */
  widths: number[];
  /** Whether experiment E includes the CNN (about 20x the cost of a step of the default MLP). */
  cnn: boolean;
  /** Checkpoints (optimizer steps) at which experiment D measures c*(t); steps beyond the run are dropped. */
  checkpoints: number[];
  /** Examples of the fixed batch used for lambda_max and the line searches. */
  probeExamples: number;
  /** Log-spaced points of t on the ray w0 - t g0 (experiment F). */
  rayPoints: number;
}

// Each preset is written out in full, so its size and cost read off its own block.
export const BREADTH: Record<PresetName, BreadthPreset> = {
  smoke: {
    scales: [2 ** -7, 1, 2 ** 7],
    betas: [0.9],
    heavyBallMomenta: [0, 0.9],
    adaptiveRates: [1e-2],
    settingRates: [0.01, 1],
    widths: [],
    cnn: false,
    checkpoints: [1, 4],
    probeExamples: 64,
    rayPoints: 5,
  },
  quick: {
    scales: [2 ** -7, 1, 2 ** 7],
    betas: [0.9],
    heavyBallMomenta: [0, 0.9],
    adaptiveRates: [1e-2],
    settingRates: [0.01, 1],
    widths: [],
    cnn: false,
    checkpoints: [1, 20, 60],
    probeExamples: 256,
    rayPoints: 13,
  },
  default: {
    scales: [2 ** -7, 1, 2 ** 7],
    betas: [0.9, 0.99],
    heavyBallMomenta: [0, 0.99],
    adaptiveRates: [1e-3, 3.16e-3],
    settingRates: [1e-3, 0.0316, 1],
    widths: [],
    cnn: false,
    checkpoints: [1, 10, 40, 100],
    probeExamples: 1024,
    rayPoints: 33,
  },
  full: {
    scales: [2 ** -7, 2 ** -4, 1, 2 ** 4, 2 ** 7],
    betas: [0.9, 0.99, 0.999, 0.9999],
    heavyBallMomenta: [0, 0.5, 0.9, 0.99],
    adaptiveRates: [1e-4, 3.16e-4, 1e-3, 3.16e-3, 1e-2],
    settingRates: [0.01, 0.0316, 0.1, 0.316, 1, 3.16],
    widths: [64, 1024, 4096],
    cnn: true,
    checkpoints: [1, 10, 50, 200, 500, 1000, 1500],
    probeExamples: 2048,
    rayPoints: 49,
  },
  // The atlas preset runs none of A-F; its experiments' widths are in atlasPreset.ts.
  atlas: {
    scales: [1],
    betas: [],
    heavyBallMomenta: [],
    adaptiveRates: [],
    settingRates: [],
    widths: [],
    cnn: false,
    checkpoints: [],
    probeExamples: 0,
    rayPoints: 0,
  },
};
