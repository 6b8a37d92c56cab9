/**
 * The training fields of `inertia train` and `inertia sweep`, declared once. Each row is a flag:
 * the TrainConfig field it sets (a dotted path, or null for flags that shape the run without a
 * config field of their own), the kind of its value, its `train` option (type, choices, default,
 * help) and, for the fields a sweep can list, the help of the sweep's list flag and the name a
 * run id gives it. From this table come the options of both commands, the fields of a sweep's
 * grid, and {@link configFromFields}, the config that the values of these flags describe (for
 * train's flags, the grid's runs and the `--config` merge alike).
 *
 * The row order is the order of the help texts and of a grid's fields (run ids name the fields
 * that vary in this order; summary.csv has a column per grid field in this order).
 * No TensorFlow.js here: the CLI reads the table before the backend starts.
 */
import { DATASET_NAMES } from '../data/types.js';
import { INPUT_SCALINGS } from '../data/inputs.js';
import { INIT_KINDS, MODEL_KINDS } from '../models/kinds.js';
import { BUILTIN_OPTIMIZER_KINDS, KIND_DEFAULTS, OPTIMIZER_KINDS, type OptimizerField } from '../optimizers/kinds.js';
import { SCHEDULE_KINDS } from '../optimizers/scheduleFlags.js';
import { integerOption, integerOptionWithDefault } from '../util/integerFlag.js';
import { UserError } from '../util/errors.js';
import { CHECKPOINT_MODES, LOSS_KINDS, REDUCTIONS, TRAIN_DEFAULTS } from './defaults.js';
import { parseEarlyStop } from './earlyStop.js';
import { validationOf } from './heldOut.js';

/**
 * What a flag's value is: a number, an integer (parsed from its text), one of its choices,
 * layer sizes ("256,128"), free text, a switch, or a file its command reads (the file's content
 * is the config field: `--optimizer-spec`).
 */
export type FieldValue = 'number' | 'integer' | 'choice' | 'sizes' | 'text' | 'switch' | 'file';

/** How `inertia sweep` lists a field: one value per run, crossed with the other fields. */
export interface GridSpec {
  /** Help of the sweep's flag (a comma-separated list). */
  readonly describe: string;
  /** The name before the value in run ids (`lr0.1`); absent: the value alone (`mlp`). */
  readonly id?: string;
  /** A grid that does not list the field lists its `train` default (every run records it). */
  readonly listsDefault?: boolean;
}

export interface TrainField {
  /** The TrainConfig field the flag sets (dotted), or null. */
  readonly path: string | null;
  readonly value: FieldValue;
  /** The option of `inertia train` (a yargs option). */
  readonly option: {
    readonly type?: 'string' | 'number' | 'boolean';
    readonly describe: string;
    readonly default?: string | number | boolean;
    readonly choices?: readonly string[];
    readonly requiresArg?: boolean;
    readonly coerce?: (value: unknown) => unknown;
  };
  /** The config value of the flag's value, where it is not the value itself. */
  readonly toConfig?: (value: never) => unknown;
  /** Set for the fields a sweep lists. */
  readonly grid?: GridSpec;
  /** Set for a field a sweep takes as one value for every run, not a list (its own option). */
  readonly sweep?: { readonly type: 'string'; readonly describe: string };
}

/** "adam: default 0.9, prodigy: default 0.9": the kinds with a default for `field`. */
function defaultsOf(field: OptimizerField): string {
  const kinds = OPTIMIZER_KINDS.filter((kind) => KIND_DEFAULTS[kind][field] !== undefined);
  return kinds.map((kind) => `${kind}: default ${KIND_DEFAULTS[kind][field]}`).join(', ');
}

/** "256,128" -> [256, 128]: the mlp's hidden layer sizes. */
export function parseHidden(text: string): number[] {
  const sizes = text.split(',').map((part) => Number(part.trim()));
  if (sizes.length === 0 || sizes.some((size) => !Number.isInteger(size) || size <= 0)) {
    throw new UserError(
      `Invalid --hidden value: ${JSON.stringify(text)} (expected positive integers separated by commas, e.g. 256,128)`,
    );
  }
  return sizes;
}

/** An optimizer hyperparameter that a number sets: train's option and the sweep's list flag. */
function optimizerNumber<const F extends OptimizerField>(field: F, describe: string, grid: GridSpec) {
  return { path: `optimizer.${field}`, value: 'number', option: { type: 'number', describe }, grid } as const;
}

/** {@link optimizerNumber} for an integer hyperparameter (parsed from its text). */
function optimizerInteger<const F extends OptimizerField>(field: F, flag: string, describe: string, grid: GridSpec) {
  return { path: `optimizer.${field}`, value: 'integer', option: integerOption(flag, describe), grid } as const;
}

/** A schedule parameter: it reshapes the learning rate after the config is merged, so it has no path. */
function scheduleInteger(flag: string, describe: string) {
  return { path: null, value: 'integer', option: integerOption(flag, describe) } as const;
}

export const TRAIN_FIELDS = {
  dataset: {
    path: 'dataset',
    value: 'choice',
    option: {
      choices: DATASET_NAMES,
      default: TRAIN_DEFAULTS.dataset,
      describe: 'Dataset (fashion-mnist and mnist need their IDX files: see datasets/README.md)',
    },
    grid: { describe: 'Datasets, comma-separated (default mnist-digits)', listsDefault: true },
  },
  'data-dir': {
    path: 'dataDir',
    value: 'text',
    option: {
      type: 'string',
      describe: 'Folder with the IDX files (default: $INERTIA_DATA_DIR, datasets/<name>/, then system locations)',
    },
    sweep: {
      type: 'string',
      describe:
        'Folder with the IDX files, for local runs (default: $INERTIA_DATA_DIR, datasets/<name>/, then system locations)',
    },
  },
  inputs: {
    path: 'inputs',
    value: 'choice',
    option: {
      choices: INPUT_SCALINGS,
      describe: 'Pixels: unit [0, 1], standardized per pixel (training-split mean and sd), or raw 0-255 (default unit)',
    },
    grid: { describe: 'Pixel scalings: unit, standardized, raw (default unit)' },
  },
  model: {
    path: 'model',
    value: 'choice',
    option: { choices: MODEL_KINDS, default: TRAIN_DEFAULTS.model, describe: 'Model' },
    grid: { describe: `Models: ${MODEL_KINDS.join(', ')} (default mlp)`, listsDefault: true },
  },
  hidden: {
    path: 'hidden',
    value: 'sizes',
    option: { type: 'string', describe: 'Hidden layer sizes of the mlp, comma-separated (default 256,128)' },
    toConfig: parseHidden,
    grid: { describe: 'Hidden layer sizes of the mlp, e.g. 256,128 (one setting; several in a grid file)', id: 'h' },
  },
  init: {
    path: 'init',
    value: 'choice',
    option: {
      choices: INIT_KINDS,
      describe: 'Kernel initialisation: Glorot-uniform, He-uniform, or Glorot-uniform x 0.1 (default glorot)',
    },
    grid: { describe: 'Kernel initialisations: glorot, he, glorot-0.1 (default glorot)' },
  },
  optimizer: {
    path: 'optimizer.kind',
    value: 'choice',
    option: {
      choices: [...OPTIMIZER_KINDS, ...BUILTIN_OPTIMIZER_KINDS],
      default: 'heavy-ball',
      describe: 'Optimizer: an inertia kind, or builtin-* for tf.train.sgd/momentum',
    },
    grid: { describe: 'Optimizer kinds, comma-separated, e.g. heavy-ball,sgd,adam' },
  },
  lr: optimizerNumber(
    'learningRate',
    `Learning rate alpha (required for sgd and the momentum kinds except no-lr-momentum and ema-debiased, which refuse one; rprop: its initial step size; ${defaultsOf('learningRate')})`,
    { describe: 'Learning rates, e.g. 0.01,0.03,0.1 (rprop: initial step sizes)', id: 'lr' },
  ),
  momentum: optimizerNumber('momentum', 'Momentum mu / EMA decay beta (required for the momentum kinds)', {
    describe: 'Momenta (kinds that take momentum only)',
    id: 'mu',
  }),
  'gradient-steps': optimizerInteger(
    'gradientSteps',
    'gradient-steps',
    'pure-momentum: number of steps that feed the gradient in (default 1)',
    { describe: 'pure-momentum: steps that feed the gradient in', id: 'k' },
  ),
  beta1: optimizerNumber('beta1', `First-moment decay, 0 <= beta1 < 1 (${defaultsOf('beta1')})`, {
    describe: 'adam, prodigy, dadapt-adamw: first-moment decays',
  }),
  beta2: optimizerNumber('beta2', `Second-moment decay, 0 <= beta2 < 1 (${defaultsOf('beta2')})`, {
    describe: 'adam, prodigy, dadapt-adamw: second-moment decays',
  }),
  epsilon: optimizerNumber('epsilon', `Added to the denominator, >= 0 (${defaultsOf('epsilon')})`, {
    describe: 'adam, rmsprop, polyak, prodigy, adadelta, dog, dowg, cocob, dadapt-adamw, mechanic: epsilons',
  }),
  decay: optimizerNumber('decay', `Squared-gradient average decay, 0 <= decay < 1 (${defaultsOf('decay')})`, {
    describe: 'rmsprop: decays',
  }),
  'max-lr': optimizerNumber('maxLearningRate', `Largest Polyak step size, > 0 (${defaultsOf('maxLearningRate')})`, {
    describe: 'polyak: largest step sizes',
  }),
  'f-min': optimizerNumber('fMin', `Lower bound of the loss in the Polyak step (${defaultsOf('fMin')})`, {
    describe: 'polyak: loss lower bounds',
  }),
  d0: optimizerNumber('d0', `First estimate of the distance d, > 0 (${defaultsOf('d0')})`, {
    describe: 'prodigy, dadapt-adamw: initial distance estimates',
  }),
  rho: optimizerNumber('rho', `Adadelta's decay of its averages, 0 <= rho < 1 (${defaultsOf('rho')})`, {
    describe: 'adadelta: decays of its averages',
    id: 'rho',
  }),
  'eta-minus': optimizerNumber(
    'etaMinus',
    `Rprop's step factor when the gradient changes sign, 0 < eta < 1 (${defaultsOf('etaMinus')})`,
    { describe: 'rprop: step factors when the gradient changes sign', id: 'etaminus' },
  ),
  'eta-plus': optimizerNumber(
    'etaPlus',
    `Rprop's step factor when the gradient keeps its sign, > 1 (${defaultsOf('etaPlus')})`,
    { describe: 'rprop: step factors when the gradient keeps its sign', id: 'etaplus' },
  ),
  'min-step': optimizerNumber('minStep', `Rprop's smallest step size, >= 0 (${defaultsOf('minStep')})`, {
    describe: 'rprop: smallest step sizes',
    id: 'minstep',
  }),
  'max-step': optimizerNumber('maxStep', `Rprop's largest step size, >= --min-step (${defaultsOf('maxStep')})`, {
    describe: 'rprop: largest step sizes',
    id: 'maxstep',
  }),
  'r-epsilon': optimizerNumber(
    'rEpsilon',
    `DoG's first distance is r-epsilon * (1 + |x0|), > 0 (${defaultsOf('rEpsilon')})`,
    { describe: 'dog: initial distance factors', id: 'reps' },
  ),
  'init-sq-dist': optimizerNumber(
    'initSqDist',
    "DoWG's first estimate of the squared distance to the solution, > 0 (dowg: default its epsilon)",
    { describe: 'dowg: initial squared-distance estimates', id: 'sqdist' },
  ),
  alpha: optimizerNumber('alpha', `COCOB's fraction-to-bet parameter, > 0 (${defaultsOf('alpha')})`, {
    describe: 'cocob: fraction-to-bet parameters',
    id: 'alpha',
  }),
  'base-lr': optimizerNumber(
    'baseLearningRate',
    `Rate of the heavy-ball that Mechanic scales, > 0 (${defaultsOf('baseLearningRate')})`,
    { describe: 'mechanic: rates of the base heavy-ball', id: 'baselr' },
  ),
  'base-momentum': optimizerNumber(
    'baseMomentum',
    `Momentum of the heavy-ball that Mechanic scales, 0 <= mu < 1, 0 for plain sgd (${defaultsOf('baseMomentum')})`,
    { describe: 'mechanic: momenta of the base heavy-ball', id: 'basemu' },
  ),
  'weight-decay': optimizerNumber('weightDecay', `Mechanic's own weight decay, >= 0 (${defaultsOf('weightDecay')})`, {
    describe: "mechanic: Mechanic's weight decays",
    id: 'wd',
  }),
  's-init': optimizerNumber('sInit', `Mechanic's initial scale, > 0 (${defaultsOf('sInit')})`, {
    describe: 'mechanic: initial scales',
    id: 'sinit',
  }),
  'num-betas': optimizerInteger(
    'numBetas',
    'num-betas',
    `Number of Mechanic's betas 1 - 0.1^i (${defaultsOf('numBetas')})`,
    { describe: 'mechanic: numbers of betas', id: 'nbetas' },
  ),
  beta: optimizerNumber(
    'beta',
    `Momo's averaging decay, 0 <= beta < 1, or schedule-free's interpolation, 0 < beta < 1 (${defaultsOf('beta')})`,
    { describe: 'momo: averaging decays; schedule-free: interpolations', id: 'beta' },
  ),
  'lower-bound': optimizerNumber('lowerBound', `Lower bound of the loss in Momo's step (${defaultsOf('lowerBound')})`, {
    describe: 'momo: loss lower bounds',
    id: 'flow',
  }),
  'weight-lr-power': optimizerNumber(
    'weightLrPower',
    `Schedule-free's average weights each step by (largest rate so far)^power (${defaultsOf('weightLrPower')})`,
    { describe: 'schedule-free: averaging weight powers', id: 'wpow' },
  ),
  schedule: {
    path: null,
    value: 'choice',
    option: {
      choices: SCHEDULE_KINDS,
      describe:
        'Learning-rate schedule around --lr (the peak rate): cosine-decay, warmup-cosine, linear-warmup, exponential-decay or step-decay',
    },
  },
  'warmup-steps': scheduleInteger('warmup-steps', 'warmup-cosine, linear-warmup: steps from 0 up to --lr'),
  'decay-steps': scheduleInteger(
    'decay-steps',
    'cosine-decay, warmup-cosine: steps of the decay (warmup included); exponential-decay, step-decay: steps per factor --decay-rate',
  ),
  'end-lr': {
    path: null,
    value: 'number',
    option: {
      type: 'number',
      describe: 'cosine-decay, warmup-cosine: final rate (default 0); exponential-decay, step-decay: the floor',
    },
  },
  'decay-rate': {
    path: null,
    value: 'number',
    option: { type: 'number', describe: 'exponential-decay, step-decay: factor per --decay-steps steps, > 0' },
  },
  'optimizer-spec': {
    path: 'optimizer',
    value: 'file',
    option: {
      type: 'string',
      describe:
        'A JSON file with a list of stage configs (e.g. [{"name": "clipByGlobalNorm", "maxNorm": 1}, {"name": "scaleByAdam"}, {"name": "scaleByLearningRate", "learningRate": 0.001}]) to train with instead of --optimizer',
    },
  },
  epochs: {
    path: 'epochs',
    value: 'integer',
    option: integerOptionWithDefault('epochs', 'Epochs', TRAIN_DEFAULTS.epochs),
    grid: { describe: 'Epochs (default 5)', id: 'ep', listsDefault: true },
  },
  'batch-size': {
    path: 'batchSize',
    value: 'integer',
    option: integerOptionWithDefault('batch-size', 'Minibatch size', TRAIN_DEFAULTS.batchSize),
    grid: { describe: 'Minibatch sizes (default 128)', id: 'bs', listsDefault: true },
  },
  seed: {
    path: 'seed',
    value: 'integer',
    option: integerOptionWithDefault('seed', 'Seed of the initial weights and the data order', TRAIN_DEFAULTS.seed),
  },
  'loss-scale': {
    path: 'lossScale',
    value: 'number',
    option: {
      type: 'number',
      default: TRAIN_DEFAULTS.lossScale,
      describe: 'Multiply the loss by this before differentiating',
    },
    grid: { describe: 'Loss scales (default 1)', id: 's', listsDefault: true },
  },
  loss: {
    path: 'loss',
    value: 'choice',
    option: {
      choices: LOSS_KINDS,
      default: TRAIN_DEFAULTS.loss,
      describe: 'Training loss on the logits: softmax cross-entropy, or squared error against one-hot labels',
    },
    grid: { describe: 'Training losses: cross-entropy, mse (default cross-entropy)' },
  },
  reduction: {
    path: 'reduction',
    value: 'choice',
    option: {
      choices: REDUCTIONS,
      default: TRAIN_DEFAULTS.reduction,
      describe: 'Combine a minibatch by the mean or the sum (= mean x batch size) of per-example losses',
    },
    grid: { describe: 'Minibatch reductions: mean, sum (default mean)' },
  },
  'label-smoothing': {
    path: 'labelSmoothing',
    value: 'number',
    option: {
      type: 'number',
      describe: 'Cross-entropy against (1 - e) one-hot + e / classes, 0 <= e < 1, as Keras (default 0)',
    },
    grid: { describe: 'Label smoothing of the cross-entropy, 0 <= e < 1 (default 0)', id: 'ls' },
  },
  keras: {
    path: 'mode',
    value: 'switch',
    option: {
      type: 'boolean',
      default: false,
      describe: 'Train with model.fit instead of the custom loop (parity checks)',
    },
    toConfig: (keras: boolean) => (keras ? 'keras' : 'custom'),
  },
  'train-limit': {
    path: 'trainLimit',
    value: 'integer',
    option: integerOption('train-limit', 'Use only the first N training examples (at most the split size)'),
    grid: { describe: 'Use only the first N training examples', id: 'ntrain' },
  },
  'test-limit': {
    path: 'testLimit',
    value: 'integer',
    option: integerOption('test-limit', 'Use only the first N test examples (at most the split size)'),
    grid: { describe: 'Use only the first N test examples', id: 'ntest' },
  },
  'max-steps': {
    path: 'maxSteps',
    value: 'integer',
    option: integerOption('max-steps', 'Stop after this many optimizer steps'),
    grid: { describe: 'Stop each run after this many optimizer steps', id: 'steps' },
  },
  'validation-size': {
    path: 'validation',
    value: 'integer',
    option: integerOption(
      'validation-size',
      'Hold N training examples out (stratified, the fixed seed sweeps and the study use), train on the rest and evaluate on them instead of the test split',
    ),
    toConfig: validationOf,
  },
  'log-every': {
    path: 'logEvery',
    value: 'integer',
    option: integerOptionWithDefault(
      'log-every',
      'Steps between minibatch-loss reads and divergence checks',
      TRAIN_DEFAULTS.logEvery,
    ),
  },
  'norm-every': {
    path: 'normEvery',
    value: 'integer',
    option: integerOptionWithDefault(
      'norm-every',
      'Steps between gradient/update/velocity norm measurements (0: off)',
      TRAIN_DEFAULTS.normEvery,
    ),
  },
  checkpoint: {
    path: 'checkpoint',
    value: 'choice',
    option: {
      choices: CHECKPOINT_MODES,
      describe:
        "Write the weights and the optimizer state after each epoch into the run folder (checkpoints/epoch-<n>/) and keep every epoch's, the best (by --early-stop's metric, else the held-out loss) or the last; such a run can be resumed (--resume)",
    },
    grid: { describe: 'Checkpoints of every run: every-epoch, best or last (default none)', id: 'ckpt' },
  },
  'early-stop': {
    path: 'earlyStop',
    value: 'text',
    option: {
      type: 'string',
      describe:
        'Stop when a per-epoch metric has not improved for N epochs, as <split>/<metric>:N (e.g. validation/loss:3; lower is better for a loss, higher for an accuracy)',
    },
    toConfig: parseEarlyStop,
  },
} as const satisfies Record<string, TrainField>;

export type TrainFieldFlag = keyof typeof TRAIN_FIELDS;

type Fields = typeof TRAIN_FIELDS;

/** Every flag of the table, in its order. */
export const TRAIN_FIELD_FLAGS = Object.keys(TRAIN_FIELDS) as TrainFieldFlag[];

/** The rows as (flag, row) pairs, typed as rows of the table. */
function rows(): [TrainFieldFlag, TrainField][] {
  return Object.entries(TRAIN_FIELDS) as [TrainFieldFlag, TrainField][];
}

/** The options of `inertia train` for the fields (the command adds its own flags around them). */
export const trainFieldOptions = Object.fromEntries(rows().map(([flag, field]) => [flag, field.option])) as {
  -readonly [K in TrainFieldFlag]: Fields[K]['option'];
};

/** The flags a sweep lists, in the table's order. */
export type GridField = { [K in TrainFieldFlag]: Fields[K] extends { grid: GridSpec } ? K : never }[TrainFieldFlag];

/** The options of `inertia sweep` for the fields: a comma-separated list per grid field, one value for the others. */
type SweepFieldOptions = {
  -readonly [
    K in TrainFieldFlag as Fields[K] extends { grid: GridSpec } | { sweep: object } ? K : never
  ]: Fields[K] extends {
    sweep: infer S;
  }
    ? S
    : { readonly type: 'string'; readonly describe: string };
};

export const sweepFieldOptions = Object.fromEntries(
  rows().flatMap(([flag, field]) => {
    if (field.sweep !== undefined) return [[flag, field.sweep]];
    return field.grid === undefined ? [] : [[flag, { type: 'string', describe: field.grid.describe }]];
  }),
) as SweepFieldOptions;

/** The optimizer hyperparameter each flag sets (`lr` -> learningRate), in the table's order. */
export const OPTIMIZER_FLAG_FIELDS = Object.fromEntries(
  rows().flatMap(([flag, field]) =>
    field.path?.startsWith('optimizer.') && flag !== 'optimizer' ? [[flag, field.path.slice('optimizer.'.length)]] : [],
  ),
) as Readonly<Record<string, OptimizerField>>;

function setPath(object: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  const parent = keys
    .slice(0, -1)
    .reduce((inner, key) => (inner[key] = { ...(inner[key] as Record<string, unknown>) }), object);
  if (value === undefined) delete parent[keys.at(-1)!];
  else parent[keys.at(-1)!] = value;
}

/** The value at a dotted path (`optimizer.learningRate`), or undefined. */
export function getPath(object: object, dotted: string): unknown {
  return dotted
    .split('.')
    .reduce<unknown>((inner, key) => (inner as Record<string, unknown> | undefined)?.[key], object);
}

/** `target` with the value at `dotted` taken from `source` (removed where `source` has none). */
export function copyPath(target: Record<string, unknown>, source: object, dotted: string): void {
  setPath(target, dotted, getPath(source, dotted));
}

/**
 * The config fields that flag values describe (train's parsed flags, or one run's grid
 * settings): each value given goes to its row's path, through the row's `toConfig`. Files
 * (`--optimizer-spec`) are read by their command; flags without a path are left out.
 */
export function configFromFields(values: Partial<Record<TrainFieldFlag, unknown>>): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const [flag, field] of rows()) {
    const value = values[flag];
    if (value === undefined || field.path === null || field.value === 'file') continue;
    const toConfig = field.toConfig as ((value: unknown) => unknown) | undefined;
    setPath(config, field.path, toConfig === undefined ? value : toConfig(value));
  }
  return config;
}
