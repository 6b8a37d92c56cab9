/**
 * How a run's pixels are scaled before the model sees them. Every loader gives grey levels in
 * [0, 1]; a run may instead train on
 *
 * - `standardized`: each pixel minus its mean, divided by its standard deviation, both over the
 *   examples the run trains on (never its held-out split), as scikit-learn's StandardScaler:
 *   population sd, and a pixel that never varies in training (sd 0) is only centred;
 * - `raw`: the grey levels 0..255 of the IDX files (x 255; exact for IDX data, whose values
 *   are k / 255).
 *
 * The held-out split gets the training split's transformation. Plain arithmetic on the
 * Float32Arrays, in float64 where statistics are summed: no TensorFlow.
 */
import type { Split } from './types.js';

export const INPUT_SCALINGS = ['unit', 'standardized', 'raw'] as const;
export type InputScaling = (typeof INPUT_SCALINGS)[number];

/** Per-pixel mean and population standard deviation of a split's images. */
export function pixelStatistics(split: Split): { mean: Float64Array; sd: Float64Array } {
  const pixels = split.images.length / split.count;
  const mean = new Float64Array(pixels);
  const squares = new Float64Array(pixels);
  for (let i = 0; i < split.count; i++) {
    const offset = i * pixels;
    for (let p = 0; p < pixels; p++) mean[p] += split.images[offset + p];
  }
  for (let p = 0; p < pixels; p++) mean[p] /= split.count;
  for (let i = 0; i < split.count; i++) {
    const offset = i * pixels;
    for (let p = 0; p < pixels; p++) squares[p] += (split.images[offset + p] - mean[p]) ** 2;
  }
  const sd = squares.map((sum) => Math.sqrt(sum / split.count));
  return { mean, sd };
}

function mapped(split: Split, pixel: (value: number, p: number) => number): Split {
  const pixels = split.images.length / split.count;
  const images = new Float32Array(split.images.length);
  for (let i = 0; i < images.length; i++) images[i] = pixel(split.images[i], i % pixels);
  return { ...split, images };
}

/**
 * The (train, held-out) pair scaled as `inputs` says; `unit` returns the splits themselves.
 * New splits never share their images with the ones given.
 */
export function scaleInputs(inputs: InputScaling, train: Split, heldOut: Split): { train: Split; heldOut: Split } {
  switch (inputs) {
    case 'unit':
      return { train, heldOut };
    case 'raw': {
      const raw = (split: Split) => mapped(split, (value) => value * 255);
      return { train: raw(train), heldOut: raw(heldOut) };
    }
    case 'standardized': {
      const { mean, sd } = pixelStatistics(train);
      const scale = sd.map((value) => (value > 0 ? 1 / value : 1));
      const standardize = (split: Split) => mapped(split, (value, p) => (value - mean[p]) * scale[p]);
      return { train: standardize(train), heldOut: standardize(heldOut) };
    }
  }
}
