/**
 * The names of the optimizer kinds, their fields and their defaults, in a module that loads
 * no TensorFlow.js, so the CLI can check its arguments (and print its help) before the
 * backend starts. The rules and chains behind them are in createOptimizer.ts.
 */
export const OPTIMIZER_KINDS = [
  'sgd',
  'heavy-ball',
  'nesterov',
  'ema-momentum',
  'no-lr-momentum',
  'pure-momentum',
  'keras-momentum',
  'adam',
  'rmsprop',
  'polyak',
  'prodigy',
  'ema-debiased',
  'adadelta',
  'rprop',
  'dog',
  'dowg',
  'cocob',
  'dadapt-adamw',
  'mechanic',
  'momo',
  'schedule-free',
] as const;

export type OptimizerKind = (typeof OPTIMIZER_KINDS)[number];

/** Every field an optimizer spec may have besides `kind`. */
export const OPTIMIZER_FIELDS = [
  'learningRate',
  'momentum',
  'gradientSteps',
  'beta1',
  'beta2',
  'epsilon',
  'decay',
  'maxLearningRate',
  'fMin',
  'd0',
  'rho',
  'etaMinus',
  'etaPlus',
  'minStep',
  'maxStep',
  'rEpsilon',
  'initSqDist',
  'alpha',
  'baseLearningRate',
  'baseMomentum',
  'weightDecay',
  'sInit',
  'numBetas',
  'beta',
  'lowerBound',
  'weightLrPower',
] as const;

export type OptimizerField = (typeof OPTIMIZER_FIELDS)[number];

/** The fields each kind takes (any other field is refused). */
export const KIND_FIELDS: Readonly<Record<OptimizerKind, readonly OptimizerField[]>> = {
  sgd: ['learningRate'],
  'heavy-ball': ['learningRate', 'momentum'],
  nesterov: ['learningRate', 'momentum'],
  'ema-momentum': ['learningRate', 'momentum'],
  'no-lr-momentum': ['momentum'],
  'pure-momentum': ['learningRate', 'momentum', 'gradientSteps'],
  'keras-momentum': ['learningRate', 'momentum'],
  adam: ['learningRate', 'beta1', 'beta2', 'epsilon'],
  rmsprop: ['learningRate', 'decay', 'epsilon'],
  polyak: ['maxLearningRate', 'fMin', 'epsilon'],
  prodigy: ['learningRate', 'beta1', 'beta2', 'epsilon', 'd0'],
  'ema-debiased': ['momentum'],
  adadelta: ['learningRate', 'rho', 'epsilon'],
  rprop: ['learningRate', 'etaMinus', 'etaPlus', 'minStep', 'maxStep'],
  dog: ['learningRate', 'rEpsilon', 'epsilon'],
  dowg: ['learningRate', 'initSqDist', 'epsilon'],
  cocob: ['learningRate', 'alpha', 'epsilon'],
  'dadapt-adamw': ['learningRate', 'beta1', 'beta2', 'epsilon', 'd0'],
  mechanic: ['baseLearningRate', 'baseMomentum', 'weightDecay', 'epsilon', 'sInit', 'numBetas'],
  momo: ['learningRate', 'beta', 'lowerBound'],
  'schedule-free': ['learningRate', 'beta', 'weightLrPower'],
};

/**
 * The value a field takes when the spec leaves it out; a field of a kind without a default
 * here is required (except ema-momentum's learningRate: without it the rate is 1; and dowg's
 * initSqDist: without it the first estimate is epsilon).
 * adam and prodigy follow torch.optim.Adam / optax (Prodigy: optax.contrib.prodigy); rmsprop
 * takes PyTorch's rate 0.01 with the decay 0.9 of Optax, Keras and tf.train.rmsprop
 * (PyTorch's alpha is 0.99); polyak follows optax.polyak_sgd.
 * The parameter-free kinds take Optax's defaults: adadelta rho 0.9, eps 1e-6
 * (optax.adadelta) with rate 1 where Optax's None would skip the sign flip and climb the
 * loss (1 is Zeiler's and torch.optim.Adadelta's); rprop etaMinus 0.5, etaPlus 1.2, steps in
 * [1e-6, 50] (optax.rprop), and initial step 0.01, torch.optim.Rprop's (Optax has none);
 * dog rate 1, rEpsilon 1e-6, eps 1e-8 (optax.contrib.dog, heuristic initial step); dowg rate
 * 1, eps 1e-4 (optax.contrib.dowg); cocob rate 1, alpha 100, eps 1e-8
 * (optax.contrib.cocob). ema-debiased, like the other momentum kinds, needs its momentum.
 * dadapt-adamw, momo and schedule-free take the defaults of optax.contrib.dadapt_adamw,
 * momo and schedule_free_sgd (rate 1 each; momo's lower bound 0, schedule-free's beta 0.9 and
 * weight power 2). mechanic takes optax.contrib.mechanize's (weightDecay 0.01, epsilon 1e-8,
 * sInit 1e-6, 6 betas) around heavy-ball with rate 1 (Optax's sgd has no default rate;
 * mechanize's documentation sets the base rate to 1 and lets Mechanic learn the scale) and
 * momentum 0.9 (heavy-ball, as the kind is described; baseMomentum 0 is plain sgd).
 */
export const KIND_DEFAULTS: Readonly<Record<OptimizerKind, Readonly<Partial<Record<OptimizerField, number>>>>> = {
  sgd: {},
  'heavy-ball': {},
  nesterov: {},
  'ema-momentum': {},
  'no-lr-momentum': {},
  'pure-momentum': { gradientSteps: 1 },
  'keras-momentum': {},
  adam: { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
  rmsprop: { learningRate: 1e-2, decay: 0.9, epsilon: 1e-8 },
  polyak: { maxLearningRate: 1, fMin: 0, epsilon: 0 },
  prodigy: { learningRate: 1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, d0: 1e-6 },
  'ema-debiased': {},
  adadelta: { learningRate: 1, rho: 0.9, epsilon: 1e-6 },
  rprop: { learningRate: 0.01, etaMinus: 0.5, etaPlus: 1.2, minStep: 1e-6, maxStep: 50 },
  dog: { learningRate: 1, rEpsilon: 1e-6, epsilon: 1e-8 },
  dowg: { learningRate: 1, epsilon: 1e-4 },
  cocob: { learningRate: 1, alpha: 100, epsilon: 1e-8 },
  'dadapt-adamw': { learningRate: 1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, d0: 1e-6 },
  mechanic: { baseLearningRate: 1, baseMomentum: 0.9, weightDecay: 0.01, epsilon: 1e-8, sInit: 1e-6, numBetas: 6 },
  momo: { learningRate: 1, beta: 0.9, lowerBound: 0 },
  'schedule-free': { learningRate: 1, beta: 0.9, weightLrPower: 2 },
};

/** TF.js's own optimizers, for comparison runs and the benchmark. */
export const BUILTIN_OPTIMIZER_KINDS = ['builtin-sgd', 'builtin-momentum', 'builtin-nesterov'] as const;

export type BuiltinOptimizerKind = (typeof BUILTIN_OPTIMIZER_KINDS)[number];

/** The fields each built-in kind takes. */
export const BUILTIN_KIND_FIELDS: Readonly<Record<BuiltinOptimizerKind, readonly OptimizerField[]>> = {
  'builtin-sgd': ['learningRate'],
  'builtin-momentum': ['learningRate', 'momentum'],
  'builtin-nesterov': ['learningRate', 'momentum'],
};

/** The fields a kind takes (inertia kinds and TF.js built-ins); none for an unknown kind. */
export function fieldsOf(kind: string): readonly OptimizerField[] {
  if (Object.hasOwn(KIND_FIELDS, kind)) return KIND_FIELDS[kind as OptimizerKind];
  return BUILTIN_KIND_FIELDS[kind as BuiltinOptimizerKind] ?? [];
}
