/**
 * LayerNormalization over the last axis, written with plain kernels:
 *
 *   y = (x - mean) / sqrt(variance + epsilon) * gamma + beta,
 *
 * with each example's mean and (biased) variance over its features, gamma starting at one and
 * beta at zero, epsilon 1e-3: the function of tfjs-layers' `layerNormalization()`. That layer
 * computes it as a batch normalisation with the moments tiled to the input's shape, which
 * tfjs-node runs as FusedBatchNorm and a gradient of slices and adds: about 0.6 s per layer and
 * step on a batch of 128 x 256 (two cores), against milliseconds for the kernels here.
 */
import type * as TF from '@tensorflow/tfjs';
// tfjs-layers' and tfjs-core's own modules (what tf.layers and tf.serialization re-export):
// defining and registering the layer at import time loads no backend.
import { serialization } from '@tensorflow/tfjs-core';
import { layers } from '@tensorflow/tfjs-layers';
import { tf } from '../backend.js';

const DEFAULT_EPSILON = 1e-3;

export interface LayerNormArgs {
  name: string;
  epsilon?: number;
}

export class LayerNorm extends layers.Layer {
  static readonly className = 'InertiaLayerNorm';
  private readonly epsilon: number;
  private gamma: TF.LayerVariable | null = null;
  private beta: TF.LayerVariable | null = null;

  constructor(args: LayerNormArgs) {
    super({ name: args.name });
    this.epsilon = args.epsilon ?? DEFAULT_EPSILON;
  }

  override build(inputShape: TF.Shape | TF.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as TF.Shape;
    const features = shape[shape.length - 1];
    if (features === null) throw new Error(`${this.name}: the last axis needs a known size`);
    this.gamma = this.addWeight('gamma', [features], 'float32', tf.initializers.ones());
    this.beta = this.addWeight('beta', [features], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const { mean, variance } = tf.moments(x, -1, true);
      const normalised = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.epsilon)));
      return tf.add(tf.mul(normalised, this.gamma!.read()), this.beta!.read());
    });
  }

  override getConfig(): TF.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}

serialization.registerClass(LayerNorm);
