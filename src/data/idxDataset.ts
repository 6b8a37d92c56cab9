/**
 * `fashion-mnist` and `mnist`: the canonical IDX files (gzip or raw), found by a fixed search
 * order, read with {@link readIdx} and checked as a pair (28x28 images, labels 0..9, equal
 * counts).
 */
import { access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatasetError } from './errors.js';
import { readIdx } from './idx.js';
import { assembleDataset } from './dataset.js';
import { checkLimit, takeFirst } from './split.js';
import { IMAGE_SHAPE, IMAGE_SIZE, NUM_CLASSES, type Dataset, type LoadOptions, type Split } from './types.js';

export type IdxDatasetName = 'fashion-mnist' | 'mnist';

/** The project root (this file is src/data/idxDataset.ts or dist/data/idxDataset.js). */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Where Debian's `dataset-fashion-mnist` package installs the files. */
export const DEBIAN_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export const IDX_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

type IdxRole = keyof typeof IDX_FILES;

export const CLASS_NAMES: Record<IdxDatasetName, string[]> = {
  'fashion-mnist': [
    'T-shirt/top',
    'Trouser',
    'Pullover',
    'Dress',
    'Coat',
    'Sandal',
    'Shirt',
    'Sneaker',
    'Bag',
    'Ankle boot',
  ],
  mnist: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
};

/** How to get each dataset, for the error when it is absent. */
export const HOW_TO_GET: Record<IdxDatasetName, string> = {
  'fashion-mnist':
    'run `sh scripts/fetch-fashion-mnist.sh` in the inertia folder (it uses `apt-get install -y dataset-fashion-mnist` on Debian/Ubuntu, ' +
    'else downloads the canonical files), or put the four files in a folder and pass --data-dir',
  mnist:
    'put train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz ' +
    '(gzip or raw) in datasets/mnist/ or in a folder passed with --data-dir',
};

/**
 * The directories searched, in order. With `dataDir` (--data-dir), only `<dataDir>/<name>/`
 * and `<dataDir>/`: a folder named explicitly never falls through to other data. Without it:
 * `$INERTIA_DATA_DIR` (as `<dir>/<name>/`, then `<dir>/`), then `<project>/datasets/<name>/`,
 * then (fashion-mnist only) Debian's /usr/share/datasets/fashion-mnist/.
 */
export function searchDirectories(
  name: IdxDatasetName,
  options: LoadOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  const within = (root: string) => [join(resolve(root), name), resolve(root)];
  if (options.dataDir !== undefined && options.dataDir !== '') return within(options.dataDir);
  const directories = env.INERTIA_DATA_DIR ? within(env.INERTIA_DATA_DIR) : [];
  directories.push(join(PROJECT_ROOT, 'datasets', name));
  if (name === 'fashion-mnist') directories.push(DEBIAN_FASHION_MNIST_DIR);
  return [...new Set(directories)];
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** The file for one role in `directory` (gzip name preferred), or null. */
async function findFile(directory: string, role: IdxRole): Promise<string | null> {
  for (const candidate of [`${IDX_FILES[role]}.gz`, IDX_FILES[role]]) {
    const path = join(directory, candidate);
    if (await exists(path)) return path;
  }
  return null;
}

export type IdxFileSet = Record<IdxRole, string>;

/**
 * The four files of the first searched directory that holds any of them. A directory with
 * some but not all of them is an error (a half-copied dataset), not skipped.
 */
export async function locateIdxFiles(
  name: IdxDatasetName,
  options: LoadOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ directory: string; files: IdxFileSet }> {
  const directories = searchDirectories(name, options, env);
  for (const directory of directories) {
    const roles = Object.keys(IDX_FILES) as IdxRole[];
    const found = await Promise.all(roles.map((role) => findFile(directory, role)));
    const present = found.filter((file) => file !== null).length;
    if (present === 0) continue;
    if (present < roles.length) {
      const missing = roles.filter((_, i) => found[i] === null).map((role) => `${IDX_FILES[role]}[.gz]`);
      throw new DatasetError(
        `${name} in ${directory} is incomplete: ${missing.join(', ')} missing; ${HOW_TO_GET[name]}`,
        directory,
      );
    }
    const files = Object.fromEntries(roles.map((role, i) => [role, found[i] as string])) as IdxFileSet;
    return { directory, files };
  }
  throw new DatasetError(`${name} was not found (looked in ${directories.join(', ')}); ${HOW_TO_GET[name]}`);
}

/** Reads and cross-checks one images/labels pair into a Split. */
export async function readIdxPair(imagesPath: string, labelsPath: string): Promise<Split> {
  const [images, labels] = await Promise.all([readIdx(imagesPath), readIdx(labelsPath)]);
  if (images.shape.length !== 3 || images.shape[1] !== IMAGE_SHAPE[0] || images.shape[2] !== IMAGE_SHAPE[1]) {
    throw new DatasetError(
      `${imagesPath}: images must have shape Nx28x28, the header says ${images.shape.join('x')}`,
      imagesPath,
    );
  }
  if (labels.shape.length !== 1) {
    throw new DatasetError(
      `${labelsPath}: labels must be one-dimensional, the header says ${labels.shape.join('x')}`,
      labelsPath,
    );
  }
  const count = images.shape[0];
  if (labels.shape[0] !== count) {
    throw new DatasetError(
      `${labelsPath}: ${labels.shape[0]} labels but ${imagesPath} has ${count} images; the two files do not belong together`,
      labelsPath,
    );
  }
  const labelValues = Int32Array.from(labels.data);
  const bad = labelValues.findIndex((label) => label >= NUM_CLASSES);
  if (bad >= 0) {
    throw new DatasetError(
      `${labelsPath}: label ${labelValues[bad]} at index ${bad} is not a class 0..${NUM_CLASSES - 1}`,
      labelsPath,
    );
  }
  const pixels = new Float32Array(count * IMAGE_SIZE);
  for (let i = 0; i < pixels.length; i++) pixels[i] = images.data[i] / 255;
  return { images: pixels, labels: labelValues, count };
}

export async function loadIdxDataset(name: IdxDatasetName, options: LoadOptions = {}): Promise<Dataset> {
  checkLimit(options.trainLimit, 'trainLimit', null, name);
  checkLimit(options.testLimit, 'testLimit', null, name);
  const { directory, files } = await locateIdxFiles(name, options);
  const [trainFull, testFull] = await Promise.all([
    readIdxPair(files.trainImages, files.trainLabels),
    readIdxPair(files.testImages, files.testLabels),
  ]);
  const trainLimit = checkLimit(options.trainLimit, 'trainLimit', trainFull.count, name);
  const testLimit = checkLimit(options.testLimit, 'testLimit', testFull.count, name);
  const train = takeFirst(trainFull, trainLimit);
  const test = takeFirst(testFull, testLimit);
  return assembleDataset({
    name,
    classNames: CLASS_NAMES[name],
    train,
    test,
    source: directory,
    method: 'canonical',
    seed: null,
    stratified: false,
    trainLimit,
    testLimit,
  });
}
