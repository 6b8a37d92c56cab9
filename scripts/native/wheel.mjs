// @ts-check
/**
 * Reads just the parts of a tensorflow-cpu wheel (a zip file, ZIP64 at about 250 MB) that
 * tfjs-node needs: the two shared libraries and the closure of C headers its binding includes.
 * The zip is read with yauzl (entries streamed, never read whole; sizes checked), and each
 * library's SHA-256 is checked against the wheel's own RECORD, so a truncated or damaged
 * wheel is a {@link WheelError}, never a half-extracted library.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';

/** Where the libraries and headers live inside the wheel. */
export const WHEEL_LIBRARIES = ['tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2'];
const WHEEL_INCLUDE = 'tensorflow/include/';

/** A wheel that cannot be used: not a zip, truncated, or not matching its own RECORD. */
export class WheelError extends Error {}

/** @typedef {import('yauzl').ZipFile} ZipFile */
/** @typedef {import('yauzl').Entry} Entry */
/** @typedef {Map<string, Entry>} Entries */

/**
 * @param {string} file
 * @returns {Promise<ZipFile>}
 */
function openZip(file) {
  return new Promise((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true, autoClose: false }, (error, zip) => (error ? reject(error) : resolve(zip))),
  );
}

/**
 * Every entry of the zip's central directory, by name.
 * @param {ZipFile} zip
 * @returns {Promise<Entries>}
 */
function readEntries(zip) {
  return new Promise((resolve, reject) => {
    /** @type {Entries} */
    const entries = new Map();
    zip.on('entry', (entry) => {
      entries.set(entry.fileName, entry);
      zip.readEntry();
    });
    zip.once('end', () => resolve(entries));
    zip.once('error', reject);
    zip.readEntry();
  });
}

/**
 * @param {ZipFile} zip
 * @param {Entry} entry
 * @returns {Promise<import('node:stream').Readable>}
 */
function openEntry(zip, entry) {
  return new Promise((resolve, reject) =>
    zip.openReadStream(entry, (error, stream) => (error ? reject(error) : resolve(stream))),
  );
}

/**
 * @param {ZipFile} zip
 * @param {Entry} entry
 */
async function entryBuffer(zip, entry) {
  /** @type {Buffer[]} */
  const chunks = [];
  for await (const chunk of await openEntry(zip, entry)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/**
 * The wheel's RECORD (PEP 376/427): file -> SHA-256 in hex.
 * @param {ZipFile} zip
 * @param {Entries} entries
 */
async function recordHashes(zip, entries) {
  /** @type {Map<string, string>} */
  const hashes = new Map();
  const record = [...entries.entries()].find(([file]) => /^[^/]+\.dist-info\/RECORD$/.test(file))?.[1];
  if (!record) return hashes;
  for (const line of (await entryBuffer(zip, record)).toString('utf8').split('\n')) {
    const [file, hash] = line.split(',');
    if (hash?.startsWith('sha256=')) hashes.set(file, Buffer.from(hash.slice(7), 'base64url').toString('hex'));
  }
  return hashes;
}

/**
 * Streams `entry` to `target`, returning the SHA-256 of what was written.
 * @param {ZipFile} zip
 * @param {Entry} entry
 * @param {string} target
 */
async function extractEntry(zip, entry, target) {
  const hash = crypto.createHash('sha256');
  const tap = new Transform({
    transform(chunk, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  fs.mkdirSync(path.dirname(target), { recursive: true });
  await pipeline(await openEntry(zip, entry), tap, fs.createWriteStream(target));
  return hash.digest('hex');
}

const INCLUDE_RE = /^\s*#\s*include\s+"([^"]+)"/gm;

/**
 * The quoted includes of a C/C++ source that exist under the wheel's include directory.
 * @param {string} source
 * @param {Entries} entries
 */
function wheelIncludes(source, entries) {
  /** @type {string[]} */
  const found = [];
  for (const match of source.matchAll(INCLUDE_RE)) {
    if (entries.has(WHEEL_INCLUDE + match[1])) found.push(match[1]);
  }
  return found;
}

/**
 * @param {ZipFile} zip
 * @param {Entries} entries
 * @param {string} destination
 * @param {string} wheelName
 */
async function extractLibraries(zip, entries, destination, wheelName) {
  const hashes = await recordHashes(zip, entries);
  /** @type {Record<string, { wheelSha256: string, verifiedByRecord: boolean }>} */
  const libraries = {};
  for (const name of WHEEL_LIBRARIES) {
    const entry = entries.get(name);
    if (!entry) throw new WheelError(`${wheelName} has no ${name} (a tensorflow-cpu >= 2.12 wheel is needed)`);
    const sha256 = await extractEntry(zip, entry, path.join(destination, 'lib', path.basename(name)));
    const expected = hashes.get(name);
    if (expected !== undefined && expected !== sha256) {
      throw new WheelError(`${name} in ${wheelName} does not match the SHA-256 its RECORD lists (a damaged wheel)`);
    }
    libraries[path.basename(name)] = { wheelSha256: sha256, verifiedByRecord: expected !== undefined };
  }
  return libraries;
}

/**
 * @param {ZipFile} zip
 * @param {Entries} entries
 * @param {string} destination
 * @param {readonly string[]} roots
 */
async function extractHeaders(zip, entries, destination, roots) {
  const pending = roots.flatMap((source) => wheelIncludes(source, entries));
  /** @type {Set<string>} */
  const headers = new Set();
  for (let header = pending.pop(); header !== undefined; header = pending.pop()) {
    if (headers.has(header)) continue;
    headers.add(header);
    // wheelIncludes lists only headers that are entries of the wheel.
    const content = await entryBuffer(zip, /** @type {Entry} */ (entries.get(WHEEL_INCLUDE + header)));
    const target = path.join(destination, 'include', header);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, content);
    pending.push(...wheelIncludes(content.toString('utf8'), entries));
  }
  if (headers.size === 0) throw new WheelError("found none of the binding's TensorFlow headers in the wheel");
  return [...headers].sort();
}

/**
 * A file-system error of this machine (a full disk, no permission), as opposed to a damaged
 * wheel: any error of a system call, except a wheel that is not there (ENOENT outside
 * `destination`). Node's recursive mkdir says ENOENT on a read-only disk, so ENOENT inside
 * `destination` is this machine's too.
 * @param {any} error
 * @param {string} destination
 */
const isLocalFsError = (error, destination) =>
  typeof error?.syscall === 'string' &&
  (error.code !== 'ENOENT' ||
    (typeof error.path === 'string' && !path.relative(destination, error.path).startsWith('..')));

/**
 * Extracts from `wheelPath` into `destination`: lib/<the two libraries> and include/<the
 * header closure of the C sources in `roots>`. Returns { headers, libraries }. A wheel that
 * cannot be read or does not match its RECORD throws a {@link WheelError}.
 * @param {string} wheelPath
 * @param {string} destination
 * @param {readonly string[]} roots
 */
export async function extractWheel(wheelPath, destination, roots) {
  const wheelName = path.basename(wheelPath);
  let zip;
  try {
    zip = await openZip(wheelPath);
    const entries = await readEntries(zip);
    const libraries = await extractLibraries(zip, entries, destination, wheelName);
    const headers = await extractHeaders(zip, entries, destination, roots);
    return { headers, libraries };
  } catch (error) {
    if (error instanceof WheelError || isLocalFsError(error, destination)) throw error;
    throw new WheelError(
      `${wheelName} cannot be read (${error instanceof Error ? error.message : error}): it is truncated or damaged`,
    );
  } finally {
    zip?.close();
  }
}
