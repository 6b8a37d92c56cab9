/** The model kinds, in a module that loads no TensorFlow.js (help text and validation share it). */
export const MODEL_KINDS = ['logreg', 'mlp', 'cnn'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];
