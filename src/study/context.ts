/** What every experiment of the study gets, and what it gives back. */
import type { TrainConfig, TrainOptimizerSpec } from '../train/config.js';
import { TRAIN_DEFAULTS } from '../train/config.js';
import type { StudyPreset } from './presets.js';
import type { RunOutcome } from './sweep.js';
import type { Verdict } from './verdict.js';

export interface Figure {
  /** Path of the plot relative to the study folder, without extension (.svg and .png exist). */
  file: string;
  caption: string;
}

export interface Table {
  caption: string;
  columns: string[];
  rows: (string | number)[][];
}

export interface Section {
  id: string;
  title: string;
  /** Markdown paragraphs, in order, before the figures and tables. */
  text: string[];
  figures: Figure[];
  tables: Table[];
  verdicts: Verdict[];
}

export const SUMMARY_COLUMNS = [
  'experiment',
  'run_id',
  'optimizer',
  'learning_rate',
  'momentum',
  'gradient_steps',
  'loss_scale',
  'seed',
  'final_test_accuracy',
  'final_test_loss',
  'diverged',
  'steps',
  'seconds',
] as const;

export type SummaryRow = Record<(typeof SUMMARY_COLUMNS)[number], string | number | boolean>;

export type CsvRow = Record<string, string | number | boolean>;

export interface ExperimentResult {
  section: Section;
  summary: SummaryRow[];
  /** The experiment's own table, written as `<section.id>.csv`. */
  csv: CsvRow[];
  /** What analyse() returned. */
  numbers: unknown;
}

/** The config every run of the study starts from (MLP, preset data, seed 1). */
export function baseConfig(
  preset: StudyPreset,
  optimizer: TrainOptimizerSpec,
  overrides: Partial<TrainConfig> = {},
): TrainConfig {
  return {
    dataset: preset.dataset,
    trainLimit: preset.trainLimit,
    testLimit: preset.testLimit,
    model: 'mlp',
    optimizer,
    epochs: preset.epochs,
    batchSize: preset.batchSize,
    seed: 1,
    lossScale: 1,
    mode: 'custom',
    logEvery: TRAIN_DEFAULTS.logEvery,
    normEvery: TRAIN_DEFAULTS.normEvery,
    divergenceBound: TRAIN_DEFAULTS.divergenceBound,
    evalBatchSize: TRAIN_DEFAULTS.evalBatchSize,
    ...overrides,
  };
}

function hyper(spec: TrainOptimizerSpec, field: 'learningRate' | 'momentum' | 'gradientSteps'): number | string {
  const value = (spec as unknown as Record<string, unknown>)[field];
  if (value === undefined) return '';
  return typeof value === 'number' ? value : JSON.stringify(value);
}

export function summaryRow(experiment: string, outcome: RunOutcome): SummaryRow {
  const { config } = outcome.run;
  return {
    experiment,
    run_id: outcome.run.id,
    optimizer: config.optimizer.kind,
    learning_rate: hyper(config.optimizer, 'learningRate'),
    momentum: hyper(config.optimizer, 'momentum'),
    gradient_steps: hyper(config.optimizer, 'gradientSteps'),
    loss_scale: config.lossScale,
    seed: config.seed,
    final_test_accuracy: outcome.finalTestAccuracy,
    final_test_loss: outcome.finalTestLoss,
    diverged: outcome.status === 'diverged',
    steps: outcome.steps,
    seconds: outcome.seconds,
  };
}

/** A compact, filesystem-safe rendering of a number for run ids (0.0316 -> 0.0316, 1e-4 -> 1e-4). */
export function idNumber(x: number): string {
  return String(x).replace('+', '');
}
