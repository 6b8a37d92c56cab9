/**
 * Every input of a training run, validated at the boundary. The config is written verbatim
 * to the run's config.json, so it stays plain JSON.
 */
import { INPUT_SCALINGS, type DatasetName, type InputScaling } from '../data/index.js';
import { INIT_KINDS, resolveModelSpec, type InitKind, type ModelKind, type ModelSpec } from '../models/index.js';
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
import { ChainOptimizer } from '../optimizers/chainOptimizer.js';
import { chainFromStageList, type StageListSpec } from '../optimizers/stageList.js';
import { loadBackendNow } from '../backend.js';
import { checkSeed } from '../util/random.js';
import { stableJson } from '../util/json.js';
import {
  CHECKPOINT_MODES,
  LOSS_KINDS,
  REDUCTIONS,
  TRAIN_DEFAULTS,
  TRAIN_MODES,
  type CheckpointMode,
  type LossKind,
  type Reduction,
  type TrainMode,
} from './defaults.js';
import { heldOutNameOf, type HeldOutName, type ValidationConfig } from './heldOut.js';
import { checkEarlyStop, type EarlyStopConfig } from './earlyStop.js';

export { TRAIN_DEFAULTS, type LossKind, type Reduction, type TrainMode } from './defaults.js';

/**
 * An inertia optimizer spec, one of TensorFlow.js's own for comparison, or a chain given as a
 * list of stage configs (`{ kind: "chain", stages }`, what `--optimizer-spec` reads).
 */
export type TrainOptimizerSpec = OptimizerSpec | BuiltinOptimizerSpec | StageListSpec;

export interface TrainConfig {
  dataset: DatasetName;
  /** Folder with the dataset's IDX files (fashion-mnist, mnist). */
  dataDir?: string;
  /** Use only the first N training / test examples (after the split). */
  trainLimit?: number;
  testLimit?: number;
  /** A built-in model kind, or any name for a model given by `TrainOptions.model` (e.g. `custom`). */
  model: ModelKind | (string & {});
  hidden?: number[];
  /** How the kernels start (default glorot; see models/kinds.ts). Never written as its default. */
  init?: InitKind;
  /**
   * How the pixels are scaled (default unit: [0, 1] as loaded; see data/inputs.ts). Never
   * written as its default.
   */
  inputs?: InputScaling;
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
  /**
   * Cross-entropy against (1 - e) one-hot + e / classes (Keras's CategoricalCrossentropy
   * label_smoothing e), 0 <= e < 1; the recorded batch_loss is that loss, evaluation stays
   * plain cross-entropy. Default 0 (never written as such).
   */
  labelSmoothing?: number;
  /** `custom`: inertia's loop (variableGrads + applyGradients); `keras`: model.fit. */
  mode: TrainMode;
  /** Steps between reads of the minibatch losses (and divergence checks). */
  logEvery: number;
  /** Steps between gradient/update/velocity norm measurements (0: never). */
  normEvery: number;
  /** A (unscaled) loss above this, or a non-finite one, marks the run diverged. */
  divergenceBound: number;
  evalBatchSize: number;
  /**
   * Steps between extra evaluations of the held-out split inside an epoch (custom loop only),
   * for measures such as the step at which an accuracy is first reached; the full evaluation
   * after each epoch is unchanged. Absent: after each epoch only.
   */
  evalEvery?: number;
  /**
   * Training examples in the training split's evaluations (its loss and accuracy before the
   * first step and after each epoch): the first N of a fixed permutation of the training split,
   * the same subset for every seed and at every evaluation, so curves and changes between epochs
   * compare like with like. Training uses every example. Absent, or at least the split's size:
   * the whole training split.
   */
  trainEvalSize?: number;
  /** Stop after this many optimizer steps (the last epoch is then partial). */
  maxSteps?: number;
  /** Carve a validation split from the training data (see heldOut.ts); absent: train on all, evaluate on test. */
  validation?: ValidationConfig;
  /**
   * Checkpoints of the weights and the optimizer's state after each epoch, in the run folder
   * (checkpoint.ts says which are kept); absent: none. A run with checkpoints can be resumed.
   */
  checkpoint?: CheckpointMode;
  /** Stop when a per-epoch metric has not improved for `patience` epochs (earlyStop.ts); absent: never. */
  earlyStop?: EarlyStopConfig;
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
  positiveInteger('evalEvery', config.evalEvery, true);
  positiveInteger('trainEvalSize', config.trainEvalSize, true);
  if (!Number.isInteger(config.normEvery) || config.normEvery < 0) {
    throw new UserError(`Invalid normEvery value: ${config.normEvery} (expected an integer >= 0; 0 turns norms off)`);
  }
  checkSeed(config.seed);
  if (!Number.isFinite(config.lossScale) || config.lossScale <= 0) {
    throw new UserError(`Invalid lossScale value: ${config.lossScale} (expected a finite number > 0)`);
  }
  const smoothing = config.labelSmoothing;
  if (smoothing !== undefined && !(Number.isFinite(smoothing) && smoothing >= 0 && smoothing < 1)) {
    throw new UserError(`Invalid labelSmoothing value: ${smoothing} (expected a number with 0 <= e < 1, e.g. 0.1)`);
  }
  if (!(config.divergenceBound > 0)) {
    throw new UserError(`Invalid divergenceBound value: ${config.divergenceBound} (expected a number > 0)`);
  }
}

/**
 * Throws one clear message naming the field, the value and what is allowed, for every field
 * but the optimizer's hyperparameters (building the optimizer checks those).
 */
export function checkTrainFields(
  config: TrainConfig,
  { userModel = false, heldOut }: { userModel?: boolean; heldOut?: HeldOutName } = {},
): void {
  checkNumbers(config);
  oneOf('loss value', config.loss, LOSS_KINDS);
  oneOf('reduction value', config.reduction, REDUCTIONS);
  oneOf('mode value', config.mode, TRAIN_MODES);
  oneOf('inputs value', config.inputs, INPUT_SCALINGS);
  oneOf('init value', config.init, INIT_KINDS);
  oneOf('checkpoint value', config.checkpoint, CHECKPOINT_MODES);
  if (config.earlyStop !== undefined) checkEarlyStop(config.earlyStop, heldOut ?? heldOutNameOf(config.validation));
  if (config.evalEvery !== undefined && config.mode === 'keras') {
    throw new UserError(
      'evalEvery applies to the custom loop only; drop evalEvery or use mode custom (train without --keras)',
    );
  }
  if ((config.labelSmoothing ?? 0) > 0 && config.loss === 'mse') {
    throw new UserError(
      'labelSmoothing applies to the cross-entropy loss only; drop it (--label-smoothing) or use --loss cross-entropy',
    );
  }
  // A user's model (TrainOptions.model) is checked against the data when it is built.
  if (!userModel) resolveModelSpec(modelSpec(config));
  oneOf('optimizer kind', config.optimizer.kind, [...OPTIMIZER_KINDS, ...BUILTIN_OPTIMIZER_KINDS, 'chain']);
}

/** {@link checkTrainFields}, then the optimizer is built (and freed) once, so a bad spec fails early. */
function validateTrainConfig(config: TrainConfig, checks: { userModel?: boolean }): TrainConfig {
  checkTrainFields(config, checks);
  makeOptimizer(config.optimizer).dispose();
  return config;
}

/** The model a run of `config` trains (buildModel's spec). */
export function modelSpec(config: TrainConfig): ModelSpec {
  return {
    kind: config.model as ModelKind,
    hidden: config.hidden,
    seed: config.seed,
    ...(config.init ? { init: config.init } : {}),
  };
}

/**
 * The settings that are absent by default: given as their default value, they are dropped, so
 * a run that names the default has the same config.json as one that does not.
 */
const ABSENT_DEFAULTS: Partial<Record<keyof TrainConfig, unknown>> = {
  init: 'glorot',
  inputs: 'unit',
  labelSmoothing: 0,
};

/** The fields a caller must give; everything else has a default in TRAIN_DEFAULTS. */
export type TrainConfigOverrides = Partial<TrainConfig> & Pick<TrainConfig, 'optimizer'>;

/**
 * The one way to build a TrainConfig (CLI, study, bench): TRAIN_DEFAULTS, then `overrides`
 * (undefined fields keep their default), validated once. Training itself trusts the result.
 * `userModel`: the model comes from `TrainOptions.model`, so `model` is any name (e.g. `custom`).
 */
export function makeTrainConfig(overrides: TrainConfigOverrides, checks: { userModel?: boolean } = {}): TrainConfig {
  return validateTrainConfig(withTrainDefaults(overrides), checks);
}

/**
 * TRAIN_DEFAULTS, then the fields of `overrides` that are given: what a run's config.json
 * records, so a config built by the CLI, a sweep's grid or a queue worker's payload writes the
 * same file (`loss` and `reduction` written out at their defaults; the settings whose default
 * means "absent", such as init, inputs and label smoothing, left out at their defaults).
 */
export function withTrainDefaults(overrides: TrainConfigOverrides): TrainConfig {
  return { ...TRAIN_DEFAULTS, ...withoutAbsentDefaults(overrides) } as TrainConfig;
}

/** The fields of `config` that are given and not at a default that means "absent" (init glorot, inputs unit, no label smoothing). */
export function withoutAbsentDefaults<T extends object>(config: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(config).filter(
      ([field, value]) => value !== undefined && value !== ABSENT_DEFAULTS[field as keyof TrainConfig],
    ),
  ) as Partial<T>;
}

/**
 * Whether two configs (e.g. a run folder's config.json and a planned run's) describe the same
 * run: defaults filled in on both sides (a worker records every field), and where the data were
 * read from (`dataDir`, and the `data` facts a run records) left out. A config that does not
 * validate matches nothing.
 */
export function sameRunConfig(stored: unknown, planned: unknown): boolean {
  try {
    return runConfigKey(stored) === runConfigKey(planned);
  } catch {
    return false;
  }
}

/**
 * A run's settings as one string: equal for two configs that train the same run (where the
 * data were read from is left out). Throws when `config` is not a valid config.
 */
export function runConfigKey(config: unknown): string {
  const { data: _data, dataDir: _dataDir, ...rest } = config as Record<string, unknown>;
  return stableJson(JSON.parse(JSON.stringify(makeTrainConfig(rest as unknown as TrainConfig))));
}

export function isBuiltin(spec: TrainOptimizerSpec): spec is BuiltinOptimizerSpec {
  return (BUILTIN_OPTIMIZER_KINDS as readonly string[]).includes(spec.kind);
}

function isStageList(spec: TrainOptimizerSpec): spec is StageListSpec {
  return spec.kind === 'chain';
}

export function makeOptimizer(spec: TrainOptimizerSpec): TF.Optimizer {
  if (isStageList(spec)) return new ChainOptimizer(chainFromStageList(spec.stages, 'optimizer.stages'));
  if (!isBuiltin(spec)) return createOptimizer(spec);
  loadBackendNow(); // tf.train's optimizers make a tensor when built
  return createBuiltinOptimizer(spec);
}
