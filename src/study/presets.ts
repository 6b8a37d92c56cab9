/**
 * Study presets: how much data, how many steps and how wide the sweeps are. `smoke` only checks
 * that the study runs end to end (seconds; its verdicts mean nothing), `quick` is for
 * tests and CI (under a minute on the native backend), `default` is what `npm start` runs
 * (mnist-digits, every experiment, within 2 minutes on 2 cores), `full` is Fashion-MNIST for the README,
 * `atlas` runs only the atlas (experiment G: every method in natural settings, atlasPreset.ts).
 * Every preset selects hyperparameters on a validation split and reports on the test split.
 */
import { FINAL_SEED_OFFSET } from '../train/heldOut.js';
import type { DatasetName } from '../data/index.js';
import { UserError } from '../util/errors.js';

export const PRESET_NAMES = ['smoke', 'quick', 'default', 'full', 'atlas'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export interface StudyPreset {
  name: PresetName;
  dataset: DatasetName;
  trainLimit?: number;
  testLimit?: number;
  batchSize: number;
  /** Epochs of every training run (grid cells included: a cell trains as long as the runs that use its result). */
  epochs: number;
  /** Learning rates of the grid (log-spaced half-decades, so heavy-ball/EMA pairs alpha, alpha / (1 - mu) exist). */
  gridLearningRates: number[];
  gridMomenta: number[];
  /**
   * Seeds per compared configuration. Selection (the grid, on the validation split) uses seeds
   * 1..seeds; the final runs (on the test split) use seeds FINAL_SEED_OFFSET + 1.. so no
   * reported number comes from a seed that chose its hyperparameters.
   */
  seeds: number;
  /** Examples carved from the training data as the validation split (seeded, stratified). */
  validationSize: number;
  /**
   * Training examples in each run's evaluations of the training split (a fixed subset, the same
   * for every run: config.trainEvalSize); absent: the whole training split. Only the reported
   * training loss and accuracy see it; training and the held-out evaluations do not.
   */
  trainEvalSize?: number;
  /** Loss scales of experiment 2: powers of two, so alpha / s and s * g are exact in float32. */
  lossScales: number[];
  /** Steps per trajectory and bisection iterations on the quadratic (experiment 4). */
  quadraticSteps: number;
  bisectionIterations: number;
  /** Test accuracy that counts as "learned" for sgd and heavy-ball in experiment 1. */
  learnedAccuracy: number;
}

/**
 * Final runs use seeds from FINAL_SEED_OFFSET on (selection uses 1..seeds); the seed of the
 * validation carve: the same split for every run of every preset (train/heldOut.ts).
 */
export { FINAL_SEED_OFFSET, VALIDATION_SEED } from '../train/heldOut.js';

export function selectionSeeds(preset: StudyPreset): number[] {
  return Array.from({ length: preset.seeds }, (_, i) => i + 1);
}

export function finalSeeds(preset: StudyPreset): number[] {
  return Array.from({ length: preset.seeds }, (_, i) => FINAL_SEED_OFFSET + i + 1);
}

function logSpaced(fromExponent: number, toExponent: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => {
    const exponent = fromExponent + ((toExponent - fromExponent) * i) / (count - 1);
    return Number((10 ** exponent).toPrecision(3));
  });
}

// Each preset is written out in full, so its size and cost read off its own block.
export const PRESETS: Record<PresetName, StudyPreset> = {
  smoke: {
    name: 'smoke',
    dataset: 'mnist-digits',
    trainLimit: 400,
    testLimit: 200,
    batchSize: 50,
    epochs: 1,
    gridLearningRates: logSpaced(-2, 0, 2),
    gridMomenta: [0, 0.9],
    seeds: 2,
    validationSize: 100,
    lossScales: [2 ** -7, 1, 2 ** 7],
    quadraticSteps: 50,
    bisectionIterations: 4,
    learnedAccuracy: 0.5,
  },
  quick: {
    name: 'quick',
    dataset: 'mnist-digits',
    trainLimit: 2000,
    testLimit: 500,
    batchSize: 32,
    epochs: 2,
    gridLearningRates: logSpaced(-2.5, 0.5, 4),
    gridMomenta: [0, 0.9],
    seeds: 2,
    validationSize: 400,
    lossScales: [2 ** -7, 1, 2 ** 7],
    quadraticSteps: 200,
    bisectionIterations: 8,
    learnedAccuracy: 0.8,
  },
  default: {
    name: 'default',
    dataset: 'mnist-digits',
    batchSize: 128,
    // Two epochs and a training-split evaluation of 1,000 examples (instead of all 7,000) keep
    // npm start within two minutes on 2 cores: the runs' compute is their steps and evaluations.
    epochs: 2,
    // Half-decades from 1e-3 to 10^0.5 (8 points) and three momenta: 144 grid runs with 3 seeds.
    gridLearningRates: logSpaced(-3, 0.5, 8),
    gridMomenta: [0, 0.9, 0.99],
    seeds: 3,
    validationSize: 1000,
    trainEvalSize: 1000,
    lossScales: [2 ** -7, 1, 2 ** 7],
    quadraticSteps: 1000,
    bisectionIterations: 14,
    learnedAccuracy: 0.9,
  },
  full: {
    name: 'full',
    dataset: 'fashion-mnist',
    batchSize: 128,
    epochs: 4,
    gridLearningRates: logSpaced(-3.5, 0.5, 9),
    gridMomenta: [0, 0.5, 0.9, 0.99],
    seeds: 5,
    validationSize: 10000,
    lossScales: [2 ** -7, 2 ** -4, 1, 2 ** 4, 2 ** 7],
    quadraticSteps: 2000,
    bisectionIterations: 16,
    learnedAccuracy: 0.8,
  },
  // The atlas alone (experiments G0 and G; their widths in atlasPreset.ts): Fashion-MNIST cut
  // to 1,500 training + 500 validation examples and 1,000 test examples, 2 epochs, so that
  // 2,400 runs (every method in every setting) fit in about an hour on two workers of a shared
  // 2-core machine (load 20-30 when it was sized: a run of the default mlp took 1-2 s wall in a
  // worker, the wide mlp and the cnn with BatchNormalization about 9 times that).
  // The grid, loss-scale and quadratic fields are unused by it.
  atlas: {
    name: 'atlas',
    dataset: 'fashion-mnist',
    trainLimit: 2000,
    testLimit: 1000,
    batchSize: 128,
    epochs: 2,
    gridLearningRates: logSpaced(-3.5, 0.5, 9),
    gridMomenta: [0, 0.5, 0.9, 0.99],
    seeds: 5,
    validationSize: 500,
    lossScales: [1],
    quadraticSteps: 2000,
    bisectionIterations: 16,
    learnedAccuracy: 0.8,
  },
};

export function getPreset(name: string): StudyPreset {
  if (!(PRESET_NAMES as readonly string[]).includes(name)) {
    throw new UserError(`Unknown study preset ${JSON.stringify(name)} (expected one of: ${PRESET_NAMES.join(', ')})`);
  }
  return PRESETS[name as PresetName];
}
