import type * as TF from '@tensorflow/tfjs';
import { tf } from '../backend.js';

/**
 * The one place where an optimizer turns numbers (learning rate, momentum, ...) into scalar
 * tensors. Each key holds one scalar, rebuilt only when its value changes, so a step with
 * unchanged hyperparameters creates no scalar, and the count of tensors stays constant
 * even when a schedule switches value.
 */
export class ScalarCache {
  private readonly entries = new Map<string, { value: number; tensor: TF.Scalar }>();

  get(key: string, value: number): TF.Scalar {
    const entry = this.entries.get(key);
    if (entry !== undefined && Object.is(entry.value, value)) return entry.tensor;
    entry?.tensor.dispose();
    const tensor = tf.keep(tf.scalar(value));
    this.entries.set(key, { value, tensor });
    return tensor;
  }

  get size(): number {
    return this.entries.size;
  }

  dispose(): void {
    for (const entry of this.entries.values()) entry.tensor.dispose();
    this.entries.clear();
  }
}
