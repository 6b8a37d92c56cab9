/**
 * A damaged native library (truncated: a SIGBUS crash when loaded) is found before tfjs-node
 * is loaded. The damaged files are copies in a temporary folder: the real libraries are
 * hard links shared with other checkouts and the cache, and are never touched.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { damagedNativeFile, elfProblem } from '../src/nativeFiles.js';

const packageDir = path.resolve('node_modules/@tensorflow/tfjs-node');
const binding = path.join(packageDir, 'lib', 'napi-v8', 'tfjs_binding.node');
const framework = path.join(packageDir, 'deps', 'lib', 'libtensorflow_framework.so.2');
const installed = process.platform === 'linux' && fs.existsSync(binding) && fs.existsSync(framework);
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'inertia-native-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** A copy of the first `bytes` of `file` (a new file, never the original). */
function truncatedCopy(file: string, bytes: number, to: string): string {
  const fd = fs.openSync(file, 'r');
  const buffer = Buffer.alloc(bytes);
  fs.readSync(fd, buffer, 0, bytes, 0);
  fs.closeSync(fd);
  fs.writeFileSync(to, buffer);
  return to;
}

/**
 * A project in `dir` whose tfjs-node has a truncated libtensorflow_framework.so.2: links to
 * everything else, copies of the binding and (cut) of the library. Run with --preserve-symlinks.
 */
function projectWithDamagedLibrary(dir: string): void {
  fs.cpSync(path.resolve('dist'), path.join(dir, 'dist'), { recursive: true });
  fs.copyFileSync(path.resolve('package.json'), path.join(dir, 'package.json'));
  const modules = path.join(dir, 'node_modules');
  fs.mkdirSync(path.join(modules, '@tensorflow'), { recursive: true });
  for (const name of fs.readdirSync('node_modules'))
    if (name !== '@tensorflow') fs.symlinkSync(path.resolve('node_modules', name), path.join(modules, name));
  for (const name of fs.readdirSync('node_modules/@tensorflow'))
    if (name !== 'tfjs-node')
      fs.symlinkSync(path.resolve('node_modules/@tensorflow', name), path.join(modules, '@tensorflow', name));
  const copy = path.join(modules, '@tensorflow', 'tfjs-node');
  fs.mkdirSync(path.join(copy, 'deps', 'lib'), { recursive: true });
  for (const name of fs.readdirSync(packageDir))
    if (name !== 'deps' && name !== 'lib') fs.symlinkSync(path.join(packageDir, name), path.join(copy, name));
  fs.cpSync(path.dirname(binding), path.join(copy, 'lib', 'napi-v8'), { recursive: true });
  for (const name of fs.readdirSync(path.join(packageDir, 'deps', 'lib'))) {
    const file = path.join(packageDir, 'deps', 'lib', name);
    const target = path.join(copy, 'deps', 'lib', name);
    if (fs.lstatSync(file).isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(file), target);
    else if (name === 'libtensorflow_framework.so.2') truncatedCopy(file, 4_000_000, target);
    else fs.symlinkSync(file, target);
  }
}

describe.skipIf(!installed)('native file check', () => {
  it('finds the installed binding and libraries whole', () => {
    expect(elfProblem(binding)).toBeNull();
    expect(damagedNativeFile(packageDir)).toBeNull();
  });

  it('reports a truncated binding or library, and a file that is not ELF', () => {
    const size = fs.statSync(binding).size;
    const cut = truncatedCopy(binding, Math.floor(size / 2), path.join(root, 'binding.node'));
    expect(elfProblem(cut)).toBe(`${cut} is truncated (${Math.floor(size / 2)} bytes, its headers need ${size})`);
    const library = truncatedCopy(framework, 1_000_000, path.join(root, 'libtensorflow_framework.so.2'));
    expect(elfProblem(library)).toMatch(/is truncated \(1000000 bytes, its headers need \d{8,}\)$/);
    fs.writeFileSync(path.join(root, 'text.so'), 'not a library');
    expect(elfProblem(path.join(root, 'text.so'))).toBe(`${path.join(root, 'text.so')} is not an ELF shared library`);
  });

  it('a damaged library gives the warning and the cpu fallback, or the error when tensorflow is forced', () => {
    const project = path.join(root, 'project');
    projectWithDamagedLibrary(project);
    const run = (env: NodeJS.ProcessEnv) =>
      spawnSync(process.execPath, ['--preserve-symlinks', 'dist/cli.js', 'doctor'], {
        cwd: project,
        encoding: 'utf8',
        env: { ...process.env, ...env },
      });
    const fallback = run({ INERTIA_BACKEND: '' });
    expect(fallback.status).toBe(0);
    expect(fallback.stdout).toMatch(/^backend: cpu$/m);
    const warning = fallback.stderr.split('\n').filter((line) => line.startsWith('inertia:'));
    expect(warning).toHaveLength(1);
    expect(warning[0]).toMatch(
      /^inertia: warning: running on the pure-JS cpu backend .*\(a native file is damaged: \S+libtensorflow_framework\.so\.2 is truncated \(4000000 bytes/,
    );
    const forced = run({ INERTIA_BACKEND: 'tensorflow' });
    expect(forced.status).toBe(1);
    expect(forced.stderr).toMatch(
      /^inertia: The tensorflow backend was requested but its native binding does not load \(a native file is damaged: /m,
    );
  }, 120_000);
});
