/**
 * `synthetic`: a small seeded MNIST-shaped task for fast tests. Ten class prototypes, each
 * three Gaussian blobs (radius 2-4 px) on a dark 28x28 field; an example is its class
 * prototype with a random contrast in [0.6, 1.0], shifted by up to 3 px in each direction,
 * plus pixel noise N(0, 0.3^2), clipped to [0, 1]. Logistic regression with plain SGD
 * (lr 0.5, batch 50) reaches about 92% test accuracy after 50 steps and 96% after 300 (seed
 * 1): learnable, but not solved in the first few steps.
 *
 * The prototypes, the training examples and the test examples come from three independent
 * streams derived from the seed, so changing the training size leaves the test set alone.
 */
import { assembleDataset } from './dataset.js';
import { checkLimit } from './split.js';
import {
  checkSeed,
  deriveSeed,
  randomInt,
  randomNormal,
  seededRandom,
  shuffleInPlace,
  type Random,
} from '../util/random.js';
import { IMAGE_SIZE, NUM_CLASSES, type Dataset, type LoadOptions, type Split } from './types.js';

export const SYNTHETIC_TRAIN_SIZE = 2000;
export const SYNTHETIC_TEST_SIZE = 500;
export const SYNTHETIC_DEFAULT_SEED = 0;
const BLOBS_PER_CLASS = 3;
const NOISE_STDDEV = 0.3;
const MAX_SHIFT = 3;

function prototypes(random: Random): Float32Array[] {
  return Array.from({ length: NUM_CLASSES }, () => {
    const image = new Float32Array(IMAGE_SIZE);
    for (let blob = 0; blob < BLOBS_PER_CLASS; blob++) {
      const row = 4 + randomInt(random, 20);
      const column = 4 + randomInt(random, 20);
      const radius = 2 + 2 * random();
      for (let r = 0; r < 28; r++) {
        for (let c = 0; c < 28; c++) {
          const d2 = (r - row) ** 2 + (c - column) ** 2;
          const pixel = r * 28 + c;
          image[pixel] = Math.max(image[pixel], Math.exp(-d2 / (2 * radius * radius)));
        }
      }
    }
    return image;
  });
}

function sample(templates: Float32Array[], count: number, random: Random): Split {
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) labels[i] = i % NUM_CLASSES;
  shuffleInPlace(labels, random);
  const images = new Float32Array(count * IMAGE_SIZE);
  for (let i = 0; i < count; i++) {
    const template = templates[labels[i]];
    const contrast = 0.6 + 0.4 * random();
    const shiftRow = randomInt(random, 2 * MAX_SHIFT + 1) - MAX_SHIFT;
    const shiftColumn = randomInt(random, 2 * MAX_SHIFT + 1) - MAX_SHIFT;
    for (let r = 0; r < 28; r++) {
      for (let c = 0; c < 28; c++) {
        const sr = r - shiftRow;
        const sc = c - shiftColumn;
        const clean = sr >= 0 && sr < 28 && sc >= 0 && sc < 28 ? contrast * template[sr * 28 + sc] : 0;
        const value = clean + NOISE_STDDEV * randomNormal(random);
        images[i * IMAGE_SIZE + r * 28 + c] = Math.min(1, Math.max(0, value));
      }
    }
  }
  return { images, labels, count };
}

export function loadSynthetic(options: LoadOptions = {}): Dataset {
  const seed = checkSeed(options.seed ?? SYNTHETIC_DEFAULT_SEED);
  const trainSize = checkLimit(options.trainLimit, 'trainLimit', null, 'synthetic') ?? SYNTHETIC_TRAIN_SIZE;
  const testSize = checkLimit(options.testLimit, 'testLimit', null, 'synthetic') ?? SYNTHETIC_TEST_SIZE;
  const templates = prototypes(seededRandom(deriveSeed(seed, 'synthetic/prototypes')));
  const train = sample(templates, trainSize, seededRandom(deriveSeed(seed, 'synthetic/train')));
  const test = sample(templates, testSize, seededRandom(deriveSeed(seed, 'synthetic/test')));
  return assembleDataset({
    name: 'synthetic',
    classNames: Array.from({ length: NUM_CLASSES }, (_, k) => `class ${k}`),
    train,
    test,
    source: `generated (seed ${seed}: ${BLOBS_PER_CLASS} Gaussian blobs per class prototype, contrast 0.6-1.0, shifts up to ${MAX_SHIFT} px, noise sd ${NOISE_STDDEV})`,
    method: 'generated',
    seed,
    stratified: true,
    trainLimit: options.trainLimit ?? null,
    testLimit: options.testLimit ?? null,
  });
}
