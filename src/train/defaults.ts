/** Defaults of a training run, in a module that loads no TensorFlow.js (the CLI reads them first). */
export const TRAIN_MODES = ['custom', 'keras'] as const;
export type TrainMode = (typeof TRAIN_MODES)[number];

/** The training loss on the logits: softmax cross-entropy, or squared error against the one-hot labels. */
export const LOSS_KINDS = ['cross-entropy', 'mse'] as const;
export type LossKind = (typeof LOSS_KINDS)[number];

/** How a minibatch's per-example losses are combined: their mean, or their sum (= mean x batch size). */
export const REDUCTIONS = ['mean', 'sum'] as const;
export type Reduction = (typeof REDUCTIONS)[number];

/**
 * Which checkpoints a run keeps in its folder (checkpoint.ts): every epoch's, the one with the
 * best monitored metric (and the newest while it trains), or the newest only.
 */
export const CHECKPOINT_MODES = ['every-epoch', 'best', 'last'] as const;
export type CheckpointMode = (typeof CHECKPOINT_MODES)[number];

export const TRAIN_DEFAULTS = {
  dataset: 'mnist-digits',
  model: 'mlp',
  epochs: 5,
  batchSize: 128,
  seed: 1,
  lossScale: 1,
  loss: 'cross-entropy',
  reduction: 'mean',
  mode: 'custom',
  logEvery: 25,
  normEvery: 10,
  divergenceBound: 100,
  evalBatchSize: 1000,
} as const;
