/**
 * The names of the optimizer kinds, in a module that loads no TensorFlow.js, so the CLI can
 * check its arguments before the backend starts.
 */
export const OPTIMIZER_KINDS = [
  'sgd',
  'heavy-ball',
  'nesterov',
  'ema-momentum',
  'no-lr-momentum',
  'pure-momentum',
  'keras-momentum',
] as const;

export type OptimizerKind = (typeof OPTIMIZER_KINDS)[number];

/** TF.js's own optimizers, for comparison runs and the benchmark. */
export const BUILTIN_OPTIMIZER_KINDS = ['builtin-sgd', 'builtin-momentum', 'builtin-nesterov'] as const;

export type BuiltinOptimizerKind = (typeof BUILTIN_OPTIMIZER_KINDS)[number];
