/** What every experiment of the study gets, and what it gives back. */
import type { TrainConfig, TrainOptimizerSpec } from '../train/config.js';
import { makeTrainConfig } from '../train/config.js';
import { FINAL_SEED_OFFSET, VALIDATION_SEED, type StudyPreset } from './presets.js';
import type { RunOutcome } from '../exec/runBatch.js';
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
  'evaluated_on',
  'final_test_accuracy',
  'final_test_loss',
  'final_validation_accuracy',
  'final_validation_loss',
  'diverged',
  'diverged_at_step',
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

/**
 * The config every run of the study starts from: MLP, preset data minus the validation split,
 * evaluated on the test split, the first final seed. Selection runs use {@link selectionConfig}.
 */
export function baseConfig(
  preset: StudyPreset,
  optimizer: TrainOptimizerSpec,
  overrides: Partial<TrainConfig> = {},
): TrainConfig {
  return makeTrainConfig({
    validation: { size: preset.validationSize, seed: VALIDATION_SEED, evaluate: 'test' },
    dataset: preset.dataset,
    trainLimit: preset.trainLimit,
    testLimit: preset.testLimit,
    model: 'mlp',
    optimizer,
    epochs: preset.epochs,
    batchSize: preset.batchSize,
    trainEvalSize: preset.trainEvalSize,
    seed: FINAL_SEED_OFFSET + 1,
    ...overrides,
  });
}

/** A run that chooses hyperparameters: same training examples, evaluated on the validation split only. */
export function selectionConfig(
  preset: StudyPreset,
  optimizer: TrainOptimizerSpec,
  overrides: Partial<TrainConfig> = {},
): TrainConfig {
  return baseConfig(preset, optimizer, {
    ...overrides,
    validation: { size: preset.validationSize, seed: VALIDATION_SEED, evaluate: 'validation' },
  });
}

/** A hyperparameter as the grid wrote it: float noise such as 0.5000000000000001 rounded away (12 digits). */
export function hyperValue(value: number): number {
  return Number(value.toPrecision(12));
}

function hyper(spec: TrainOptimizerSpec, field: 'learningRate' | 'momentum' | 'gradientSteps'): number | string {
  const value = (spec as unknown as Record<string, unknown>)[field];
  if (value === undefined) return '';
  return typeof value === 'number' ? hyperValue(value) : JSON.stringify(value);
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
    evaluated_on: config.validation?.evaluate ?? 'test',
    final_test_accuracy: outcome.finalTestAccuracy,
    final_test_loss: outcome.finalTestLoss,
    final_validation_accuracy: outcome.finalValidationAccuracy,
    final_validation_loss: outcome.finalValidationLoss,
    diverged: outcome.status === 'diverged',
    diverged_at_step: outcome.divergedAtStep ?? '',
    steps: outcome.steps,
    seconds: outcome.seconds,
  };
}

/** A compact, filesystem-safe rendering of a number for run ids (0.0316 -> 0.0316, 1e-4 -> 1e-4). */
export function idNumber(x: number): string {
  return String(x).replace('+', '');
}
