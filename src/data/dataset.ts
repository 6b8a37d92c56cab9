/** Assembles a {@link Dataset} and its split record from two splits, in one place. */
import { classCounts } from './split.js';
import { IMAGE_SHAPE, NUM_CLASSES, type Dataset, type DatasetName, type Split, type SplitInfo } from './types.js';

export interface DatasetParts {
  name: DatasetName;
  classNames: readonly string[];
  train: Split;
  test: Split;
  source: string;
  method: SplitInfo['method'];
  seed: number | null;
  stratified: boolean;
  trainLimit: number | null;
  testLimit: number | null;
}

export function assembleDataset(parts: DatasetParts): Dataset {
  const { train, test } = parts;
  return {
    name: parts.name,
    imageShape: [...IMAGE_SHAPE],
    numClasses: NUM_CLASSES,
    classNames: [...parts.classNames],
    train,
    test,
    source: parts.source,
    split: {
      method: parts.method,
      seed: parts.seed,
      stratified: parts.stratified,
      trainSize: train.count,
      testSize: test.count,
      trainClassCounts: classCounts(train.labels),
      testClassCounts: classCounts(test.labels),
      trainLimit: parts.trainLimit,
      testLimit: parts.testLimit,
    },
  };
}
