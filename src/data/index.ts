/**
 * Datasets for inertia: 28x28 grey images in [0, 1] with labels 0..9.
 * See datasets/README.md for where each comes from and how it is split.
 */
import fs from 'node:fs';
import { kernelFolderOf } from '../util/fs.js';
import { DatasetError } from './errors.js';
import { loadIdxDataset } from './idxDataset.js';
import { loadMnistDigits } from './mnistDigits.js';
import { loadSynthetic } from './synthetic.js';
import { DATASET_NAMES, type Dataset, type DatasetName, type LoadOptions } from './types.js';

export * from './types.js';
export { DatasetError } from './errors.js';
export { readIdx, parseIdx, type IdxArray } from './idx.js';
export {
  readIdxPair,
  locateIdxFiles,
  searchDirectories,
  DEBIAN_FASHION_MNIST_DIR,
  PROJECT_ROOT,
} from './idxDataset.js';
export { MNIST_DIGITS_TRAIN_SIZE, MNIST_DIGITS_TEST_SIZE, MNIST_DIGITS_DEFAULT_SEED } from './mnistDigits.js';
export { SYNTHETIC_TRAIN_SIZE, SYNTHETIC_TEST_SIZE } from './synthetic.js';
export { classCounts, takeFirst } from './split.js';
export { INPUT_SCALINGS, pixelStatistics, scaleInputs, type InputScaling } from './inputs.js';
export { checkSeed, deriveSeed } from '../util/random.js';

/** Throws unless `dataDir` is a folder this process can list and read. */
export function checkDataDir(dataDir: string): void {
  const problem = (() => {
    const kernel = kernelFolderOf(dataDir);
    if (kernel !== null) return `is under ${kernel}, a kernel file system that holds no dataset`;
    try {
      if (!fs.statSync(dataDir).isDirectory()) return 'is not a folder';
      fs.accessSync(dataDir, fs.constants.R_OK | fs.constants.X_OK);
      return null;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return 'does not exist';
      if (code === 'ELOOP') return 'is a symbolic-link loop';
      if (code === 'EACCES' || code === 'EPERM') return 'is not readable';
      return `cannot be read (${code ?? (error as Error).message})`;
    }
  })();
  if (problem !== null) {
    throw new DatasetError(
      `--data-dir ${dataDir} ${problem}; pass a readable folder that holds the IDX files`,
      dataDir,
    );
  }
}

/**
 * What a run of `config` loads, and the key under which runs can share the loaded dataset.
 * Synthetic data are generated at the run's limits (for it a limit is the size generated);
 * every other dataset is loaded whole and each run takes the first examples it asks for, so
 * a limit larger than the split is an error when the run starts.
 */
export function runDataLoad(config: {
  dataset: DatasetName;
  dataDir?: string;
  trainLimit?: number;
  testLimit?: number;
}): { options: LoadOptions; key: string } {
  const generated = config.dataset === 'synthetic';
  const sizes = generated ? { trainLimit: config.trainLimit, testLimit: config.testLimit } : {};
  const options: LoadOptions = { ...(config.dataDir !== undefined ? { dataDir: config.dataDir } : {}), ...sizes };
  return { options, key: JSON.stringify([config.dataset, options]) };
}

/** Loads a dataset by name; every problem is a {@link DatasetError} with a one-line message. */
export async function loadDataset(name: DatasetName, options: LoadOptions = {}): Promise<Dataset> {
  if (options.dataDir !== undefined) checkDataDir(options.dataDir);
  switch (name) {
    case 'mnist-digits':
      return loadMnistDigits(options);
    case 'fashion-mnist':
    case 'mnist':
      return loadIdxDataset(name, options);
    case 'synthetic':
      return loadSynthetic(options);
    default:
      throw new DatasetError(`Unknown dataset ${JSON.stringify(name)} (expected one of: ${DATASET_NAMES.join(', ')})`);
  }
}
