/**
 * Reads just the parts of a tensorflow-cpu wheel (a zip file) that tfjs-node needs: the
 * two shared libraries and the closure of C headers its binding includes. Node built-ins
 * only; the wheel is about 250 MB, so entries are streamed, never read whole.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { pipeline } from 'node:stream/promises';

/** Where the libraries and headers live inside the wheel. */
export const WHEEL_LIBRARIES = ['tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2'];
const WHEEL_INCLUDE = 'tensorflow/include/';

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const CENTRAL_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
const MAX_U32 = 0xffffffff;

function readAt(fd, position, length) {
  const buffer = Buffer.alloc(length);
  const read = fs.readSync(fd, buffer, 0, length, position);
  if (read !== length) throw new Error(`short read at ${position} (truncated wheel?)`);
  return buffer;
}

/** The zip's central directory as a map name -> {method, compressedSize, size, localOffset}. */
function readCentralDirectory(fd, fileSize) {
  const tailLength = Math.min(fileSize, 22 + 0xffff);
  const tail = readAt(fd, fileSize - tailLength, tailLength);
  let eocd = -1;
  for (let i = tailLength - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file (no end-of-central-directory record)');
  let count = tail.readUInt16LE(eocd + 10);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  if (cdOffset === MAX_U32 || count === 0xffff || cdSize === MAX_U32) {
    const locatorAt = fileSize - tailLength + eocd - 20;
    const locator = readAt(fd, locatorAt, 20);
    if (locator.readUInt32LE(0) !== ZIP64_LOCATOR) throw new Error('zip64 locator missing');
    const record = readAt(fd, Number(locator.readBigUInt64LE(8)), 56);
    count = Number(record.readBigUInt64LE(32));
    cdSize = Number(record.readBigUInt64LE(40));
    cdOffset = Number(record.readBigUInt64LE(48));
  }
  const cd = readAt(fd, cdOffset, cdSize);
  const entries = new Map();
  let p = 0;
  for (let n = 0; n < count; n++) {
    if (cd.readUInt32LE(p) !== CENTRAL_ENTRY) throw new Error('corrupt central directory');
    const nameLength = cd.readUInt16LE(p + 28);
    const extraLength = cd.readUInt16LE(p + 30);
    const commentLength = cd.readUInt16LE(p + 32);
    const name = cd.toString('utf8', p + 46, p + 46 + nameLength);
    const entry = {
      method: cd.readUInt16LE(p + 10),
      compressedSize: cd.readUInt32LE(p + 20),
      size: cd.readUInt32LE(p + 24),
      localOffset: cd.readUInt32LE(p + 42),
    };
    // zip64 extended information: 64-bit values for the fields that hold 0xffffffff.
    let e = p + 46 + nameLength;
    const extraEnd = e + extraLength;
    while (e + 4 <= extraEnd) {
      const id = cd.readUInt16LE(e);
      const length = cd.readUInt16LE(e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        for (const field of ['size', 'compressedSize', 'localOffset']) {
          if (entry[field] === MAX_U32) {
            entry[field] = Number(cd.readBigUInt64LE(q));
            q += 8;
          }
        }
      }
      e += 4 + length;
    }
    entries.set(name, entry);
    p = extraEnd + commentLength;
  }
  return entries;
}

function entryStream(fd, entry) {
  const local = readAt(fd, entry.localOffset, 30);
  if (local.readUInt32LE(0) !== LOCAL_HEADER) throw new Error('corrupt local header');
  const start = entry.localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
  const raw = fs.createReadStream(null, { fd, autoClose: false, start, end: start + entry.compressedSize - 1 });
  if (entry.method === 0) return [raw];
  if (entry.method === 8) return [raw, zlib.createInflateRaw()];
  throw new Error(`unsupported zip compression method ${entry.method}`);
}

async function entryBuffer(fd, entry) {
  const chunks = [];
  const streams = entryStream(fd, entry);
  await pipeline(...streams, async (source) => {
    for await (const chunk of source) chunks.push(chunk);
  });
  return Buffer.concat(chunks);
}

const INCLUDE_RE = /^\s*#\s*include\s+"([^"]+)"/gm;

/** The quoted includes of a C/C++ source that exist under the wheel's include directory. */
function wheelIncludes(source, entries) {
  const found = [];
  for (const match of source.matchAll(INCLUDE_RE)) {
    if (entries.has(WHEEL_INCLUDE + match[1])) found.push(match[1]);
  }
  return found;
}

/**
 * Extracts from `wheelPath` into `destination`: lib/<the two libraries> and include/<the
 * header closure of the C sources in `roots`>. Returns the list of headers written.
 */
export async function extractWheel(wheelPath, destination, roots) {
  const fd = fs.openSync(wheelPath, 'r');
  try {
    const entries = readCentralDirectory(fd, fs.fstatSync(fd).size);
    for (const name of WHEEL_LIBRARIES) {
      const entry = entries.get(name);
      if (!entry)
        throw new Error(`${path.basename(wheelPath)} has no ${name} (a tensorflow-cpu >= 2.12 wheel is needed)`);
      const target = path.join(destination, 'lib', path.basename(name));
      fs.mkdirSync(path.dirname(target), { recursive: true });
      await pipeline(...entryStream(fd, entry), fs.createWriteStream(target));
      if (fs.statSync(target).size !== entry.size) throw new Error(`extracting ${name} gave the wrong size`);
    }
    const pending = roots.flatMap((source) => wheelIncludes(source, entries));
    const headers = new Set();
    while (pending.length > 0) {
      const header = pending.pop();
      if (headers.has(header)) continue;
      headers.add(header);
      const content = await entryBuffer(fd, entries.get(WHEEL_INCLUDE + header));
      const target = path.join(destination, 'include', header);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, content);
      pending.push(...wheelIncludes(content.toString('utf8'), entries));
    }
    if (headers.size === 0) throw new Error("found none of the binding's TensorFlow headers in the wheel");
    return [...headers].sort();
  } finally {
    fs.closeSync(fd);
  }
}
