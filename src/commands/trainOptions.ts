/** The options of `inertia train`, with their defaults (yargs infers the argument types). */
import type { InferredOptionTypes } from 'yargs';
import { jsonOption } from './output.js';
import { DATASET_NAMES } from '../data/types.js';
import { INIT_KINDS, MODEL_KINDS } from '../models/kinds.js';
import { INPUT_SCALINGS } from '../data/inputs.js';
import { BUILTIN_OPTIMIZER_KINDS, KIND_DEFAULTS, OPTIMIZER_KINDS, type OptimizerField } from '../optimizers/kinds.js';
import { CHECKPOINT_MODES, LOSS_KINDS, REDUCTIONS, TRAIN_DEFAULTS } from '../train/defaults.js';
import { compileOption } from './compileOption.js';
import { labelOptions } from './labelOptions.js';
import { SCHEDULE_KINDS } from '../optimizers/scheduleFlags.js';
import { integerOption, integerOptionWithDefault } from './integerFlag.js';

/** "adam: default 0.9, prodigy: default 0.9": the kinds with a default for `field`. */
function defaultsOf(field: OptimizerField): string {
  const kinds = OPTIMIZER_KINDS.filter((kind) => KIND_DEFAULTS[kind][field] !== undefined);
  return kinds.map((kind) => `${kind}: default ${KIND_DEFAULTS[kind][field]}`).join(', ');
}

export const trainOptions = {
  config: {
    type: 'string',
    describe: "A run's config.json to train again; flags given with it override its fields",
  },
  dataset: {
    choices: DATASET_NAMES,
    default: TRAIN_DEFAULTS.dataset,
    describe: 'Dataset (fashion-mnist and mnist need their IDX files: see datasets/README.md)',
  },
  'data-dir': {
    type: 'string',
    describe: 'Folder with the IDX files (default: $INERTIA_DATA_DIR, datasets/<name>/, then system locations)',
  },
  model: { choices: MODEL_KINDS, default: TRAIN_DEFAULTS.model, describe: 'Model' },
  hidden: { type: 'string', describe: 'Hidden layer sizes of the mlp, comma-separated (default 256,128)' },
  init: {
    choices: INIT_KINDS,
    describe: 'Kernel initialisation: Glorot-uniform, He-uniform, or Glorot-uniform x 0.1 (default glorot)',
  },
  inputs: {
    choices: INPUT_SCALINGS,
    describe: 'Pixels: unit [0, 1], standardized per pixel (training-split mean and sd), or raw 0-255 (default unit)',
  },
  optimizer: {
    choices: [...OPTIMIZER_KINDS, ...BUILTIN_OPTIMIZER_KINDS],
    default: 'heavy-ball',
    describe: 'Optimizer: an inertia kind, or builtin-* for tf.train.sgd/momentum',
  },
  lr: {
    type: 'number',
    describe: `Learning rate alpha (required for sgd and the momentum kinds except no-lr-momentum and ema-debiased, which refuse one; rprop: its initial step size; ${defaultsOf('learningRate')})`,
  },
  momentum: { type: 'number', describe: 'Momentum mu / EMA decay beta (required for the momentum kinds)' },
  'gradient-steps': integerOption(
    'gradient-steps',
    'pure-momentum: number of steps that feed the gradient in (default 1)',
  ),
  beta1: { type: 'number', describe: `First-moment decay, 0 <= beta1 < 1 (${defaultsOf('beta1')})` },
  beta2: { type: 'number', describe: `Second-moment decay, 0 <= beta2 < 1 (${defaultsOf('beta2')})` },
  epsilon: { type: 'number', describe: `Added to the denominator, >= 0 (${defaultsOf('epsilon')})` },
  decay: { type: 'number', describe: `Squared-gradient average decay, 0 <= decay < 1 (${defaultsOf('decay')})` },
  'max-lr': { type: 'number', describe: `Largest Polyak step size, > 0 (${defaultsOf('maxLearningRate')})` },
  'f-min': { type: 'number', describe: `Lower bound of the loss in the Polyak step (${defaultsOf('fMin')})` },
  d0: { type: 'number', describe: `First estimate of the distance d, > 0 (${defaultsOf('d0')})` },
  rho: { type: 'number', describe: `Adadelta's decay of its averages, 0 <= rho < 1 (${defaultsOf('rho')})` },
  'eta-minus': {
    type: 'number',
    describe: `Rprop's step factor when the gradient changes sign, 0 < eta < 1 (${defaultsOf('etaMinus')})`,
  },
  'eta-plus': {
    type: 'number',
    describe: `Rprop's step factor when the gradient keeps its sign, > 1 (${defaultsOf('etaPlus')})`,
  },
  'min-step': { type: 'number', describe: `Rprop's smallest step size, >= 0 (${defaultsOf('minStep')})` },
  'max-step': { type: 'number', describe: `Rprop's largest step size, >= --min-step (${defaultsOf('maxStep')})` },
  'r-epsilon': {
    type: 'number',
    describe: `DoG's first distance is r-epsilon * (1 + |x0|), > 0 (${defaultsOf('rEpsilon')})`,
  },
  'init-sq-dist': {
    type: 'number',
    describe: "DoWG's first estimate of the squared distance to the solution, > 0 (dowg: default its epsilon)",
  },
  alpha: { type: 'number', describe: `COCOB's fraction-to-bet parameter, > 0 (${defaultsOf('alpha')})` },
  'base-lr': {
    type: 'number',
    describe: `Rate of the heavy-ball that Mechanic scales, > 0 (${defaultsOf('baseLearningRate')})`,
  },
  'base-momentum': {
    type: 'number',
    describe: `Momentum of the heavy-ball that Mechanic scales, 0 <= mu < 1, 0 for plain sgd (${defaultsOf('baseMomentum')})`,
  },
  'weight-decay': { type: 'number', describe: `Mechanic's own weight decay, >= 0 (${defaultsOf('weightDecay')})` },
  's-init': { type: 'number', describe: `Mechanic's initial scale, > 0 (${defaultsOf('sInit')})` },
  'num-betas': integerOption('num-betas', `Number of Mechanic's betas 1 - 0.1^i (${defaultsOf('numBetas')})`),
  beta: {
    type: 'number',
    describe: `Momo's averaging decay, 0 <= beta < 1, or schedule-free's interpolation, 0 < beta < 1 (${defaultsOf('beta')})`,
  },
  'lower-bound': { type: 'number', describe: `Lower bound of the loss in Momo's step (${defaultsOf('lowerBound')})` },
  'weight-lr-power': {
    type: 'number',
    describe: `Schedule-free's average weights each step by (largest rate so far)^power (${defaultsOf('weightLrPower')})`,
  },
  schedule: {
    choices: SCHEDULE_KINDS,
    describe:
      'Learning-rate schedule around --lr (the peak rate): cosine-decay, warmup-cosine, linear-warmup, exponential-decay or step-decay',
  },
  'warmup-steps': integerOption('warmup-steps', 'warmup-cosine, linear-warmup: steps from 0 up to --lr'),
  'decay-steps': integerOption(
    'decay-steps',
    'cosine-decay, warmup-cosine: steps of the decay (warmup included); exponential-decay, step-decay: steps per factor --decay-rate',
  ),
  'end-lr': {
    type: 'number',
    describe: 'cosine-decay, warmup-cosine: final rate (default 0); exponential-decay, step-decay: the floor',
  },
  'decay-rate': { type: 'number', describe: 'exponential-decay, step-decay: factor per --decay-steps steps, > 0' },
  'optimizer-spec': {
    type: 'string',
    describe:
      'A JSON file with a list of stage configs (e.g. [{"name": "clipByGlobalNorm", "maxNorm": 1}, {"name": "scaleByAdam"}, {"name": "scaleByLearningRate", "learningRate": 0.001}]) to train with instead of --optimizer',
  },
  epochs: integerOptionWithDefault('epochs', 'Epochs', TRAIN_DEFAULTS.epochs),
  'batch-size': integerOptionWithDefault('batch-size', 'Minibatch size', TRAIN_DEFAULTS.batchSize),
  seed: integerOptionWithDefault('seed', 'Seed of the initial weights and the data order', TRAIN_DEFAULTS.seed),
  'loss-scale': {
    type: 'number',
    default: TRAIN_DEFAULTS.lossScale,
    describe: 'Multiply the loss by this before differentiating',
  },
  loss: {
    choices: LOSS_KINDS,
    default: TRAIN_DEFAULTS.loss,
    describe: 'Training loss on the logits: softmax cross-entropy, or squared error against one-hot labels',
  },
  reduction: {
    choices: REDUCTIONS,
    default: TRAIN_DEFAULTS.reduction,
    describe: 'Combine a minibatch by the mean or the sum (= mean x batch size) of per-example losses',
  },
  'label-smoothing': {
    type: 'number',
    describe: 'Cross-entropy against (1 - e) one-hot + e / classes, 0 <= e < 1, as Keras (default 0)',
  },
  keras: {
    type: 'boolean',
    default: false,
    describe: 'Train with model.fit instead of the custom loop (parity checks)',
  },
  'max-steps': integerOption('max-steps', 'Stop after this many optimizer steps'),
  'train-limit': integerOption('train-limit', 'Use only the first N training examples (at most the split size)'),
  'test-limit': integerOption('test-limit', 'Use only the first N test examples (at most the split size)'),
  'validation-size': integerOption(
    'validation-size',
    'Hold N training examples out (stratified, the fixed seed sweeps and the study use), train on the rest and evaluate on them instead of the test split',
  ),
  'log-every': integerOptionWithDefault(
    'log-every',
    'Steps between minibatch-loss reads and divergence checks',
    TRAIN_DEFAULTS.logEvery,
  ),
  'norm-every': integerOptionWithDefault(
    'norm-every',
    'Steps between gradient/update/velocity norm measurements (0: off)',
    TRAIN_DEFAULTS.normEvery,
  ),
  checkpoint: {
    choices: CHECKPOINT_MODES,
    describe:
      "Write the weights and the optimizer state after each epoch into the run folder (checkpoints/epoch-<n>/) and keep every epoch's, the best (by --early-stop's metric, else the held-out loss) or the last; a run with checkpoints can be resumed (--resume)",
  },
  'early-stop': {
    type: 'string',
    describe:
      'Stop when a per-epoch metric has not improved for N epochs, as <split>/<metric>:N (e.g. validation/loss:3; lower is better for a loss, higher for an accuracy)',
  },
  resume: {
    type: 'string',
    describe:
      'Continue the interrupted run in this folder from its newest checkpoint (bit for bit as if never interrupted); its config.json says everything else',
  },
  out: { type: 'string', default: 'out/runs', describe: 'Folder of run folders' },
  'run-id': {
    type: 'string',
    describe: 'Name of the run folder (default: dataset-model-optimizer-seed-time); never overwritten',
  },
  ...compileOption,
  ...labelOptions,
  quiet: { type: 'boolean', default: false, describe: 'No progress output' },
  'fail-on-diverge': {
    type: 'boolean',
    default: false,
    describe: 'Exit with code 2 when the run diverges (for scripts and CI)',
  },
  ...jsonOption,
} as const;

export type TrainArgs = InferredOptionTypes<typeof trainOptions>;

/**
 * The TrainConfig field (dotted path) each flag sets, or null for flags about the run itself
 * (where it goes, what is printed). With --config, exactly the flags given override the file.
 * The schedule flags reshape optimizer.learningRate after that merge (around the merged rate),
 * and --optimizer-spec replaces the whole optimizer.
 */
export const TRAIN_FLAG_FIELDS: Record<keyof typeof trainOptions, string | null> = {
  config: null,
  dataset: 'dataset',
  'data-dir': 'dataDir',
  model: 'model',
  hidden: 'hidden',
  init: 'init',
  inputs: 'inputs',
  optimizer: 'optimizer.kind',
  lr: 'optimizer.learningRate',
  momentum: 'optimizer.momentum',
  'gradient-steps': 'optimizer.gradientSteps',
  beta1: 'optimizer.beta1',
  beta2: 'optimizer.beta2',
  epsilon: 'optimizer.epsilon',
  decay: 'optimizer.decay',
  'max-lr': 'optimizer.maxLearningRate',
  'f-min': 'optimizer.fMin',
  d0: 'optimizer.d0',
  rho: 'optimizer.rho',
  'eta-minus': 'optimizer.etaMinus',
  'eta-plus': 'optimizer.etaPlus',
  'min-step': 'optimizer.minStep',
  'max-step': 'optimizer.maxStep',
  'r-epsilon': 'optimizer.rEpsilon',
  'init-sq-dist': 'optimizer.initSqDist',
  alpha: 'optimizer.alpha',
  'base-lr': 'optimizer.baseLearningRate',
  'base-momentum': 'optimizer.baseMomentum',
  'weight-decay': 'optimizer.weightDecay',
  's-init': 'optimizer.sInit',
  'num-betas': 'optimizer.numBetas',
  beta: 'optimizer.beta',
  'lower-bound': 'optimizer.lowerBound',
  'weight-lr-power': 'optimizer.weightLrPower',
  schedule: null,
  'warmup-steps': null,
  'decay-steps': null,
  'end-lr': null,
  'decay-rate': null,
  'optimizer-spec': 'optimizer',
  epochs: 'epochs',
  'batch-size': 'batchSize',
  seed: 'seed',
  'loss-scale': 'lossScale',
  loss: 'loss',
  reduction: 'reduction',
  'label-smoothing': 'labelSmoothing',
  keras: 'mode',
  'max-steps': 'maxSteps',
  'train-limit': 'trainLimit',
  'test-limit': 'testLimit',
  'validation-size': 'validation',
  'log-every': 'logEvery',
  'norm-every': 'normEvery',
  checkpoint: 'checkpoint',
  'early-stop': 'earlyStop',
  resume: null,
  out: null,
  'run-id': null,
  compile: null,
  tag: null,
  note: null,
  quiet: null,
  'fail-on-diverge': null,
  json: null,
};
