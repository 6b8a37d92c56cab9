/** Builders of small IDX files for the data tests. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** The bytes of an IDX file: 0, 0, type, rank, big-endian sizes, payload. */
export function idxBytes(shape: number[], payload: Uint8Array, type = 0x08): Uint8Array {
  const header = new Uint8Array(4 + 4 * shape.length);
  const view = new DataView(header.buffer);
  header[2] = type;
  header[3] = shape.length;
  shape.forEach((size, d) => view.setUint32(4 + 4 * d, size, false));
  const bytes = new Uint8Array(header.length + payload.length);
  bytes.set(header);
  bytes.set(payload, header.length);
  return bytes;
}

/** `count` 28x28 images whose pixel p of image i is (i + p) mod 256, and labels i mod 10. */
export function tinyImages(count: number): { images: Uint8Array; labels: Uint8Array } {
  const images = new Uint8Array(count * 784);
  for (let i = 0; i < images.length; i++) images[i] = (Math.floor(i / 784) + (i % 784)) % 256;
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
  return { images, labels };
}

/** Writes a complete IDX dataset (train/t10k images and labels) into `directory`. */
export async function writeIdxDataset(
  directory: string,
  trainCount: number,
  testCount: number,
  gzip = true,
): Promise<void> {
  await mkdir(directory, { recursive: true });
  const suffix = gzip ? '.gz' : '';
  const encode = (bytes: Uint8Array) => (gzip ? gzipSync(bytes) : bytes);
  for (const [prefix, count] of [
    ['train', trainCount],
    ['t10k', testCount],
  ] as const) {
    const { images, labels } = tinyImages(count);
    await writeFile(join(directory, `${prefix}-images-idx3-ubyte${suffix}`), encode(idxBytes([count, 28, 28], images)));
    await writeFile(join(directory, `${prefix}-labels-idx1-ubyte${suffix}`), encode(idxBytes([count], labels)));
  }
}
