import type * as TF from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';

/**
 * While a step is traced into a graph function (src/graph/graphTrace.ts), the scalars an
 * optimizer asks for become inputs of the function instead of frozen constants: the tracer
 * hands out its own tensors and the compiled step feeds the current values at every call.
 * `stepRead` tells the tracer that a scalar may depend on the step counter.
 */
export interface ScalarTracer {
  scalar(key: string, value: number): TF.Scalar;
  stepRead(): void;
}

let tracer: ScalarTracer | null = null;

/** Runs `fn` with every ScalarCache answering through `scalarTracer`. */
export function traceScalars<T>(scalarTracer: ScalarTracer, fn: () => T): T {
  const previous = tracer;
  tracer = scalarTracer;
  try {
    return fn();
  } finally {
    tracer = previous;
  }
}

/** Called by an optimizer when a stage reads its step counter (see ChainOptimizer's context). */
export function noteStepRead(): void {
  tracer?.stepRead();
}

/**
 * The one place where an optimizer turns numbers (learning rate, momentum, ...) into scalar
 * tensors. Each key holds one scalar, rebuilt only when its value changes, so a step with
 * unchanged hyperparameters creates no scalar, and the count of tensors stays constant
 * even when a schedule switches value.
 */
export class ScalarCache {
  private readonly entries = new Map<string, { value: number; tensor: TF.Scalar }>();

  get(key: string, value: number): TF.Scalar {
    if (tracer !== null) return tracer.scalar(key, value);
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
