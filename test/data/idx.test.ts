import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetError, readIdx, readIdxPair } from '../../src/data/index.js';
import { idxBytes, tinyImages } from './idxFixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inertia-idx-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(name: string, bytes: Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

/** The DatasetError a promise rejects with. */
async function failure(promise: Promise<unknown>): Promise<DatasetError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DatasetError);
  return error as DatasetError;
}

describe('readIdx on good files', () => {
  const payload = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => i * 10);

  it.each([
    ['raw', (b: Uint8Array) => b],
    ['gzip', (b: Uint8Array) => gzipSync(b)],
  ])('reads a %s 2x3x4 file: shape and every byte', async (kind, encode) => {
    const path = await write(`good-${kind}`, encode(idxBytes([2, 3, 4], payload)));
    const idx = await readIdx(path);
    expect(idx.shape).toEqual([2, 3, 4]);
    expect(Array.from(idx.data)).toEqual(Array.from(payload));
    expect(idx.data[23]).toBe(230);
  });

  it('reads an images/labels pair into pixels in [0, 1]', async () => {
    const { images, labels } = tinyImages(3);
    const imagesPath = await write('pair-images.gz', gzipSync(idxBytes([3, 28, 28], images)));
    const labelsPath = await write('pair-labels', idxBytes([3], labels));
    const split = await readIdxPair(imagesPath, labelsPath);
    expect(split.count).toBe(3);
    expect(split.images.length).toBe(3 * 784);
    expect(Array.from(split.labels)).toEqual([0, 1, 2]);
    // image 1, pixel 254: (1 + 254) mod 256 = 255 -> 1.0; image 2, pixel 254: 256 mod 256 = 0 -> 0
    expect(split.images[784 + 254]).toBe(1);
    expect(split.images[2 * 784 + 254]).toBe(0);
    expect(split.images[10]).toBeCloseTo(10 / 255, 7);
  });
});

describe('readIdx on corrupt files: one DatasetError naming the file and the problem', () => {
  it('bad magic number', async () => {
    const bytes = idxBytes([2], new Uint8Array(2));
    bytes[0] = 0x12;
    bytes[1] = 0x34;
    const path = await write('bad-magic', bytes);
    const error = await failure(readIdx(path));
    expect(error.message).toBe(
      `${path}: bad magic number 0x12340801: not an IDX file (expected 0x0000 followed by type and rank, e.g. 0x00000803)`,
    );
    expect(error.file).toBe(path);
  });

  it('wrong element type (float32)', async () => {
    const path = await write('float', idxBytes([2], new Uint8Array(8), 0x0d));
    const error = await failure(readIdx(path));
    expect(error.message).toBe(`${path}: element type 0x0D (float32) is not supported; expected 0x08 (unsigned byte)`);
  });

  it('unknown element type', async () => {
    const path = await write('type-42', idxBytes([2], new Uint8Array(2), 0x42));
    expect((await failure(readIdx(path))).message).toBe(
      `${path}: unknown element type 0x42; expected 0x08 (unsigned byte)`,
    );
  });

  it('truncated payload (raw)', async () => {
    const full = idxBytes([2, 28, 28], new Uint8Array(1568));
    const path = await write('truncated', full.subarray(0, 16 + 1000));
    expect((await failure(readIdx(path))).message).toBe(
      `${path}: truncated: the header says 2x28x28 = 1568 bytes of data but the file has 1000`,
    );
  });

  it('truncated header', async () => {
    const path = await write('short-header', idxBytes([2, 28, 28], new Uint8Array(0)).subarray(0, 10));
    expect((await failure(readIdx(path))).message).toBe(
      `${path}: truncated: the header declares 3 dimensions (16 header bytes) but the file has 10 bytes`,
    );
  });

  it('a file of 2 bytes', async () => {
    const path = await write('tiny', new Uint8Array([0, 0]));
    expect((await failure(readIdx(path))).message).toBe(
      `${path}: truncated: 2 bytes, too short for an IDX header (4 bytes at least)`,
    );
  });

  it('truncated gzip stream', async () => {
    const gz = gzipSync(idxBytes([100], new Uint8Array(100).fill(7)));
    const path = await write('truncated.gz', gz.subarray(0, gz.length - 12));
    expect((await failure(readIdx(path))).message).toBe(
      `${path}: corrupt gzip data (unexpected end of file); delete it and fetch it again`,
    );
  });

  it('trailing bytes after the declared data', async () => {
    const path = await write('trailing', idxBytes([4], new Uint8Array(7)));
    expect((await failure(readIdx(path))).message).toBe(
      `${path}: corrupt: 3 unexpected bytes after the 4 = 4 bytes the header declares`,
    );
  });

  it('a zero dimension', async () => {
    const path = await write('zero-dim', idxBytes([0, 28, 28], new Uint8Array(0)));
    expect((await failure(readIdx(path))).message).toBe(`${path}: dimension 0 has size 0`);
  });

  it('a missing file', async () => {
    const path = join(dir, 'does-not-exist.gz');
    expect((await failure(readIdx(path))).message).toMatch(new RegExp(`^${path}: cannot be read \\(ENOENT`));
  });

  it('images and labels counts that differ', async () => {
    const { images, labels } = tinyImages(3);
    const imagesPath = await write('mismatch-images', idxBytes([3, 28, 28], images));
    const labelsPath = await write('mismatch-labels', idxBytes([2], labels.subarray(0, 2)));
    expect((await failure(readIdxPair(imagesPath, labelsPath))).message).toBe(
      `${labelsPath}: 2 labels but ${imagesPath} has 3 images; the two files do not belong together`,
    );
  });

  it('images that are not 28x28', async () => {
    const imagesPath = await write('small-images', idxBytes([2, 14, 14], new Uint8Array(2 * 196)));
    const labelsPath = await write('small-labels', idxBytes([2], new Uint8Array(2)));
    expect((await failure(readIdxPair(imagesPath, labelsPath))).message).toBe(
      `${imagesPath}: images must have shape Nx28x28, the header says 2x14x14`,
    );
  });

  it('a label outside 0..9', async () => {
    const { images } = tinyImages(2);
    const imagesPath = await write('l-images', idxBytes([2, 28, 28], images));
    const labelsPath = await write('l-labels', idxBytes([2], Uint8Array.from([3, 11])));
    expect((await failure(readIdxPair(imagesPath, labelsPath))).message).toBe(
      `${labelsPath}: label 11 at index 1 is not a class 0..9`,
    );
  });
});

describe('readIdx bounds: a gzip bomb or a huge header stops at once with one line', () => {
  it('gzip data that inflates past the size its header declares (a few MB of zeros behind a 100-byte header)', async () => {
    const bomb = gzipSync(Buffer.concat([idxBytes([100], new Uint8Array(100)), Buffer.alloc(8 * 2 ** 20)]));
    expect(bomb.length).toBeLessThan(20_000);
    const path = await write('bomb.gz', bomb);
    expect((await failure(readIdx(path))).message).toBe(
      `${path}: corrupt: the gzip data inflates to more than the 108 bytes its header declares; delete it and fetch it again`,
    );
  });

  it('a header that declares more than the cap is refused before its data is inflated', async () => {
    const path = await write('large.gz', gzipSync(idxBytes([100, 100], new Uint8Array(10_000))));
    expect((await failure(readIdx(path, 5000))).message).toBe(
      `${path}: the header declares 10012 bytes, more than the 5000 bytes inertia reads from an IDX file; delete it and fetch it again`,
    );
  });

  it('a raw file larger than the cap, and a file that is not a regular file', async () => {
    const path = await write('large-raw', idxBytes([100, 100], new Uint8Array(10_000)));
    expect((await failure(readIdx(path, 5000))).message).toBe(
      `${path}: 10012 bytes, more than the 5000 bytes inertia reads from an IDX file`,
    );
    expect((await failure(readIdx('/dev/zero'))).message).toBe('/dev/zero: not a regular file; point to an IDX file');
  });
});
