/**
 * A cheap check of the native files tfjs-node is about to load, made before it is loaded: a
 * truncated shared library or binding does not throw when loaded, it kills the process with
 * SIGBUS at the first page that is missing. An ELF file records where its program segments
 * and section headers end; a file shorter than that is damaged. Reading its headers costs a
 * few kilobytes per file. Loads no TensorFlow.
 */
import fs from 'node:fs';
import path from 'node:path';

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

function readAt(fd: number, offset: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  const read = fs.readSync(fd, buffer, 0, length, offset);
  return buffer.subarray(0, read);
}

/** The byte count a 64-bit little-endian ELF file must have: the end of its last segment or section table. */
function elfEnd(fd: number, header: Buffer): number {
  const programOffset = Number(header.readBigUInt64LE(0x20));
  const sectionOffset = Number(header.readBigUInt64LE(0x28));
  const programEntrySize = header.readUInt16LE(0x36);
  const programCount = header.readUInt16LE(0x38);
  const sectionEntrySize = header.readUInt16LE(0x3a);
  const sectionCount = header.readUInt16LE(0x3c);
  let end = Math.max(
    64,
    sectionOffset + sectionCount * sectionEntrySize,
    programOffset + programCount * programEntrySize,
  );
  const table = readAt(fd, programOffset, programCount * programEntrySize);
  for (let i = 0; i + programEntrySize <= table.length && programEntrySize >= 56; i += programEntrySize) {
    const fileOffset = Number(table.readBigUInt64LE(i + 8));
    const fileSize = Number(table.readBigUInt64LE(i + 32));
    end = Math.max(end, fileOffset + fileSize);
  }
  return end;
}

/** Why `file` cannot be a loadable ELF shared object (missing, not ELF, truncated), or null. */
export function elfProblem(file: string): string | null {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (error) {
    return `${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
  }
  try {
    const size = fs.fstatSync(fd).size;
    const header = readAt(fd, 0, 64);
    if (header.length < 64 || !header.subarray(0, 4).equals(ELF_MAGIC)) return `${file} is not an ELF shared library`;
    // 64-bit little-endian only (linux-x64, linux-arm64); other layouts are left to the loader.
    if (header[4] !== 2 || header[5] !== 1) return null;
    const needed = elfEnd(fd, header);
    return size < needed ? `${file} is truncated (${size} bytes, its headers need ${needed})` : null;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The first damaged native file of the tfjs-node package in `packageDir` (its binding
 * lib/napi-v<N>/<name>.node and the libraries in deps/lib), or null when all look whole.
 * Only checked on Linux, where these are ELF files.
 */
export function damagedNativeFile(packageDir: string): string | null {
  if (process.platform !== 'linux') return null;
  const files: string[] = [];
  const libDir = path.join(packageDir, 'lib');
  for (const entry of fs.existsSync(libDir) ? fs.readdirSync(libDir) : []) {
    const dir = path.join(libDir, entry);
    if (!/^napi-v\d+$/.test(entry) || !fs.statSync(dir).isDirectory()) continue;
    for (const name of fs.readdirSync(dir)) if (name.endsWith('.node')) files.push(path.join(dir, name));
  }
  const depsLib = path.join(packageDir, 'deps', 'lib');
  for (const name of fs.existsSync(depsLib) ? fs.readdirSync(depsLib) : []) {
    const file = path.join(depsLib, name);
    // Symbolic links point at the sonames, which are checked themselves.
    if (/\.so(\.|$)/.test(name) && fs.lstatSync(file).isFile()) files.push(file);
  }
  for (const file of files) {
    const problem = elfProblem(file);
    if (problem !== null) return problem;
  }
  return null;
}
