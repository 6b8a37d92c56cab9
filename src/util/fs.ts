/**
 * File writing with two guarantees: a file is either absent, its old content or its complete
 * new content (temporary name, fsync, rename; the temporary file is removed on failure), and
 * every file-system failure a user can fix (a full disk, a read-only or forbidden folder)
 * becomes one line naming the file and the fix.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from './errors.js';

/** A file-system failure the user can fix; `code` is the errno name (ENOSPC, EACCES, ...). */
export class FileSystemError extends UserError {
  constructor(
    message: string,
    readonly file: string,
    readonly code: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const ADVICE: Record<string, (file: string) => string> = {
  ENOSPC: (file) => `no space left on the device holding ${file}; free some space or choose another --out`,
  EDQUOT: (file) => `disk quota exceeded writing ${file}; free some space or choose another --out`,
  EACCES: (file) => `permission denied for ${file}; make its folder writable or choose another --out`,
  EPERM: (file) => `operation not permitted on ${file}; make its folder writable or choose another --out`,
  EROFS: (file) => `${file} is on a read-only file system; choose another --out`,
  EEXIST: (file) => `${file} already exists; remove it or choose another name`,
  ENOTDIR: (file) => `a part of the path ${file} is a file, not a folder; choose another --out`,
  EISDIR: (file) => `${file} is a folder where a file was expected; remove it or choose another --out`,
  ENAMETOOLONG: (file) => `the path ${file} is too long; choose a shorter --out or name`,
  ELOOP: (file) => `the path ${file} goes through a symbolic-link loop; fix the link or choose another path`,
  ENOENT: (file) => `${file} or its folder does not exist (was it removed while inertia ran?)`,
  EMFILE: (file) => `too many open files while opening ${file}; raise the limit (ulimit -n) and rerun`,
  ENFILE: (file) => `too many open files while opening ${file}; raise the limit (ulimit -n) and rerun`,
  EIO: (file) => `input/output error on ${file}; the device may be failing, check it and rerun`,
  EFBIG: (file) => `${file} is larger than the file system allows; choose another --out`,
};

/** The errno name of a Node file-system error, or undefined. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * A {@link FileSystemError} naming `file` and the fix for the errno errors a user can fix;
 * any other error is returned unchanged (it is a bug, and keeps its stack).
 */
export function translateFsError(error: unknown, file: string): unknown {
  if (error instanceof UserError) return error;
  const code = errorCode(error);
  const advice = code === undefined ? undefined : ADVICE[code];
  if (advice === undefined) return error;
  const text = advice(file);
  return new FileSystemError(text.charAt(0).toUpperCase() + text.slice(1), file, code!, { cause: error });
}

/** Runs a file-system call on `file`, translating its errors. */
export function onFile<T>(file: string, action: () => T): T {
  try {
    return action();
  } catch (error) {
    throw translateFsError(error, file);
  }
}

/** `mkdir -p`, with translated errors. */
export function makeFolder(dir: string): void {
  onFile(dir, () => fs.mkdirSync(dir, { recursive: true }));
}

function fsyncFolder(dir: string): void {
  // Makes the rename durable; some file systems cannot fsync a folder, which is harmless.
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Not supported here: the rename is still atomic.
  }
}

/** Writes every byte of `data` to the open file `fd` and fsyncs it. */
function writeAllSynced(fd: number, data: Uint8Array): void {
  let offset = 0;
  while (offset < data.length) offset += fs.writeSync(fd, data, offset, data.length - offset);
  fs.fsyncSync(fd);
}

/**
 * Replaces `file` with `data` atomically: a temporary file beside it is written, fsynced and
 * renamed over it. On failure the temporary file is removed and the error names `file`.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const temporary = `${file}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  try {
    const fd = fs.openSync(temporary, 'wx');
    try {
      writeAllSynced(fd, bytes);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw translateFsError(error, file);
  }
  fsyncFolder(path.dirname(file));
}

/** Appends `text` to `file` and fsyncs it, with translated errors. */
export function appendFileSynced(file: string, text: string): void {
  onFile(file, () => {
    const fd = fs.openSync(file, 'a');
    try {
      writeAllSynced(fd, Buffer.from(text, 'utf8'));
    } finally {
      fs.closeSync(fd);
    }
  });
}

/** The SHA-256 of a file's content, hex. */
export function sha256File(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/**
 * The text of a small input file: a regular file (a link to one is fine) of at most `maxBytes`
 * bytes, else one line saying what `file` is and what to pass instead. Opened without blocking,
 * so a named pipe is refused instead of waiting for a writer.
 */
export function readSmallTextFile(file: string, maxBytes: number, what: string): string {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') throw new UserError(`${what} ${file} does not exist; check the path`);
    throw translateFsError(error, file);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new UserError(`${what} ${file} is not a regular file; pass a JSON file`);
    if (stat.size > maxBytes) {
      throw new UserError(
        `${what} ${file} is ${stat.size} bytes, more than the ${maxBytes} allowed; pass a smaller file`,
      );
    }
    return onFile(file, () => fs.readFileSync(fd, 'utf8'));
  } finally {
    fs.closeSync(fd);
  }
}
