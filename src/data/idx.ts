/**
 * The IDX file format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/):
 *
 *   bytes 0-1  zero
 *   byte  2    element type (0x08 unsigned byte, 0x09 signed byte, 0x0B int16, 0x0C int32,
 *              0x0D float32, 0x0E float64)
 *   byte  3    number of dimensions d
 *   then d big-endian uint32 sizes, then prod(sizes) elements, row-major.
 *
 * Only unsigned bytes are read (that is what the image and label files hold). Files may be
 * gzip-compressed (detected by content, not by name). Anything that does not match the header
 * exactly is a {@link DatasetError} naming the file and the problem: a short file never becomes
 * a silently short dataset.
 */
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { DatasetError } from './errors.js';

const gunzipAsync = promisify(gunzip);

export const IDX_UBYTE = 0x08;

const ELEMENT_TYPES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

/** The contents of an unsigned-byte IDX file. */
export interface IdxArray {
  /** Sizes of each dimension, outermost first (e.g. [60000, 28, 28] for images). */
  shape: number[];
  /** prod(shape) values, row-major. */
  data: Uint8Array;
}

function hex(byte: number): string {
  return `0x${byte.toString(16).padStart(2, '0').toUpperCase()}`;
}

/**
 * Parses the bytes of an (uncompressed) unsigned-byte IDX file. `name` is used in error
 * messages only.
 */
export function parseIdx(bytes: Uint8Array, name: string): IdxArray {
  const fail = (problem: string): never => {
    throw new DatasetError(`${name}: ${problem}`, name);
  };
  if (bytes.length < 4) fail(`truncated: ${bytes.length} bytes, too short for an IDX header (4 bytes at least)`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join('');
    fail(
      `bad magic number 0x${magic.toUpperCase()}: not an IDX file (expected 0x0000 followed by type and rank, e.g. 0x00000803)`,
    );
  }
  const type = bytes[2];
  if (type !== IDX_UBYTE) {
    const known = ELEMENT_TYPES[type];
    fail(
      known
        ? `element type ${hex(type)} (${known}) is not supported; expected ${hex(IDX_UBYTE)} (unsigned byte)`
        : `unknown element type ${hex(type)}; expected ${hex(IDX_UBYTE)} (unsigned byte)`,
    );
  }
  const rank = bytes[3];
  if (rank === 0) fail('the header declares 0 dimensions');
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    fail(
      `truncated: the header declares ${rank} dimensions (${headerBytes} header bytes) but the file has ${bytes.length} bytes`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let d = 0; d < rank; d++) {
    const size = view.getUint32(4 + 4 * d, false);
    if (size === 0) fail(`dimension ${d} has size 0`);
    shape.push(size);
  }
  const expected = shape.reduce((a, b) => a * b, 1);
  const payload = bytes.length - headerBytes;
  if (payload < expected) {
    fail(`truncated: the header says ${shape.join('x')} = ${expected} bytes of data but the file has ${payload}`);
  }
  if (payload > expected) {
    fail(
      `corrupt: ${payload - expected} unexpected bytes after the ${shape.join('x')} = ${expected} bytes the header declares`,
    );
  }
  return { shape, data: bytes.subarray(headerBytes) };
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Reads an unsigned-byte IDX file, raw or gzip-compressed. */
export async function readIdx(path: string): Promise<IdxArray> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DatasetError(`${path}: cannot be read (${reason})`, path);
  }
  if (isGzip(bytes)) {
    try {
      bytes = await gunzipAsync(bytes);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new DatasetError(`${path}: corrupt gzip data (${reason}); delete it and fetch it again`, path);
    }
  }
  return parseIdx(bytes, path);
}
