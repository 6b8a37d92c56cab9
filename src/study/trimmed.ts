/**
 * What a preset trims relative to the full preset, derived from the preset definitions
 * (presets.ts and breadthPreset.ts) and the experiments' plans, so the report can never
 * disagree with what ran: every setting that differs, and the runs per experiment of both.
 */
import { BREADTH, type BreadthPreset } from './breadthPreset.js';
import { planningInputs, type AnyExperiment } from './experiment.js';
import { PRESETS, type StudyPreset } from './presets.js';

/** Settings of both preset definitions that differ between presets, with what each is for. */
const STUDY_SETTINGS: Partial<Record<keyof StudyPreset, string>> = {
  dataset: 'dataset',
  trainLimit: 'training examples used (all when empty)',
  testLimit: 'test examples used (all when empty)',
  batchSize: 'batch size',
  epochs: 'epochs of every run (experiment 1: at least 3)',
  gridLearningRates: 'learning rates of the grid (experiment 3)',
  gridMomenta: 'momenta of the grid (experiment 3)',
  seeds: 'seeds per compared configuration',
  validationSize: 'validation examples',
  trainEvalSize: "training examples in a run's training-split evaluations (all when empty)",
  lossScales: 'loss scales of experiment 2',
  quadraticSteps: 'steps per quadratic trajectory (experiment 4)',
  bisectionIterations: 'bisection iterations (experiment 4)',
  learnedAccuracy: 'accuracy that counts as learned (experiment 1)',
};

const BREADTH_SETTINGS: Record<keyof BreadthPreset, string> = {
  scales: 'loss scales of experiments A-D',
  betas: 'EMA betas without a learning rate (experiment A i)',
  heavyBallMomenta: 'heavy-ball momenta without a learning rate (experiment A ii)',
  adaptiveRates: 'learning rates tuned for adam and rmsprop (experiment B)',
  settingRates: 'ema-momentum learning rates per natural setting (experiment E)',
  widths: 'extra MLP widths (experiment E)',
  cnn: 'CNN in experiment E',
  checkpoints: 'line-search checkpoints (experiment D)',
  probeExamples: 'examples of the fixed probe batch (experiments A, D)',
  rayPoints: 'points on the ray w0 - t g0 (experiment F)',
};

function scaleText(value: number): string {
  const exponent = Math.log2(value);
  return Number.isInteger(exponent) && exponent !== 0 ? `2^${exponent}` : String(value);
}

function valueText(key: string, value: unknown): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) {
    const scales = key === 'scales' || key === 'lossScales';
    const items = value.map((v: number) => (scales ? scaleText(v) : String(v)));
    return items.length === 0 ? 'none' : `${items.join(', ')} (${items.length})`;
  }
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return String(value);
}

function differences<T extends object>(
  labels: Partial<Record<keyof T, string>>,
  preset: T,
  full: T,
): (string | number)[][] {
  return (Object.keys(labels) as (keyof T & string)[])
    .filter((key) => JSON.stringify(preset[key]) !== JSON.stringify(full[key]))
    .map((key) => [labels[key] ?? key, valueText(key, preset[key]), valueText(key, full[key])]);
}

export interface TrimmedReport {
  settings: { columns: string[]; rows: (string | number)[][] };
  runs: { columns: string[]; rows: (string | number)[][] };
}

/** Every setting where `preset` differs from the full preset, and the planned runs per experiment of both. */
export function trimmedRelativeToFull(
  preset: StudyPreset,
  experiments: readonly AnyExperiment[],
  trainCount: number,
): TrimmedReport {
  const full = PRESETS.full;
  const planned = (p: StudyPreset) => {
    const inputs = planningInputs(p, trainCount);
    return experiments.map((e) => e.plan(p, inputs).length);
  };
  const mine = planned(preset);
  const theirs = planned(full);
  const total = (counts: number[]) => counts.reduce((a, b) => a + b, 0);
  return {
    settings: {
      columns: ['setting', preset.name, 'full'],
      rows: [
        ...differences(STUDY_SETTINGS, preset, full),
        ...differences(BREADTH_SETTINGS, BREADTH[preset.name], BREADTH.full),
      ],
    },
    runs: {
      columns: ['experiment', `runs (${preset.name})`, 'runs (full)'],
      rows: [...experiments.map((e, i) => [e.id, mine[i], theirs[i]]), ['**total**', total(mine), total(theirs)]],
    },
  };
}
