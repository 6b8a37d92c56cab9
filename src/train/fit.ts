/**
 * `fit(model, x, y, options)`: model.fit for any compiled tf.LayersModel with one input and one
 * output, on inertia's compiled step (src/graph/verifiedStep.ts): after the first (eager) step and
 * the trace, every training step is one TensorFlow function call that selects the batch, runs
 * the forward pass, the compiled loss and metrics, the regularization losses, the gradients and
 * the optimizer's update (any tf.Optimizer, tf.train's and inertia's chains alike), and writes
 * the variables BatchNormalization's moving statistics included.
 *
 * Same options, callbacks and History as model.fit (epochs, batchSize, shuffle, validationData or
 * validationSplit, callbacks, verbose, initialEpoch), and the same numbers: the objective is
 * model.fit's, the first calls of every function are checked against the eager step from the
 * same state, and a model the trace cannot handle trains eagerly after one warning line naming
 * the layer. Differences: the data order is seeded (`seed`), and validation runs compiled too.
 *
 * There is no separate `compileModel(model)`: compiled functions are kept per process by what
 * they compute (functionRegistry.ts), so a second `fit` of the same model and batch shapes pays
 * one eager step and one recorded step, then calls the function the first `fit` verified.
 */
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../backend.js';
import { defaultCompileMode, type CompileMode } from '../graph/compileMode.js';
import { seededStep, stepSeedTensor } from '../graph/compile.js';
import { traceLayers } from '../graph/traceLayers.js';
import { VerifiedStep, type StepMode } from '../graph/verifiedStep.js';
import { UserError } from '../util/errors.js';
import { checkSeed, deriveSeed, permutation, seededRandom } from '../util/random.js';
import { EpochMeans, epochLine, fitCallbackList, type FitCallbacks, type FitLogs } from './fitCallbacks.js';
import { fitModel, fitStep, validationTotals, type FitModel } from './fitModel.js';
import { verifiedTrainingStep } from './trainingStep.js';

export interface FitOptions {
  /** Epochs to train (default 1). */
  epochs?: number;
  /** Examples per step (default 32); the last batch of an epoch may be smaller. */
  batchSize?: number;
  /** Visit the training examples in a new seeded order every epoch (default true). */
  shuffle?: boolean;
  /**
   * Seed of the data order and of the random layers' draws (default 0): the same seed gives the
   * same batches and the same Dropout masks, eagerly and compiled; every step draws new masks.
   */
  seed?: number;
  /** Held-out (x, y) evaluated after every epoch, as `val_<name>` in the logs. */
  validationData?: [TF.Tensor, TF.Tensor];
  /** Fraction of the examples, the last ones (before any shuffling), held out for validation instead. */
  validationSplit?: number;
  /** tfjs callbacks: { onEpochEnd, onBatchEnd, ... } objects or tf.Callback instances (set `model.stopTraining` to stop). */
  callbacks?: FitCallbacks;
  /** 0: silent; 1 or 2: one line per epoch on stdout (default 1). */
  verbose?: 0 | 1 | 2;
  /** The epoch to start counting from (default 0), to resume a training. */
  initialEpoch?: number;
  /** Compiled steps: `auto` (default, from $INERTIA_COMPILE), `on` (or an error saying why not), `off` (eager). */
  compile?: CompileMode;
}

/** tfjs's History of the epochs (`epoch`, `history`), with how the steps ran. */
export type FitHistory = TF.History & {
  /** Whether the steps ran compiled, and if not why (also said once on stderr). */
  stepMode: StepMode;
};

interface FitData {
  x: TF.Tensor;
  y: TF.Tensor;
  validation: [TF.Tensor, TF.Tensor] | null;
  /** Tensors fit made (the validation split's slices), disposed at the end. */
  owned: TF.Tensor[];
}

interface FitSettings {
  epochs: number;
  batchSize: number;
  shuffle: boolean;
  seed: number;
  verbose: 0 | 1 | 2;
  initialEpoch: number;
  compile: CompileMode;
}

function checkInteger(value: number, name: string, min: number, example: string): number {
  if (!Number.isInteger(value) || value < min) {
    throw new UserError(`fit: invalid ${name} ${value} (expected an integer >= ${min}, e.g. ${name}: ${example})`);
  }
  return value;
}

function settingsOf(options: FitOptions): FitSettings {
  const verbose = options.verbose ?? 1;
  if (![0, 1, 2].includes(verbose)) throw new UserError(`fit: invalid verbose ${verbose} (expected 0, 1 or 2)`);
  return {
    epochs: checkInteger(options.epochs ?? 1, 'epochs', 1, '10'),
    batchSize: checkInteger(options.batchSize ?? 32, 'batchSize', 1, '32'),
    shuffle: options.shuffle ?? true,
    seed: checkSeed(options.seed ?? 0, 'fit seed'),
    verbose,
    initialEpoch: checkInteger(options.initialEpoch ?? 0, 'initialEpoch', 0, '0'),
    compile: options.compile ?? defaultCompileMode(),
  };
}

function checkPair(x: unknown, y: unknown, what: string): [TF.Tensor, TF.Tensor] {
  if (!(x instanceof tf.Tensor) || !(y instanceof tf.Tensor)) {
    throw new UserError(`fit: ${what} must be two tf.Tensors (examples, targets); for several inputs use model.fit`);
  }
  if (x.shape[0] !== y.shape[0] || x.shape[0] === 0) {
    throw new UserError(
      `fit: ${what} have ${x.shape[0]} examples and ${y.shape[0]} targets: give as many targets as examples (at least one)`,
    );
  }
  return [x, y];
}

/** The training tensors and the validation ones (given, or split off the end as model.fit does). */
function dataOf(x: TF.Tensor, y: TF.Tensor, options: FitOptions): FitData {
  checkPair(x, y, 'x and y');
  if (options.validationData !== undefined) {
    const given = options.validationData as unknown[];
    if (!Array.isArray(given) || given.length !== 2) {
      throw new UserError('fit: validationData must be [xValidation, yValidation]');
    }
    return { x, y, validation: checkPair(given[0], given[1], 'validationData'), owned: [] };
  }
  const split = options.validationSplit ?? 0;
  if (!(split >= 0 && split < 1)) {
    throw new UserError(`fit: invalid validationSplit ${split} (expected a fraction from 0 to below 1, e.g. 0.2)`);
  }
  if (split === 0) return { x, y, validation: null, owned: [] };
  const count = x.shape[0];
  const at = Math.floor(count * (1 - split));
  if (at === 0) {
    throw new UserError(
      `fit: validationSplit ${split} of ${count} examples leaves no training examples: choose a smaller split`,
    );
  }
  const owned = [tf.slice(x, 0, at), tf.slice(y, 0, at), tf.slice(x, at), tf.slice(y, at)];
  return { x: owned[0], y: owned[1], validation: [owned[2], owned[3]], owned };
}

/**
 * Trains `model` (compiled with model.compile: optimizer, loss, metrics) on examples `x` and
 * targets `y` as model.fit does, each step a compiled TensorFlow function where the model
 * allows; returns tfjs's History (history.epoch, history.history: loss, metrics, val_*).
 */
export async function fit(
  model: TF.LayersModel,
  x: TF.Tensor,
  y: TF.Tensor,
  options: FitOptions = {},
): Promise<FitHistory> {
  const compiled = fitModel(model);
  const settings = settingsOf(options);
  const data = dataOf(x, y, options);
  try {
    // Random layers draw from the step seed; a layer the trace cannot hold names itself.
    traceLayers(model);
    return await fitLoop(compiled, data, settings, options.callbacks);
  } finally {
    tf.dispose(data.owned);
  }
}

/** Indices 0..count-1 in the epoch's order. */
function epochOrder(count: number, settings: FitSettings, random: () => number): Int32Array {
  if (settings.shuffle) return permutation(count, random);
  return Int32Array.from({ length: count }, (_, i) => i);
}

/** What one fit call trains with: its model, data and settings, steps and callbacks. */
interface FitRun {
  fitted: FitModel;
  data: FitData;
  settings: FitSettings;
  /** The training step: inputs `[rows, x, y, step seed]`, outputs `[loss, ...metrics]`. */
  runner: VerifiedStep;
  validation: VerifiedStep;
  list: TF.CallbackList;
  /** The seed the random layers' per-step seeds derive from, and the steps taken so far. */
  maskSeed: number;
  steps: number;
}

async function fitLoop(
  fitted: FitModel,
  data: FitData,
  settings: FitSettings,
  callbacks: FitCallbacks,
): Promise<FitHistory> {
  const { model, names } = fitted;
  const { list, history } = fitCallbackList(callbacks);
  const run: FitRun = {
    fitted,
    data,
    settings,
    list,
    runner: verifiedTrainingStep(
      seededStep(
        fitStep(
          fitted,
          model.trainableWeights.map((weight) => weight.read() as TF.Variable),
        ),
      ),
      fitted.optimizer,
      settings.compile,
    ),
    validation: new VerifiedStep(([vx, vy]) => [validationTotals(fitted, vx, vy, settings.batchSize)], {
      mode: settings.compile,
      check: 'exact',
    }),
    maskSeed: deriveSeed(settings.seed, 'fit masks'),
    // A resumed training (initialEpoch) goes on with the steps' seeds where it stopped.
    steps: settings.initialEpoch * Math.ceil(data.x.shape[0] / settings.batchSize),
  };
  const count = data.x.shape[0];
  const random = seededRandom(deriveSeed(settings.seed, 'fit data order'));
  list.setModel(model);
  list.setParams({
    epochs: settings.epochs,
    initialEpoch: settings.initialEpoch,
    samples: count,
    steps: Math.ceil(count / settings.batchSize),
    batchSize: settings.batchSize,
    verbose: settings.verbose,
    doValidation: data.validation !== null,
    metrics: data.validation === null ? names : [...names, ...names.map((name) => `val_${name}`)],
  });
  try {
    await list.onTrainBegin();
    model.stopTraining = false;
    for (let epoch = settings.initialEpoch; epoch < settings.epochs && !model.stopTraining; epoch++) {
      await trainEpoch(run, epoch, epochOrder(count, settings, random));
    }
    await list.onTrainEnd();
    await history.syncData();
    return Object.assign(history, { stepMode: run.runner.mode });
  } finally {
    run.runner.dispose();
    run.validation.dispose();
  }
}

/** One epoch: the batches of `order`, then validation, the epoch's callbacks and its verbose line. */
async function trainEpoch(run: FitRun, epoch: number, order: Int32Array): Promise<void> {
  const { fitted, list, settings } = run;
  await list.onEpochBegin(epoch);
  const start = performance.now();
  const means = new EpochMeans();
  for (let batch = 0, first = 0; first < order.length && !fitted.model.stopTraining; batch++) {
    const rows = order.subarray(first, Math.min(first + settings.batchSize, order.length));
    first += rows.length;
    await list.onBatchBegin(batch, { batch, size: rows.length });
    const logs = batchLogs(run, rows);
    means.add(logs, rows.length);
    await list.onBatchEnd(batch, { batch, size: rows.length, ...logs });
  }
  const seconds = (performance.now() - start) / 1000;
  const logs = { ...means.means(), ...validationLogs(run) };
  await list.onEpochEnd(epoch, logs);
  if (settings.verbose > 0) {
    const steps = run.runner.mode.compiled ? 'compiled steps' : 'eager steps';
    process.stdout.write(`${epochLine(epoch + 1, settings.epochs, seconds, order.length, steps, logs)}\n`);
  }
}

/** One training step on the examples `rows`; its loss and metrics read back. */
function batchLogs(run: FitRun, rows: Int32Array): FitLogs {
  const { runner, data, fitted } = run;
  const step = run.steps++;
  const values = tf.tidy(() => {
    // Disposed here: the metrics were kept (tf.keep) through the step's gradient scope.
    const seed = stepSeedTensor(run.maskSeed, step);
    const outputs = runner.run([tf.tensor1d(rows, 'int32'), data.x, data.y, seed]);
    const values = outputs.map((output) => output.dataSync()[0]);
    tf.dispose(outputs);
    return values;
  });
  return Object.fromEntries(fitted.names.map((name, i) => [name, values[i]]));
}

/** The validation set's loss and metrics as `val_<name>`, or nothing without validation data. */
function validationLogs({ validation, data, fitted }: FitRun): FitLogs {
  if (data.validation === null) return {};
  const values = tf.tidy(() => Array.from(validation.run(data.validation as TF.Tensor[])[0].dataSync()));
  return Object.fromEntries(fitted.names.map((name, i) => [`val_${name}`, values[i]]));
}
