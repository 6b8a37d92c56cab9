import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEBIAN_FASHION_MNIST_DIR,
  DatasetError,
  PROJECT_ROOT,
  classCounts,
  loadDataset,
  locateIdxFiles,
  readIdx,
  readIdxPair,
  searchDirectories,
} from '../../src/data/index.js';
import { writeIdxDataset } from './idxFixtures.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'inertia-search-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('search order', () => {
  it('is dataDir/<name> and dataDir only; else $INERTIA_DATA_DIR/<name>, $INERTIA_DATA_DIR, datasets/<name>, then Debian (fashion-mnist only)', () => {
    const env = { INERTIA_DATA_DIR: '/env/data' };
    expect(searchDirectories('fashion-mnist', { dataDir: '/opt/data' }, env)).toEqual([
      '/opt/data/fashion-mnist',
      '/opt/data',
    ]);
    expect(searchDirectories('fashion-mnist', {}, env)).toEqual([
      '/env/data/fashion-mnist',
      '/env/data',
      join(PROJECT_ROOT, 'datasets', 'fashion-mnist'),
      '/usr/share/datasets/fashion-mnist',
    ]);
    expect(searchDirectories('mnist', {}, {})).toEqual([join(PROJECT_ROOT, 'datasets', 'mnist')]);
  });

  it('resolves datasets/ from the project root, not the working directory', () => {
    expect(existsSync(join(PROJECT_ROOT, 'package.json'))).toBe(true);
    expect(existsSync(join(PROJECT_ROOT, 'src', 'data', 'idxDataset.ts'))).toBe(true);
  });

  it('takes the first directory that holds the files: dataDir before $INERTIA_DATA_DIR', async () => {
    const optionDir = join(root, 'option');
    const envDir = join(root, 'env');
    await writeIdxDataset(join(optionDir, 'fashion-mnist'), 20, 10);
    await writeIdxDataset(envDir, 30, 10, false);
    const env = { INERTIA_DATA_DIR: envDir };
    expect((await locateIdxFiles('fashion-mnist', { dataDir: optionDir }, env)).directory).toBe(
      join(optionDir, 'fashion-mnist'),
    );
    const fromEnv = await locateIdxFiles('fashion-mnist', {}, env);
    expect(fromEnv.directory).toBe(envDir);
    expect(fromEnv.files.trainImages).toBe(join(envDir, 'train-images-idx3-ubyte'));
    // A dataDir without the files is an error naming where it looked, never other data.
    await expect(locateIdxFiles('fashion-mnist', { dataDir: join(root, 'empty') }, env)).rejects.toThrow(
      `fashion-mnist was not found (looked in ${join(root, 'empty', 'fashion-mnist')}, ${join(root, 'empty')})`,
    );
  });

  it('reports a half-copied directory instead of skipping it', async () => {
    const dir = join(root, 'partial');
    await writeIdxDataset(dir, 20, 10);
    await unlink(join(dir, 't10k-labels-idx1-ubyte.gz'));
    const error = await locateIdxFiles('mnist', { dataDir: dir }, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as Error).message).toMatch(
      new RegExp(`^mnist in ${dir} is incomplete: t10k-labels-idx1-ubyte\\[\\.gz\\] missing; put train-images`),
    );
  });

  it('says where it looked and how to get the data when absent', async () => {
    const empty = join(root, 'nothing');
    await mkdir(empty);
    const error = await loadDataset('mnist', { dataDir: empty }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as Error).message).toBe(
      `mnist was not found (looked in ${empty}/mnist, ${empty}); ` +
        'put train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz ' +
        '(gzip or raw) in datasets/mnist/ or in a folder passed with --data-dir',
    );
  });
});

describe('loadDataset on IDX files', () => {
  it('loads sizes, labels, pixels and records the source and limits', async () => {
    const dir = join(root, 'load');
    await writeIdxDataset(join(dir, 'mnist'), 40, 20);
    const data = await loadDataset('mnist', { dataDir: dir, trainLimit: 25 });
    expect(data.source).toBe(join(dir, 'mnist'));
    expect([data.train.count, data.test.count]).toEqual([25, 20]);
    expect(data.train.images.length).toBe(25 * 784);
    expect(data.split).toMatchObject({
      method: 'canonical',
      seed: null,
      trainSize: 25,
      testSize: 20,
      trainLimit: 25,
      testLimit: null,
    });
    expect(data.split.trainClassCounts).toEqual([3, 3, 3, 3, 3, 2, 2, 2, 2, 2]);
    expect(data.train.images[3 * 784 + 5]).toBeCloseTo(8 / 255, 7);
  });

  it('rejects a limit above the split size, saying the maximum', async () => {
    const dir = join(root, 'limit');
    await writeIdxDataset(join(dir, 'mnist'), 40, 20);
    await expect(loadDataset('mnist', { dataDir: dir, testLimit: 21 })).rejects.toThrow(
      'Invalid testLimit: 21 (mnist has 20 examples in that split; use at most 20 or leave it unset)',
    );
  });

  it.skipIf(!existsSync(DEBIAN_FASHION_MNIST_DIR))(
    'reads the real Debian Fashion-MNIST files: 60000 training labels, 10000 test images in [0, 1]',
    async () => {
      const dir = DEBIAN_FASHION_MNIST_DIR;
      const trainLabels = await readIdx(join(dir, 'train-labels-idx1-ubyte.gz'));
      expect(trainLabels.shape).toEqual([60000]);
      expect(Array.from(trainLabels.data.subarray(0, 8))).toEqual([9, 0, 0, 3, 0, 2, 7, 2]);
      const test = await readIdxPair(join(dir, 't10k-images-idx3-ubyte.gz'), join(dir, 't10k-labels-idx1-ubyte.gz'));
      expect(test.count).toBe(10000);
      expect(classCounts(test.labels)).toEqual(new Array(10).fill(1000));
      expect(test.images.reduce((a, b) => Math.min(a, b), Infinity)).toBe(0);
      expect(test.images.reduce((a, b) => Math.max(a, b), -Infinity)).toBe(1);
    },
  );
});
