/** The model kinds and weight initialisations, in a module that loads no TensorFlow.js (help text and validation share it). */
export const MODEL_KINDS = ['logreg', 'mlp', 'cnn', 'deep-mlp', 'wide-mlp', 'cnn-bn', 'res-mlp'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

/**
 * How kernels start (biases and normalisation offsets start at zero, normalisation scales at one):
 * `glorot` Glorot-uniform, `he` He-uniform (variance 2 / fan_in), `glorot-0.1` Glorot-uniform
 * scaled by 0.1 (variance / 100).
 */
export const INIT_KINDS = ['glorot', 'he', 'glorot-0.1'] as const;
export type InitKind = (typeof INIT_KINDS)[number];
