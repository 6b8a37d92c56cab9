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
 * a silently short dataset. Reading is bounded: a file must be a regular file of at most
 * {@link MAX_IDX_BYTES}, and a compressed one is inflated only up to the size its header
 * declares (a gzip bomb stops at once instead of filling memory).
 */
import { readFile, stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { DatasetError } from './errors.js';

/** The largest IDX file read, compressed or inflated: 1 GiB (MNIST's largest file is 47 MB inflated). */
export const MAX_IDX_BYTES = 2 ** 30;

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

/**
 * What the start of an IDX file tells about its size: `invalid` when the header is not one
 * {@link parseIdx} accepts (it then names the problem), `unknown` while `head` is shorter than
 * the header, else the size the header declares (header and data).
 */
function declaredIdxBytes(head: Uint8Array): number | 'invalid' | 'unknown' {
  if (head.length < 4) return 'unknown';
  if (head[0] !== 0 || head[1] !== 0 || head[2] !== IDX_UBYTE || head[3] === 0) return 'invalid';
  const headerBytes = 4 + 4 * head[3];
  if (head.length < headerBytes) return 'unknown';
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let elements = 1;
  for (let d = 0; d < head[3]; d++) elements *= view.getUint32(4 + 4 * d, false);
  return elements === 0 ? 'invalid' : headerBytes + elements;
}

/**
 * Inflates the gzip `bytes` of an IDX file, stopping as soon as the output passes the size its
 * header declares (a header that declares more than `maxBytes` is refused before any data).
 * An invalid header stops the inflation too: what was inflated goes to {@link parseIdx}, which
 * names the problem.
 */
function gunzipIdx(bytes: Uint8Array, name: string, maxBytes: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const gunzip = createGunzip();
    const chunks: Buffer[] = [];
    let total = 0;
    let limit: number | null = null;
    let settled = false;
    const finish = (error: DatasetError | null) => {
      if (settled) return;
      settled = true;
      gunzip.destroy();
      if (error) reject(error);
      else resolve(Buffer.concat(chunks, total));
    };
    const fail = (problem: string) =>
      finish(new DatasetError(`${name}: ${problem}; delete it and fetch it again`, name));
    gunzip.on('data', (chunk: Buffer) => {
      if (settled) return;
      chunks.push(chunk);
      total += chunk.length;
      if (limit === null) {
        const declared = declaredIdxBytes(Buffer.concat(chunks, total));
        if (declared === 'invalid') return finish(null);
        if (declared !== 'unknown' && declared > maxBytes) {
          return fail(
            `the header declares ${declared} bytes, more than the ${maxBytes} bytes inertia reads from an IDX file`,
          );
        }
        if (declared !== 'unknown') limit = declared;
      }
      if (limit !== null && total > limit) {
        fail(`corrupt: the gzip data inflates to more than the ${limit} bytes its header declares`);
      } else if (limit === null && total > maxBytes) {
        fail(`corrupt: the gzip data inflates to more than ${maxBytes} bytes`);
      }
    });
    gunzip.on('end', () => finish(null));
    gunzip.on('error', (error) => fail(`corrupt gzip data (${error.message})`));
    gunzip.end(bytes);
  });
}

/** The file's bytes after checking it is a regular file of at most `maxBytes`. */
async function readIdxFile(path: string, maxBytes: number): Promise<Uint8Array> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new DatasetError(`${path}: not a regular file; point to an IDX file`, path);
    if (info.size > maxBytes) {
      throw new DatasetError(
        `${path}: ${info.size} bytes, more than the ${maxBytes} bytes inertia reads from an IDX file`,
        path,
      );
    }
    return await readFile(path);
  } catch (error) {
    if (error instanceof DatasetError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new DatasetError(`${path}: cannot be read (${reason})`, path);
  }
}

/**
 * Reads an unsigned-byte IDX file, raw or gzip-compressed; neither the file nor its inflated
 * content may exceed `maxBytes` (default {@link MAX_IDX_BYTES}).
 */
export async function readIdx(path: string, maxBytes = MAX_IDX_BYTES): Promise<IdxArray> {
  let bytes = await readIdxFile(path, maxBytes);
  if (isGzip(bytes)) bytes = await gunzipIdx(bytes, path, maxBytes);
  return parseIdx(bytes, path);
}
