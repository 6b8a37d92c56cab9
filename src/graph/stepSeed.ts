/**
 * The per-step seed of training steps with random layers (Dropout): an int32 scalar tensor given
 * to the step as one of its inputs, so that a compiled step takes it as an input of its function
 * like the batch (never a random tensor frozen into the graph). While a step runs inside
 * {@link withStepSeed}, seeded random ops draw from TensorFlow's stateless generator with the
 * seed pair (step seed, salt): the same seed gives the same numbers eagerly and compiled, and a
 * new seed every step gives new masks every step.
 */
import type * as TF from '@tensorflow/tfjs';
import { tf, currentBackend } from '../backend.js';
import { deriveSeed } from '../util/random.js';
import type { NodeBackend } from './graphBinding.js';

let current: TF.Scalar | null = null;

/**
 * The seed of training step `step` of a run seeded with `seed` (a counter-based hash: any step's
 * seed is known without the ones before it), as the int32 scalar a seeded step takes as input.
 */
export function stepSeedTensor(seed: number, step: number): TF.Scalar {
  return tf.scalar(deriveSeed(seed, `step ${step}`) | 0, 'int32');
}

/** Runs `fn` with `seed` (an int32 scalar, usually an input of the step) as the step seed. */
export function withStepSeed<T>(seed: TF.Tensor, fn: () => T): T {
  if (seed.dtype !== 'int32' || seed.rank !== 0) {
    throw new Error(`The step seed must be an int32 scalar, not a ${seed.dtype} tensor of shape [${seed.shape}]`);
  }
  const outer = current;
  current = seed as TF.Scalar;
  try {
    return fn();
  } finally {
    current = outer;
  }
}

/** The seed of the step running now, or null outside {@link withStepSeed}. */
export function currentStepSeed(): TF.Scalar | null {
  return current;
}

/** The distributions seeded random ops draw from: uniform on [0, 1), or standard normal. */
export type Distribution = 'uniform' | 'normal';

const STATELESS_OPS: Record<Distribution, string> = {
  uniform: 'StatelessRandomUniform',
  normal: 'StatelessRandomNormal',
};

/**
 * Random numbers of `shape` from `distribution`, a function of the step seed and `salt` only
 * (each random layer of a model has its own salt). On the native backend TensorFlow's stateless
 * generator (Philox) runs inside the graph; elsewhere (no compiled steps) tfjs's generator is
 * seeded with the seed's value read back.
 */
export function seededRandom(distribution: Distribution, seed: TF.Scalar, salt: number, shape: number[]): TF.Tensor {
  return tf.tidy(() => {
    const pair = tf.stack([seed, tf.scalar(salt | 0, 'int32')]);
    if (currentBackend() !== 'tensorflow') {
      const [a, b] = pair.dataSync();
      const derived = deriveSeed(a >>> 0, `salt ${b}`);
      return distribution === 'uniform'
        ? tf.randomUniform(shape, 0, 1, 'float32', derived)
        : tf.randomNormal(shape, 0, 1, 'float32', derived);
    }
    const backend = tf.backend() as unknown as NodeBackend & {
      executeSingleOutput(name: string, attrs: unknown[], inputs: TF.Tensor[]): TF.Tensor;
    };
    const { TF_ATTR_TYPE, TF_FLOAT, TF_INT32 } = backend.binding;
    const attrs = [
      { name: 'dtype', type: TF_ATTR_TYPE, value: TF_FLOAT },
      { name: 'T', type: TF_ATTR_TYPE, value: TF_INT32 },
      { name: 'Tseed', type: TF_ATTR_TYPE, value: TF_INT32 },
    ];
    return backend.executeSingleOutput(STATELESS_OPS[distribution], attrs, [tf.tensor1d(shape, 'int32'), pair]);
  });
}
