/** inertia: custom tf.train optimizers, training runs and the momentum/learning-rate study. */
export * from './backend.js';
export * from './data/index.js';
export * from './models/index.js';
export * from './optimizers/index.js';
export * from './compare/index.js';
