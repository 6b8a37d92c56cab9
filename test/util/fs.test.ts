import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  FileSystemError,
  appendFileSynced,
  kernelFolderOf,
  makeFolder,
  readUserFile,
  translateFsError,
  writeFileAtomic,
} from '../../src/util/fs.js';
import { folderWithTmpfs } from '../helpers/disk.js';

const folder = folderWithTmpfs('inertia-fs-');
const root = folder.root;
/** A 1 MB tmpfs (root only): the disk-full cases run on it. */
const tmpfs = folder.tmpfs(1024);

describe('writeFileAtomic', () => {
  it('replaces the content whole and leaves no temporary file', () => {
    const file = path.join(root, 'a.json');
    writeFileAtomic(file, 'old\n');
    writeFileAtomic(file, 'new content\n');
    expect(fs.readFileSync(file, 'utf8')).toBe('new content\n');
    expect(fs.readdirSync(root).filter((name) => name.includes('.tmp-'))).toEqual([]);
  });

  it('names the file and the fix when its folder is missing, and leaves nothing behind', () => {
    const file = path.join(root, 'missing', 'run.json');
    expect(() => writeFileAtomic(file, 'x')).toThrow(FileSystemError);
    expect(() => writeFileAtomic(file, 'x')).toThrow(`${file} or its folder does not exist`);
  });

  it('translates ENOSPC, EACCES, EROFS and EEXIST into one line naming the file', () => {
    for (const [code, text] of [
      ['ENOSPC', 'No space left on the device holding /x/run.json; free some space or choose another --out'],
      ['EACCES', 'Permission denied for /x/run.json; make its folder writable or choose another --out'],
      ['EROFS', '/x/run.json is on a read-only file system; choose another --out'],
      ['EEXIST', '/x/run.json already exists; remove it or choose another name'],
    ]) {
      const error = translateFsError(Object.assign(new Error(`${code}: raw`), { code }), '/x/run.json');
      expect(error).toBeInstanceOf(FileSystemError);
      expect((error as Error).message).toBe(text);
    }
    const bug = new TypeError('not a file-system error');
    expect(translateFsError(bug, '/x')).toBe(bug);
  });

  it.skipIf(tmpfs === null)(
    'on a full disk: one line naming the file, no temporary file left, old content kept',
    () => {
      const dir = tmpfs!;
      const file = path.join(dir, 'run.json');
      writeFileAtomic(file, 'old\n');
      expect(() => writeFileAtomic(file, Buffer.alloc(2 * 1024 * 1024, 1))).toThrow(
        `No space left on the device holding ${file}`,
      );
      expect(fs.readFileSync(file, 'utf8')).toBe('old\n');
      expect(fs.readdirSync(dir)).toEqual(['run.json']);
      expect(() => appendFileSynced(path.join(dir, 'metrics.csv'), 'x'.repeat(2 * 1024 * 1024))).toThrow(
        /^No space left on the device holding .*metrics\.csv/,
      );
    },
  );
  if (tmpfs === null) it.skip('disk-full cases need root to mount a small tmpfs (skipped: not root or mount failed)');
});

describe('makeFolder', () => {
  it('refuses a folder under /proc or /sys at once (mkdir -p under /proc never returns)', () => {
    expect(() => makeFolder('/proc/x/y')).toThrow(
      '/proc/x/y is under /proc, a kernel file system where inertia writes nothing; choose another --out',
    );
    expect(() => makeFolder('/sys')).toThrow(FileSystemError);
    const link = path.join(root, 'to-sys');
    fs.symlinkSync('/sys/kernel', link);
    expect(kernelFolderOf(path.join(link, 'a', 'b'))).toBe('/sys');
    expect(kernelFolderOf(path.join(root, 'procfs'))).toBeNull();
  });
});

describe('readUserFile', () => {
  it('reads a small regular file, and refuses a larger one or one that is not a regular file', () => {
    const file = path.join(root, 'grid.yaml');
    fs.writeFileSync(file, 'lr: [0.1]\n');
    expect(readUserFile(file, '--grid')).toBe('lr: [0.1]\n');
    expect(() => readUserFile(file, '--grid', 4)).toThrow(
      `--grid ${file} is larger than 4 bytes, the most inertia reads from it; pass a smaller file`,
    );
    expect(() => readUserFile('/dev/zero', '--config')).toThrow(
      '--config /dev/zero is a character device, not a regular file; pass a file',
    );
    expect(() => readUserFile(root, '--config')).toThrow(`--config ${root} is a folder, not a regular file`);
    expect(() => readUserFile(path.join(root, 'missing'), '--config')).toThrow(
      `Cannot read --config ${path.join(root, 'missing')} (ENOENT); check the path`,
    );
  });
});
