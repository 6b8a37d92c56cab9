import { describe, expect, it } from 'vitest';
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../../src/backend.js';
import { loadDataset } from '../../src/data/index.js';
import { buildModel } from '../../src/models/index.js';

describe('synthetic', () => {
  it('has the default sizes, balanced classes and pixels in [0, 1]', async () => {
    const data = await loadDataset('synthetic');
    expect([data.train.count, data.test.count]).toEqual([2000, 500]);
    expect(data.split.trainClassCounts).toEqual(new Array(10).fill(200));
    expect(data.split.testClassCounts).toEqual(new Array(10).fill(50));
    expect(data.train.images.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(data.split).toMatchObject({ method: 'generated', seed: 0 });
  });

  it('is seeded: same seed same data, and the test set does not depend on the training size', async () => {
    const a = await loadDataset('synthetic', { seed: 5, trainLimit: 300, testLimit: 100 });
    const b = await loadDataset('synthetic', { seed: 5, trainLimit: 700, testLimit: 100 });
    const c = await loadDataset('synthetic', { seed: 6, trainLimit: 300, testLimit: 100 });
    expect([a.train.count, b.train.count, a.test.count]).toEqual([300, 700, 100]);
    expect(Buffer.compare(Buffer.from(a.test.images.buffer), Buffer.from(b.test.images.buffer))).toBe(0);
    expect(Buffer.compare(Buffer.from(a.train.images.buffer), Buffer.from(c.train.images.buffer))).not.toBe(0);
  });

  it('is learnable: logreg with plain SGD (lr 0.5, batch 50) passes 90% test accuracy in 100 steps', async () => {
    const data = await loadDataset('synthetic', { seed: 1 });
    const model = buildModel({ kind: 'logreg', seed: 1 });
    const optimizer = tf.train.sgd(0.5);
    const xs = tf.tensor4d(data.train.images, [data.train.count, 28, 28, 1]);
    const ys = tf.oneHot(tf.tensor1d(data.train.labels, 'int32'), 10);
    for (let step = 0; step < 100; step++) {
      const start = (step * 50) % data.train.count;
      tf.tidy(() => {
        const x = xs.slice(start, 50);
        const y = ys.slice(start, 50);
        optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x) as TF.Tensor) as TF.Scalar);
      });
    }
    const accuracy = tf.tidy(() => {
      const logits = model.predict(tf.tensor4d(data.test.images, [data.test.count, 28, 28, 1])) as TF.Tensor;
      return logits.argMax(1).equal(tf.tensor1d(data.test.labels, 'int32')).mean().dataSync()[0];
    });
    expect(accuracy).toBeGreaterThan(0.9);
    expect(accuracy).toBeLessThan(1.0001);
    tf.dispose([xs, ys]);
    optimizer.dispose();
    model.dispose();
  });
});
