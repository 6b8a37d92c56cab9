/** A small model the tests build by hand, as a user of the library would. */
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../../src/backend.js';

/**
 * Two dense layers, `inputs` -> `hidden` (ReLU) -> `outputs`, with Glorot-uniform kernels seeded
 * 1 and 2, so every test that builds it starts from the same weights.
 */
export function seededDenseNet(inputs: number, hidden: number, outputs: number): TF.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [inputs],
        units: hidden,
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
      }),
      tf.layers.dense({ units: outputs, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
}
