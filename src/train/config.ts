/**
 * Every input of a training run, validated at the boundary. The config is written verbatim
 * to the run's config.json, so it stays plain JSON.
 */
import type { DatasetName } from '../data/index.js';
import { resolveModelSpec, type ModelKind } from '../models/index.js';
import { UserError } from '../util/errors.js';
import {
  BUILTIN_OPTIMIZER_KINDS,
  OPTIMIZER_KINDS,
  createBuiltinOptimizer,
  createOptimizer,
  type BuiltinOptimizerSpec,
  type OptimizerSpec,
} from '../optimizers/index.js';
import type * as TF from '@tensorflow/tfjs';
import { checkSeed } from '../util/random.js';
import {
  LOSS_KINDS,
  REDUCTIONS,
  TRAIN_DEFAULTS,
  TRAIN_MODES,
  type LossKind,
  type Reduction,
  type TrainMode,
} from './defaults.js';
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
    throw new UserError(`Invalid ${name} value: ${value} (expected a positive integer)`);
  }
}

function oneOf(name: string, value: string | undefined, choices: readonly string[]): void {
  if (value !== undefined && !choices.includes(value)) {
    throw new UserError(`Invalid ${name}: ${JSON.stringify(value)} (expected one of: ${choices.join(', ')})`);
  }
}

function checkNumbers(config: TrainConfig): void {
  positiveInteger('epochs', config.epochs);
  positiveInteger('batchSize', config.batchSize);
  positiveInteger('evalBatchSize', config.evalBatchSize);
  positiveInteger('logEvery', config.logEvery);
  positiveInteger('trainLimit', config.trainLimit, true);
  positiveInteger('testLimit', config.testLimit, true);
  positiveInteger('maxSteps', config.maxSteps, true);
  if (!Number.isInteger(config.normEvery) || config.normEvery < 0) {
    throw new UserError(`Invalid normEvery value: ${config.normEvery} (expected an integer >= 0; 0 turns norms off)`);
  }
  checkSeed(config.seed);
  if (!Number.isFinite(config.lossScale) || config.lossScale <= 0) {
    throw new UserError(`Invalid lossScale value: ${config.lossScale} (expected a finite number > 0)`);
  }
  if (!(config.divergenceBound > 0)) {
    throw new UserError(`Invalid divergenceBound value: ${config.divergenceBound} (expected a number > 0)`);
  }
}

/**
 * Throws one clear message naming the field, the value and what is allowed, for every field
 * but the optimizer's hyperparameters (building the optimizer checks those).
 */
export function checkTrainFields(config: TrainConfig): void {
  checkNumbers(config);
  oneOf('loss value', config.loss, LOSS_KINDS);
  oneOf('reduction value', config.reduction, REDUCTIONS);
  oneOf('mode value', config.mode, TRAIN_MODES);
  resolveModelSpec({ kind: config.model, hidden: config.hidden, seed: config.seed });
  oneOf('optimizer kind', config.optimizer.kind, [...OPTIMIZER_KINDS, ...BUILTIN_OPTIMIZER_KINDS]);
}

/** {@link checkTrainFields}, then the optimizer is built (and freed) once, so a bad spec fails early. */
function validateTrainConfig(config: TrainConfig): TrainConfig {
  checkTrainFields(config);
  makeOptimizer(config.optimizer).dispose();
  return config;
}

/** The fields a caller must give; everything else has a default in TRAIN_DEFAULTS. */
export type TrainConfigOverrides = Partial<TrainConfig> & Pick<TrainConfig, 'optimizer'>;

/**
 * The one way to build a TrainConfig (CLI, study, bench): TRAIN_DEFAULTS, then `overrides`
 * (undefined fields keep their default), validated once. Training itself trusts the result.
 */
export function makeTrainConfig(overrides: TrainConfigOverrides): TrainConfig {
  return validateTrainConfig(withTrainDefaults(overrides));
}

/**
 * TRAIN_DEFAULTS, then the fields of `overrides` that are not undefined: what a run's
 * config.json records, so a config built by the CLI, a sweep's grid or a queue worker's
 * payload writes the same file (`loss` and `reduction` written out at their defaults).
 */
export function withTrainDefaults(overrides: TrainConfigOverrides): TrainConfig {
  const given = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
  return { ...TRAIN_DEFAULTS, ...given } as TrainConfig;
}

export function isBuiltin(spec: TrainOptimizerSpec): spec is BuiltinOptimizerSpec {
  return (BUILTIN_OPTIMIZER_KINDS as readonly string[]).includes(spec.kind);
}

export function makeOptimizer(spec: TrainOptimizerSpec): TF.Optimizer {
  return isBuiltin(spec) ? createBuiltinOptimizer(spec) : createOptimizer(spec);
}
