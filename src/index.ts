/** inertia: custom tf.train optimizers, training runs and the momentum/learning-rate study. */
export * from './backend.js';
