/**
 * Which examples a run trains on and which held-out split it evaluates on. Without a
 * validation split: the (limited) training split, evaluated on the test split. With one: a
 * seeded, stratified validation split is carved from the (limited) training split; the run
 * trains on the rest and evaluates either on the validation split (for choosing
 * hyperparameters: the test split is then never loaded) or on the test split (final numbers,
 * trained on exactly the same examples). Last, the pixels are scaled as `inputs` says, with
 * statistics from the examples the run trains on (data/inputs.ts).
 */
import { scaleInputs, takeFirst, type Dataset, type InputScaling, type Split } from '../data/index.js';
import { checkLimit, gather, stratifiedSplit } from '../data/split.js';
import { UserError } from '../util/errors.js';

export const HELD_OUT_SPLITS = ['test', 'validation'] as const;
export type HeldOutName = (typeof HELD_OUT_SPLITS)[number];

export interface ValidationConfig {
  /** Examples carved from the training split, stratified by class. */
  size: number;
  /** Seed of the carve (independent of the run's seed, so every run of a study carves the same split). */
  seed: number;
  /** The split the run evaluates on. */
  evaluate: HeldOutName;
}

/** Seed of the validation carve: the same split for every run of a study or a sweep. */
export const VALIDATION_SEED = 7;

/**
 * Final runs (on the test split) of a study or a sweep use seeds FINAL_SEED_OFFSET + s, where
 * the runs that choose use seeds s below it: no reported number comes from a seed that chose.
 */
export const FINAL_SEED_OFFSET = 100;

/**
 * `--validation-size N` of train and sweep: N training examples carved with that fixed
 * seed (the same examples for every run) and evaluated on instead of the test split.
 */
export function validationOf(size: number | undefined): ValidationConfig | undefined {
  return size === undefined ? undefined : { size, seed: VALIDATION_SEED, evaluate: 'validation' };
}

export interface RunSplits {
  train: Split;
  heldOut: Split;
  heldOutName: HeldOutName;
}

function carve(train: Split, validation: ValidationConfig): { rest: Split; validation: Split } {
  if (!Number.isInteger(validation.size) || validation.size < 1 || validation.size >= train.count) {
    throw new UserError(
      `Invalid validation size: ${validation.size} (expected an integer from 1 to ${train.count - 1}, the training examples available)`,
    );
  }
  if (!(HELD_OUT_SPLITS as readonly string[]).includes(validation.evaluate)) {
    throw new UserError(
      `Invalid validation evaluate value: ${JSON.stringify(validation.evaluate)} (expected one of: ${HELD_OUT_SPLITS.join(', ')})`,
    );
  }
  const indices = stratifiedSplit(train.labels, train.count - validation.size, validation.seed);
  return {
    rest: gather(train.images, train.labels, indices.train),
    validation: gather(train.images, train.labels, indices.test),
  };
}

type SplitsConfig = {
  trainLimit?: number;
  testLimit?: number;
  validation?: ValidationConfig;
  /** Pixel scaling (default unit: [0, 1] as loaded). */
  inputs?: InputScaling;
};

/**
 * Splits already made, by the dataset's split objects and the settings: every run of a sweep
 * carves the same validation split (a fixed seed), and a worker process trains hundreds of
 * runs on one dataset in memory. The splits are read-only, so runs can share them.
 */
const madeSplits = new WeakMap<Split, WeakMap<Split, Map<string, RunSplits>>>();

/**
 * The run's splits of `dataset`. A limit larger than the split it limits is an error, never
 * silently cut to the split's size (the config would record a number the run did not use).
 * The same dataset and settings give the same (shared, read-only) split objects.
 */
export function runSplits(dataset: Pick<Dataset, 'name' | 'train' | 'test'>, config: SplitsConfig): RunSplits {
  const byTest = madeSplits.get(dataset.train) ?? new WeakMap<Split, Map<string, RunSplits>>();
  madeSplits.set(dataset.train, byTest);
  const made = byTest.get(dataset.test) ?? new Map<string, RunSplits>();
  byTest.set(dataset.test, made);
  const { trainLimit, testLimit, validation, inputs } = config;
  const key = JSON.stringify([
    dataset.name,
    trainLimit,
    testLimit,
    validation && [validation.size, validation.seed, validation.evaluate],
    inputs ?? 'unit',
  ]);
  let splits = made.get(key);
  if (splits === undefined) {
    splits = makeSplits(dataset, config);
    made.set(key, splits);
  }
  return splits;
}

function makeSplits(dataset: Pick<Dataset, 'name' | 'train' | 'test'>, config: SplitsConfig): RunSplits {
  const { train, heldOut, heldOutName } = unscaledSplits(dataset, config);
  return { ...scaleInputs(config.inputs ?? 'unit', train, heldOut), heldOutName };
}

function unscaledSplits(dataset: Pick<Dataset, 'name' | 'train' | 'test'>, config: SplitsConfig): RunSplits {
  const train = takeFirst(
    dataset.train,
    checkLimit(config.trainLimit, 'trainLimit', dataset.train.count, dataset.name),
  );
  const test = () =>
    takeFirst(dataset.test, checkLimit(config.testLimit, 'testLimit', dataset.test.count, dataset.name));
  if (config.validation === undefined) return { train, heldOut: test(), heldOutName: 'test' };
  const { rest, validation } = carve(train, config.validation);
  return config.validation.evaluate === 'validation'
    ? { train: rest, heldOut: validation, heldOutName: 'validation' }
    : { train: rest, heldOut: test(), heldOutName: 'test' };
}

/** The split a run with this validation config evaluates on (its `heldOut`). */
export function heldOutNameOf(validation: ValidationConfig | undefined): HeldOutName {
  return validation?.evaluate === 'validation' ? 'validation' : 'test';
}
