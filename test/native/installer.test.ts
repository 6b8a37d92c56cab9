/**
 * The native installer's checks of what it caches, on small files in temporary folders (the
 * real cache and tfjs-node's libraries are hard links shared with other checkouts and are
 * never touched): a wheel is read with yauzl and checked against its own RECORD; cached
 * libraries are checked against the SHA-256s of the cache's manifest; a damaged cached
 * library is extracted again while the built bindings are kept; a damaged wheel named by
 * INERTIA_TF_WHEEL gets advice about that wheel, not about the network (end to end on the
 * stand-in project of fakeProject.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fakeProject } from './fakeProject.js';
import { BINDING_SOURCE, fakeWheel, LIBRARIES, truncatedCopy, WHEEL_NAME } from './fakeWheel.js';
// @ts-expect-error: plain JavaScript modules of the installer (no types).
import { extractWheel, WheelError } from '../../scripts/native/wheel.mjs';
// @ts-expect-error: plain JavaScript modules of the installer (no types).
import {
  cacheProblem,
  describeHeaders,
  describeLibraries,
  dropLibraries,
  upgradeManifest,
} from '../../scripts/native/cache.mjs';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'inertia-installer-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('reading a wheel (yauzl)', () => {
  it('extracts the two libraries and the header closure of the binding, checked against RECORD', async () => {
    const wheel = await fakeWheel(path.join(root, 'good', WHEEL_NAME));
    const out = path.join(root, 'good-out');
    const { headers, libraries } = await extractWheel(wheel, out, [BINDING_SOURCE]);
    expect(headers).toEqual(['tensorflow/c/c_api.h', 'tensorflow/c/tf_status.h']);
    expect(fs.readFileSync(path.join(out, 'lib', 'libtensorflow_cc.so.2'))).toEqual(
      LIBRARIES['tensorflow/libtensorflow_cc.so.2'],
    );
    expect(libraries['libtensorflow_framework.so.2'].verifiedByRecord).toBe(true);
  });

  it('a truncated wheel is a WheelError saying so', async () => {
    const wheel = await fakeWheel(path.join(root, 'cut', 'full.whl'));
    const cut = truncatedCopy(wheel, Math.floor(fs.statSync(wheel).size / 2), path.join(root, 'cut', WHEEL_NAME));
    const error = await extractWheel(cut, path.join(root, 'cut-out'), [BINDING_SOURCE]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WheelError);
    expect((error as Error).message).toMatch(
      new RegExp(`^${WHEEL_NAME} cannot be read \\(.+\\): it is truncated or damaged$`),
    );
  });

  it('a library that does not match the RECORD is a WheelError naming it', async () => {
    const wheel = await fakeWheel(path.join(root, 'tampered', WHEEL_NAME), true);
    await expect(extractWheel(wheel, path.join(root, 'tampered-out'), [BINDING_SOURCE])).rejects.toThrow(
      `tensorflow/libtensorflow_cc.so.2 in ${WHEEL_NAME} does not match the SHA-256 its RECORD lists (a damaged wheel)`,
    );
  });
});

/** A cache folder tf-2.21.0 with the fake libraries, a header, a built binding and a manifest. */
function fakeCache(dir: string): string {
  const names = ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2'];
  fs.mkdirSync(path.join(dir, 'lib'), { recursive: true });
  for (const name of names) fs.writeFileSync(path.join(dir, 'lib', name), LIBRARIES[`tensorflow/${name}`]);
  fs.mkdirSync(path.join(dir, 'include', 'tensorflow', 'c'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'include', 'tensorflow', 'c', 'c_api.h'), 'int f(void);\n');
  fs.mkdirSync(path.join(dir, 'addons', 'key'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'addons', 'key', 'tfjs_binding.node'), 'a built binding');
  const headers = ['tensorflow/c/c_api.h'];
  const manifest = {
    version: '2.21.0',
    libraries: describeLibraries(dir, names),
    headers,
    headerSha256: describeHeaders(dir, headers),
  };
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}

describe('the cache of libraries', () => {
  it('is trusted only when every library matches its size and SHA-256, and every header its SHA-256', () => {
    const dir = fakeCache(path.join(root, 'cache-checks', 'tf-2.21.0'));
    expect(cacheProblem(dir)).toBeNull();
    const cc = path.join(dir, 'lib', 'libtensorflow_cc.so.2');
    // The files are this test's own copies, replaced (never written through) below.
    truncatedCopy(cc, 1000, `${cc}.cut`);
    fs.renameSync(`${cc}.cut`, cc);
    expect(cacheProblem(dir)).toBe(`${cc} has 1000 bytes, the manifest says 300000`);
    fs.writeFileSync(cc, Buffer.alloc(300_000));
    expect(cacheProblem(dir)).toBe(`${cc} does not match the SHA-256 in the manifest`);
    fs.rmSync(cc);
    expect(cacheProblem(dir)).toBe(`${cc} is missing`);
    fs.writeFileSync(path.join(dir, 'manifest.json'), '{"libr');
    expect(cacheProblem(dir)).toMatch(/manifest\.json cannot be read \(/);
  });

  it('a damaged header is named (it would fail every build, blamed on the compiler)', () => {
    const dir = fakeCache(path.join(root, 'cache-header', 'tf-2.21.0'));
    const header = path.join(dir, 'include', 'tensorflow', 'c', 'c_api.h');
    fs.writeFileSync(header, 'int f(vo');
    expect(cacheProblem(dir)).toBe(`${header} does not match the SHA-256 in the manifest`);
    fs.rmSync(header);
    expect(cacheProblem(dir)).toBe(`${header} is missing`);
  });

  it("an older manifest's sizes are checked, then its hashes recorded", () => {
    const dir = fakeCache(path.join(root, 'cache-old', 'tf-2.21.0'));
    const file = path.join(dir, 'manifest.json');
    const { headerSha256, ...manifest } = JSON.parse(fs.readFileSync(file, 'utf8'));
    const sizesOnly = Object.fromEntries(
      Object.entries(manifest.libraries as Record<string, { size: number }>).map(([n, d]) => [n, d.size]),
    );
    fs.writeFileSync(file, JSON.stringify({ ...manifest, libraries: sizesOnly }));
    expect(cacheProblem(dir)).toBeNull();
    expect(upgradeManifest(dir)).toBe(true);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ ...manifest, headerSha256 });
    expect(upgradeManifest(dir)).toBe(false);
    // Library hashes but no header hashes (the installer before header hashes): those are added.
    fs.writeFileSync(file, JSON.stringify(manifest));
    expect(upgradeManifest(dir)).toBe(true);
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).headerSha256).toEqual(headerSha256);
  });

  it('dropping damaged libraries keeps the built bindings', () => {
    const dir = fakeCache(path.join(root, 'cache-drop', 'tf-2.21.0'));
    dropLibraries(dir);
    expect(fs.readdirSync(dir)).toEqual(['addons']);
  });
});

describe('install.mjs with a damaged cache', () => {
  it('re-extracts damaged libraries, keeps the built binding, and advises about the wheel, not the network', async () => {
    const project = await fakeProject(path.join(root, 'install'));
    const dir = fakeCache(path.join(project.cache, 'tf-2.21.0'));
    const cc = path.join(dir, 'lib', 'libtensorflow_cc.so.2');
    truncatedCopy(cc, 1000, `${cc}.cut`);
    fs.renameSync(`${cc}.cut`, cc);
    const cut = truncatedCopy(project.wheel, 2000, path.join(root, 'install', WHEEL_NAME));
    const env = { INERTIA_TF_WHEEL: cut, INERTIA_NATIVE_FROM_WHEEL: '1' };
    const { code, stdout } = await project.install({}, env);
    expect(stdout).toContain(`the cached libraries cannot be used (${cc} has 1000 bytes, the manifest says 300000)`);
    expect(stdout).toMatch(
      /could not set up TensorFlow's native kernels \(reading INERTIA_TF_WHEEL: .*truncated or damaged; download it again\)/,
    );
    expect(stdout).toContain('point INERTIA_TF_WHEEL at the new file');
    expect(stdout).not.toMatch(/internet|TFJS_NODE_BASE_URI/);
    expect(stdout).not.toMatch(/\n\s+at /);
    expect(code).toBe(0);
    expect(fs.existsSync(path.join(dir, 'addons', 'key', 'tfjs_binding.node'))).toBe(true);
    expect(fs.existsSync(cut)).toBe(true);
    // Asked for the native backend, the failed install fails.
    expect((await project.install({}, { ...env, INERTIA_BACKEND: 'tensorflow' })).code).toBe(1);
  }, 300_000);
});
