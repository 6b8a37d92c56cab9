/**
 * Study presets: how much data, how many steps and how wide the sweeps are. `quick` is for
 * tests and CI (under a minute on the native backend), `default` is what `npm start` runs
 * (mnist-digits, every experiment, a few minutes), `full` is Fashion-MNIST for the README.
 */
import type { DatasetName } from '../data/index.js';

export const PRESET_NAMES = ['quick', 'default', 'full'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export interface StudyPreset {
  name: PresetName;
  dataset: DatasetName;
  trainLimit?: number;
  testLimit?: number;
  batchSize: number;
  /** Epochs of the runs in experiments 1, 2, 5 and 6. */
  epochs: number;
  /** Epochs of each grid cell in experiment 3. */
  gridEpochs: number;
  /** Learning rates of the grid (log-spaced). */
  gridLearningRates: number[];
  gridMomenta: number[];
  /** Seeds for the reruns of each optimizer's best grid setting (the first is the grid's own). */
  seeds: number;
  /** Loss scales of experiment 2. */
  lossScales: number[];
  /** Steps per trajectory and bisection iterations on the quadratic (experiment 4). */
  quadraticSteps: number;
  bisectionIterations: number;
  /** Test accuracy that counts as "learned" for sgd and heavy-ball in experiment 1. */
  learnedAccuracy: number;
}

function logSpaced(fromExponent: number, toExponent: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => {
    const exponent = fromExponent + ((toExponent - fromExponent) * i) / (count - 1);
    return Number((10 ** exponent).toPrecision(3));
  });
}

export const PRESETS: Record<PresetName, StudyPreset> = {
  quick: {
    name: 'quick',
    dataset: 'mnist-digits',
    trainLimit: 2000,
    testLimit: 500,
    batchSize: 32,
    epochs: 2,
    gridEpochs: 1,
    gridLearningRates: logSpaced(-2.5, 0.5, 4),
    gridMomenta: [0, 0.9],
    seeds: 2,
    lossScales: [0.01, 1, 100],
    quadraticSteps: 200,
    bisectionIterations: 8,
    learnedAccuracy: 0.8,
  },
  default: {
    name: 'default',
    dataset: 'mnist-digits',
    batchSize: 128,
    epochs: 3,
    // 252 steps per cell: the steady state behind alpha / (1 - mu) needs about 1/(1 - mu) steps.
    gridEpochs: 4,
    gridLearningRates: logSpaced(-3.5, 0.5, 9),
    gridMomenta: [0, 0.5, 0.9, 0.99],
    seeds: 3,
    lossScales: [0.01, 1, 100],
    quadraticSteps: 1000,
    bisectionIterations: 14,
    learnedAccuracy: 0.9,
  },
  full: {
    name: 'full',
    dataset: 'fashion-mnist',
    batchSize: 128,
    // 469 steps per epoch on 60,000 images: one epoch ranks the grid cells, four train the rest.
    epochs: 4,
    gridEpochs: 1,
    gridLearningRates: logSpaced(-3.5, 0.5, 9),
    gridMomenta: [0, 0.5, 0.9, 0.99],
    seeds: 5,
    lossScales: [0.01, 1, 100],
    quadraticSteps: 2000,
    bisectionIterations: 16,
    learnedAccuracy: 0.8,
  },
};

export function getPreset(name: string): StudyPreset {
  if (!(PRESET_NAMES as readonly string[]).includes(name)) {
    throw new Error(`Unknown study preset ${JSON.stringify(name)} (expected one of: ${PRESET_NAMES.join(', ')})`);
  }
  return PRESETS[name as PresetName];
}
