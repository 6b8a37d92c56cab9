/**
 * gatherRows (src/train/deviceData.ts): the rows of a split by index, as tf.gather gives them,
 * also inside a compiled step (where tfjs-node's own gather kernel cannot run, since it reads
 * the indices back), and an index out of range is an error, not a silent row.
 */
import { describe, expect, it } from 'vitest';
import { tf, currentBackend } from '../../src/backend.js';
import { gatherRows } from '../../src/train/deviceData.js';
import { compileStep } from '../../src/graph/compile.js';

const native = currentBackend() === 'tensorflow';

describe('gatherRows', () => {
  it('gives the rows tf.gather gives, for images and one-hot labels', () => {
    const x = tf.tensor4d(
      Float32Array.from({ length: 5 * 2 * 2 }, (_, i) => i * 0.5),
      [5, 2, 2, 1],
    );
    const y = tf.oneHot(tf.tensor1d([0, 2, 1, 2, 0], 'int32'), 3).toFloat();
    const rows = tf.tensor1d([4, 0, 3, 3], 'int32');
    for (const t of [x, y]) {
      const got = gatherRows(t, rows);
      expect(got.shape).toEqual([4, ...t.shape.slice(1)]);
      expect(Array.from(got.dataSync())).toEqual(Array.from(tf.gather(t, rows).dataSync()));
    }
    expect(Array.from(gatherRows(x, rows).dataSync().slice(0, 4))).toEqual([8, 8.5, 9, 9.5]);
  });

  it('rejects a row out of range', () => {
    const x = tf.zeros([3, 2]);
    expect(() => gatherRows(x, tf.tensor1d([1, 3], 'int32')).dataSync()).toThrow();
  });

  it.runIf(native)('runs inside a compiled step, with the rows as an input', () => {
    const data = tf.tensor2d([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const step = compileStep(([rows, x]) => [tf.sum(gatherRows(x, rows as tf.Tensor1D), 0)]);
    const sums = [
      [2, 2],
      [0, 1],
      [1, 2],
    ].map((rows) => Array.from(step.run([tf.tensor1d(rows, 'int32'), data])[0].dataSync()));
    expect(sums).toEqual([
      [10, 12],
      [4, 6],
      [8, 10],
    ]);
    expect(step.traces).toBe(1);
    expect(step.calls).toBe(2);
    step.dispose();
  });
});
