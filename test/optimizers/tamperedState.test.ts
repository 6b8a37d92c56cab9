/**
 * Restoring optimizer state that does not fit the model: the whole restore is refused, naming
 * the variable, before anything is assigned (a model saved with includeOptimizer, its
 * velocity's shape transposed in the manifest, or its state renamed to a variable that does not exist).
 */
import { describe, expect, it } from 'vitest';
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../../src/backend.js';
import { ChainOptimizer, createOptimizer } from '../../src/optimizers/index.js';
import { UserError } from '../../src/util/errors.js';
import { savedInMemory } from './helpers.js';

function model(): TF.Sequential {
  const m = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [3], units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
    ],
  });
  m.compile({
    optimizer: createOptimizer({ kind: 'heavy-ball', learningRate: 0.1, momentum: 0.9 }),
    loss: 'meanSquaredError',
  });
  return m;
}

async function savedWithOptimizer(): Promise<TF.io.ModelArtifacts> {
  const m = model();
  const x = tf.ones([4, 3]);
  const y = tf.zeros([4, 2]);
  await m.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
  const artifacts = await savedInMemory(m);
  m.dispose();
  tf.dispose([x, y]);
  return artifacts;
}

function velocitySpec(artifacts: TF.io.ModelArtifacts, kernel: boolean) {
  return artifacts.weightSpecs!.find((s) => s.name.endsWith('velocity') && s.name.includes('kernel') === kernel)!;
}

describe('restoring tampered optimizer state', () => {
  it('refuses a velocity whose shape does not fit its variable, naming both', async () => {
    const artifacts = await savedWithOptimizer();
    const spec = velocitySpec(artifacts, true);
    expect(spec.shape).toEqual([3, 2]);
    spec.shape = [2, 3];
    await expect(tf.loadLayersModel(tf.io.fromMemory(artifacts))).rejects.toThrow(
      /Cannot restore optimizer state ".*kernel.*\/0\.trace\.velocity": its shape \[2, 3\] does not fit variable .*kernel.* of shape \[3, 2\]/,
    );
  });

  /**
   * A new optimizer of `kind` given the state `iter` = `iterations` and a velocity `name` of
   * ones shaped `shape`: it refuses them with `message` and leaves its iterations at 0.
   */
  async function refusing(
    kind: 'heavy-ball' | 'nesterov',
    iterations: number,
    velocity: { name: string; shape: number[] },
    message: string,
  ) {
    const optimizer = createOptimizer({ kind, learningRate: 0.1, momentum: 0.9 }) as ChainOptimizer;
    const weights = [
      { name: 'iter', tensor: tf.scalar(iterations, 'int32') },
      { name: velocity.name, tensor: tf.ones(velocity.shape) },
    ];
    await expect(optimizer.setWeights(weights)).rejects.toThrow(message);
    await expect(optimizer.setWeights(weights)).rejects.toBeInstanceOf(UserError);
    expect(optimizer.iterations).toBe(0);
    return { optimizer, weights };
  }

  it('refuses state for a variable that does not exist unless allowUnknownState is set', async () => {
    const { optimizer, weights } = await refusing(
      'heavy-ball',
      5,
      { name: 'no-such-variable/kernel/0.trace.velocity', shape: [2] },
      'Cannot restore optimizer state for "no-such-variable/kernel": no tf.Variable of that name exists',
    );
    optimizer.allowUnknownState = true;
    await optimizer.setWeights(weights);
    expect(optimizer.iterations).toBe(5);
    optimizer.dispose();
    tf.dispose(weights.map((w) => w.tensor));
  });

  it('checks a registered variable of the right name but the wrong shape before touching the iterations', async () => {
    const variable = tf.variable(tf.zeros([4]), true, 'tampered-shape-check');
    const { optimizer, weights } = await refusing(
      'nesterov',
      7,
      { name: 'tampered-shape-check/0.trace.velocity', shape: [5] },
      'its shape [5] does not fit variable tampered-shape-check of shape [4]',
    );
    optimizer.dispose();
    tf.dispose([variable, ...weights.map((w) => w.tensor)]);
  });
});
