/** Splitting and subsetting labelled images. */
import { DatasetError } from './errors.js';
import { seededRandom, shuffleInPlace } from '../util/random.js';
import { IMAGE_SIZE, NUM_CLASSES, type Split } from './types.js';

/** Examples per class (index = label). */
export function classCounts(labels: Int32Array, numClasses = NUM_CLASSES): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (const label of labels) counts[label]++;
  return counts;
}

/**
 * How many of each class go to the training split so that the total is exactly `trainSize`
 * and each class gets its share: floor(count * trainSize / total), then the remaining places
 * to the classes with the largest remainders (ties: lower label first).
 */
export function stratifiedQuotas(counts: number[], trainSize: number): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  const exact = counts.map((c) => (c * trainSize) / total);
  const quotas = exact.map(Math.floor);
  let missing = trainSize - quotas.reduce((a, b) => a + b, 0);
  const byRemainder = exact
    .map((value, label) => ({ label, remainder: value - Math.floor(value) }))
    .sort((a, b) => b.remainder - a.remainder || a.label - b.label);
  for (const { label } of byRemainder) {
    if (missing === 0) break;
    quotas[label]++;
    missing--;
  }
  return quotas;
}

/**
 * A seeded stratified split of example indices: within each class, a seeded shuffle, the
 * first quota to train and the rest to test; then each split is shuffled (seeded) so that
 * classes are interleaved. Same labels and seed: same indices, every time.
 */
export function stratifiedSplit(
  labels: Int32Array,
  trainSize: number,
  seed: number,
): { train: Int32Array; test: Int32Array } {
  const random = seededRandom(seed);
  const byClass: number[][] = Array.from({ length: NUM_CLASSES }, () => []);
  labels.forEach((label, index) => byClass[label].push(index));
  const quotas = stratifiedQuotas(
    byClass.map((members) => members.length),
    trainSize,
  );
  const train: number[] = [];
  const test: number[] = [];
  byClass.forEach((members, label) => {
    shuffleInPlace(members, random);
    train.push(...members.slice(0, quotas[label]));
    test.push(...members.slice(quotas[label]));
  });
  shuffleInPlace(train, random);
  shuffleInPlace(test, random);
  return { train: Int32Array.from(train), test: Int32Array.from(test) };
}

/** The examples at `indices` (in that order) of a pool of images and labels. */
export function gather(images: Float32Array, labels: Int32Array, indices: Int32Array): Split {
  const count = indices.length;
  const outImages = new Float32Array(count * IMAGE_SIZE);
  const outLabels = new Int32Array(count);
  indices.forEach((source, target) => {
    outImages.set(images.subarray(source * IMAGE_SIZE, (source + 1) * IMAGE_SIZE), target * IMAGE_SIZE);
    outLabels[target] = labels[source];
  });
  return { images: outImages, labels: outLabels, count };
}

/** Checks a trainLimit/testLimit option (undefined = no limit). */
export function checkLimit(
  limit: number | undefined,
  option: 'trainLimit' | 'testLimit',
  available: number | null,
  dataset: string,
): number | null {
  if (limit === undefined) return null;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new DatasetError(`Invalid ${option}: ${limit} (expected a positive integer)`);
  }
  if (available !== null && limit > available) {
    throw new DatasetError(
      `Invalid ${option}: ${limit} (${dataset} has ${available} examples in that split; use at most ${available} or leave it unset)`,
    );
  }
  return limit;
}

/**
 * The first `limit` examples of a split (copied: tfjs gets plain arrays), or the split itself
 * when there is no limit or it covers the split.
 */
export function takeFirst(split: Split, limit: number | null | undefined): Split {
  if (limit === null || limit === undefined || limit >= split.count) return split;
  const pixels = split.images.length / split.count;
  return {
    images: split.images.slice(0, limit * pixels),
    labels: split.labels.slice(0, limit),
    count: limit,
  };
}
