/**
 * Every input of a training run, validated at the boundary. The config is written verbatim
 * to the run's config.json, so it stays plain JSON.
 */
import type { DatasetName } from '../data/index.js';
import type { ModelKind } from '../models/index.js';
import {
  BUILTIN_OPTIMIZER_KINDS,
  OPTIMIZER_KINDS,
  createBuiltinOptimizer,
  createOptimizer,
  type BuiltinOptimizerSpec,
  type OptimizerSpec,
} from '../optimizers/index.js';
import type * as TF from '@tensorflow/tfjs';
import { LOSS_KINDS, REDUCTIONS, TRAIN_MODES, type LossKind, type Reduction, type TrainMode } from './defaults.js';
import type { ValidationConfig } from './heldOut.js';

export { TRAIN_DEFAULTS, type LossKind, type Reduction, type TrainMode } from './defaults.js';

/** An inertia optimizer spec, or one of TensorFlow.js's own for comparison. */
export type TrainOptimizerSpec = OptimizerSpec | BuiltinOptimizerSpec;

export interface TrainConfig {
  dataset: DatasetName;
  /** Folder with the dataset's IDX files (fashion-mnist, mnist). */
  dataDir?: string;
  /** Use only the first N training / test examples (after the split). */
  trainLimit?: number;
  testLimit?: number;
  model: ModelKind;
  hidden?: number[];
  optimizer: TrainOptimizerSpec;
  epochs: number;
  batchSize: number;
  /** Seeds the initial weights and the data order. */
  seed: number;
  /** The loss is multiplied by this before differentiation (1 = the plain loss). */
  lossScale: number;
  /** Training loss (default cross-entropy); evaluation always reports cross-entropy and accuracy. */
  loss?: LossKind;
  /**
   * Minibatch reduction (default mean). `sum` multiplies the differentiated loss by the batch's
   * size, a loss scale the user did not choose; the recorded batch_loss stays the per-example mean.
   */
  reduction?: Reduction;
  /** `custom`: inertia's loop (variableGrads + applyGradients); `keras`: model.fit. */
  mode: TrainMode;
  /** Steps between reads of the minibatch losses (and divergence checks). */
  logEvery: number;
  /** Steps between gradient/update/velocity norm measurements (0: never). */
  normEvery: number;
  /** A (unscaled) loss above this, or a non-finite one, marks the run diverged. */
  divergenceBound: number;
  evalBatchSize: number;
  /** Stop after this many optimizer steps (the last epoch is then partial). */
  maxSteps?: number;
  /** Carve a validation split from the training data (see heldOut.ts); absent: train on all, evaluate on test. */
  validation?: ValidationConfig;
}

function positiveInteger(name: string, value: number | undefined, optional = false): void {
  if (value === undefined && optional) return;
  if (value === undefined || !Number.isInteger(value) || value <= 0) {
    throw new Error(`Invalid ${name} value: ${value} (expected a positive integer)`);
  }
}

/** Throws one clear message naming the field, the value and what is allowed. */
export function validateTrainConfig(config: TrainConfig): TrainConfig {
  positiveInteger('epochs', config.epochs);
  positiveInteger('batchSize', config.batchSize);
  positiveInteger('evalBatchSize', config.evalBatchSize);
  positiveInteger('logEvery', config.logEvery);
  positiveInteger('trainLimit', config.trainLimit, true);
  positiveInteger('testLimit', config.testLimit, true);
  positiveInteger('maxSteps', config.maxSteps, true);
  if (!Number.isInteger(config.normEvery) || config.normEvery < 0) {
    throw new Error(`Invalid normEvery value: ${config.normEvery} (expected an integer >= 0; 0 turns norms off)`);
  }
  if (!Number.isInteger(config.seed) || config.seed < 0) {
    throw new Error(`Invalid seed value: ${config.seed} (expected an integer >= 0)`);
  }
  if (!Number.isFinite(config.lossScale) || config.lossScale <= 0) {
    throw new Error(`Invalid lossScale value: ${config.lossScale} (expected a finite number > 0)`);
  }
  if (config.loss !== undefined && !(LOSS_KINDS as readonly string[]).includes(config.loss)) {
    throw new Error(`Invalid loss value: ${JSON.stringify(config.loss)} (expected one of: ${LOSS_KINDS.join(', ')})`);
  }
  if (config.reduction !== undefined && !(REDUCTIONS as readonly string[]).includes(config.reduction)) {
    throw new Error(
      `Invalid reduction value: ${JSON.stringify(config.reduction)} (expected one of: ${REDUCTIONS.join(', ')})`,
    );
  }
  if (!(config.divergenceBound > 0)) {
    throw new Error(`Invalid divergenceBound value: ${config.divergenceBound} (expected a number > 0)`);
  }
  if (!(TRAIN_MODES as readonly string[]).includes(config.mode)) {
    throw new Error(`Invalid mode value: ${JSON.stringify(config.mode)} (expected one of: ${TRAIN_MODES.join(', ')})`);
  }
  const kinds: readonly string[] = [...OPTIMIZER_KINDS, ...BUILTIN_OPTIMIZER_KINDS];
  if (!kinds.includes(config.optimizer.kind)) {
    throw new Error(
      `Invalid optimizer kind: ${JSON.stringify(config.optimizer.kind)} (expected one of: ${kinds.join(', ')})`,
    );
  }
  // Builds (and frees) the optimizer once so that a bad spec fails before any run folder exists.
  makeOptimizer(config.optimizer).dispose();
  return config;
}

export function isBuiltin(spec: TrainOptimizerSpec): spec is BuiltinOptimizerSpec {
  return (BUILTIN_OPTIMIZER_KINDS as readonly string[]).includes(spec.kind);
}

export function makeOptimizer(spec: TrainOptimizerSpec): TF.Optimizer {
  return isBuiltin(spec) ? createBuiltinOptimizer(spec) : createOptimizer(spec);
}
