/** Defaults of a training run, in a module that loads no TensorFlow.js (the CLI reads them first). */
export const TRAIN_MODES = ['custom', 'keras'] as const;
export type TrainMode = (typeof TRAIN_MODES)[number];

export const TRAIN_DEFAULTS = {
  dataset: 'mnist-digits',
  model: 'mlp',
  epochs: 5,
  batchSize: 128,
  seed: 1,
  lossScale: 1,
  mode: 'custom',
  logEvery: 25,
  normEvery: 10,
  divergenceBound: 100,
  evalBatchSize: 1000,
} as const;
