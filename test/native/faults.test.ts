/**
 * The native installer's fault paths, run end to end on a stand-in project (fakeProject.ts:
 * fake pip, node-gyp and tfjs-node in temporary folders; no network, no compiler, nothing
 * shared touched): what it removes when it gives up, how it reports a child killed by a
 * signal, how it replaces a corrupt cached wheel, which advice it prints for which cause
 * (a full or read-only disk included, on a small tmpfs when run as root), how it restores a
 * tfjs-node that npm removed, and what a rerun repairs after an install that was itself killed.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderWithTmpfs } from '../helpers/disk.js';
import { fakeProject, listTree, type FakeProject } from './fakeProject.js';
import { truncatedCopy, WHEEL_NAME } from './fakeWheel.js';
// @ts-expect-error: plain JavaScript modules of the installer (no types).
import { patchHash } from '../../scripts/native/bindingPatch.mjs';
import { cacheProblem } from '../../scripts/native/cache.mjs';
// @ts-expect-error: plain JavaScript modules of the installer (no types).
import { advice, causeOf, StepError } from '../../scripts/native/failure.mjs';

const { root: base, tmpfs } = folderWithTmpfs('inertia-native-faults-');
let projects = 0;
const newProject = () => fakeProject(path.join(base, String(projects++)));

/** The paragraph printed when the installer gives up. */
const failure = (stdout: string) =>
  /could not set up TensorFlow's native kernels \((.*)\)\. inertia still works.*/.exec(stdout);

/** Files the installer placed or half-wrote that must not outlive a failed run. */
function leftovers(project: FakeProject): string[] {
  const placed = [path.join(project.tfjsNode, 'deps'), project.addon].filter((file) => fs.existsSync(file));
  const halfWritten = [project.cache, project.tfjsNode].flatMap((dir) =>
    listTree(dir)
      .filter((name) => /partial|inertia-backup/.test(name))
      .map((name) => path.join(dir, name)),
  );
  // The log goes to the temporary folder when the cache cannot be written: it is meant to stay.
  const temporary = listTree(project.tmp)
    .filter((name) => name !== 'inertia-native-install.log')
    .map((name) => path.join(project.tmp, name));
  return [...placed, ...halfWritten, ...temporary];
}

const nodeGypCalls = (project: FakeProject) => project.calls().filter((call) => call.command === 'node-gyp');

describe.concurrent('giving up removes what the installer placed', () => {
  it('a failed build: the libraries and the binding leave node_modules; the cache keeps only verified files', async () => {
    const project = await newProject();
    const result = await project.install({ pip: 'wheel', nodeGyp: 'no-compiler' });
    expect(result.code).toBe(0);
    expect(failure(result.stdout)?.[1]).toBe('building the binding (node-gyp): node-gyp exited with status 1');
    expect(leftovers(project)).toEqual([]);
    // The libraries were placed before the build (node-gyp links against deps/), then removed.
    expect(result.stdout).toMatch(/building the tfjs-node binding from source/);
    expect(fs.existsSync(path.join(project.tfjsNode, 'package.json'))).toBe(true);
    expect(cacheProblem(path.join(project.cache, 'tf-2.21.0'))).toBeNull();
    expect(fs.readdirSync(path.join(project.cache, 'tf-2.21.0')).sort()).toEqual(['include', 'lib', 'manifest.json']);
  });

  it('a backend that crashes its check: the libraries and the binding leave node_modules', async () => {
    const project = await newProject();
    const result = await project.install({ pip: 'wheel', load: 'signal:SIGBUS' });
    expect(failure(result.stdout)?.[1]).toBe(
      'verifying the native backend (matmul + one training step): the check was killed by SIGBUS while loading the native libraries',
    );
    expect(leftovers(project)).toEqual([]);
    expect(result.code).toBe(0);
  });

  const small = tmpfs(256);
  it.skipIf(small === null)(
    'a full disk while extracting: no staging folder is left in the cache and nothing is placed (needs root for a tmpfs)',
    async () => {
      const project = await newProject();
      const cache = path.join(small!, 'cache');
      // The wheel's libraries (350 KB) do not fit in 256 KB.
      const result = await project.install({}, { INERTIA_CACHE_DIR: cache, INERTIA_TF_WHEEL: project.wheel });
      expect(failure(result.stdout)?.[1]).toMatch(
        new RegExp(`^extracting the libraries into ${cache}/tf-2.21.0: ENOSPC: no space left on device`),
      );
      expect(result.stdout).toContain(`free some space on the disk of ${cache} `);
      expect(result.stdout).toContain('set INERTIA_CACHE_DIR to a folder on a disk with room');
      expect(listTree(cache).filter((name) => name !== 'native-install.log')).toEqual([]);
      expect(leftovers(project)).toEqual([]);
    },
  );

  it("folders of a killed installer of this host are removed; a live installer's or another host's are kept", async () => {
    const project = await newProject();
    const dead = spawnSync(process.execPath, ['-e', 'process.pid']).pid;
    const stale = path.join(project.cache, `tf-2.21.0.partial-${os.hostname()}-${dead}`);
    const older = path.join(project.cache, `tf-2.21.0.partial-${dead}`);
    const live = path.join(project.cache, `tf-2.21.0.partial-${os.hostname()}-${process.pid}`);
    // Temporary folders: this host's dead installer's, and another host's sharing /tmp.
    const staleTmp = path.join(project.tmp, `inertia-binding-${os.hostname()}-${dead}-AbCdEf`);
    const otherHost = path.join(project.tmp, `inertia-binding-elsewhere-${dead}-AbCdEf`);
    for (const dir of [stale, older, live, staleTmp, otherHost])
      fs.mkdirSync(path.join(dir, 'lib'), { recursive: true });
    const result = await project.install({ pip: 'wheel' });
    expect(result.stdout).toContain('native backend ready');
    expect([stale, older, live, staleTmp, otherHost].map((dir) => fs.existsSync(dir))).toEqual([
      false,
      false,
      true,
      false,
      true,
    ]);
  });
});

describe.concurrent('a child killed by a signal is reported as such, with advice about the kill', () => {
  it('node-gyp killed by SIGKILL: the out-of-memory killer, and no second build', async () => {
    const project = await newProject();
    const result = await project.install({ pip: 'wheel', nodeGyp: 'signal:SIGKILL' });
    expect(failure(result.stdout)?.[1]).toBe('building the binding (node-gyp): node-gyp was killed by SIGKILL');
    expect(result.stdout).toContain("SIGKILL is most often the kernel's out-of-memory killer");
    expect(result.stdout).not.toMatch(/C\+\+ toolchain|internet/);
    // Built again without the graph-function patch, it would be killed again.
    expect(nodeGypCalls(project)).toHaveLength(1);
    expect(leftovers(project)).toEqual([]);
  });

  it('pip stopped by SIGTERM: stopped from outside, not the network', async () => {
    const project = await newProject();
    const result = await project.install({ pip: 'signal:SIGTERM' });
    expect(failure(result.stdout)?.[1]).toBe('downloading the tensorflow-cpu wheel: pip3 was killed by SIGTERM');
    expect(result.stdout).toContain('it was stopped from outside by SIGTERM');
    expect(result.stdout).not.toMatch(/internet|TFJS_NODE_BASE_URI/);
  });

  it('the check killed by SIGKILL: the out-of-memory killer, not a damaged cache, and no second build', async () => {
    const project = await newProject();
    const result = await project.install({ pip: 'wheel', load: 'signal:SIGKILL' });
    expect(failure(result.stdout)?.[1]).toMatch(/the check was killed by SIGKILL while loading the native libraries$/);
    expect(result.stdout).toContain('out-of-memory killer');
    expect(result.stdout).not.toContain('removing the cache');
    // Every further build and check would be killed the same way.
    expect(result.stdout).not.toContain('WARNING');
    expect(nodeGypCalls(project)).toHaveLength(1);
  });
});

describe.concurrent('a corrupt cached wheel', () => {
  it('is deleted and downloaded again, and the install completes from the new one', async () => {
    const project = await newProject();
    const cached = path.join(project.cache, 'wheels', WHEEL_NAME);
    fs.mkdirSync(path.dirname(cached));
    truncatedCopy(project.wheel, 5000, cached);
    const result = await project.install({ pip: 'wheel' });
    expect(result.stdout).toMatch(
      /the cached wheel is damaged \(.*truncated or damaged\); deleting it and downloading it again/,
    );
    expect(result.stdout).toContain(
      'native backend ready: TensorFlow 2.21.0 through tfjs-node 4.22.0, with graph functions',
    );
    expect(result.code).toBe(0);
    expect(project.calls().filter((call) => call.command === 'pip3')).toHaveLength(1);
    expect(fs.readFileSync(cached)).toEqual(fs.readFileSync(project.wheel));
    expect(cacheProblem(path.join(project.cache, 'tf-2.21.0'))).toBeNull();
    expect(fs.existsSync(project.addon)).toBe(true);
  });

  it('downloaded damaged again: the install gives up and keeps no damaged wheel', async () => {
    const project = await newProject();
    const cached = path.join(project.cache, 'wheels', WHEEL_NAME);
    fs.mkdirSync(path.dirname(cached));
    truncatedCopy(project.wheel, 5000, cached);
    const damaged = truncatedCopy(project.wheel, 9000, path.join(base, `damaged-${projects}.whl`));
    const result = await project.install({ pip: 'wheel' }, { FAKE_PIP_WHEEL: damaged });
    expect(failure(result.stdout)?.[1]).toMatch(/^reading the downloaded wheel: .* truncated or damaged$/);
    expect(fs.readdirSync(path.dirname(cached))).toEqual([]);
    expect(leftovers(project)).toEqual([]);
  });
});

describe.concurrent('the advice follows the cause', () => {
  const cases = [
    { cause: 'no network', behaviour: { pip: 'offline' }, says: 'give this machine internet access' },
    { cause: 'no compiler', behaviour: { pip: 'wheel', nodeGyp: 'no-compiler' }, says: 'install a C++ toolchain' },
    { cause: 'a full disk under pip', behaviour: { pip: 'disk-full' }, says: 'free some space on the disk of' },
    {
      cause: 'a full disk under the linker',
      behaviour: { pip: 'wheel', nodeGyp: 'disk-full' },
      says: 'free some space',
    },
    {
      cause: 'a killed build',
      behaviour: { pip: 'wheel', nodeGyp: 'signal:SIGKILL' },
      says: "SIGKILL is most often the kernel's out-of-memory killer",
    },
  ];
  const advices = ['internet access', 'C++ toolchain', 'free some space', 'out-of-memory killer'];
  it.each(cases)('$cause: "$says"', async ({ behaviour, says }) => {
    const project = await newProject();
    const { stdout } = await project.install(behaviour);
    const advice = failure(stdout)?.[0] ?? '';
    expect(advice).toContain(`To get the native backend: ${says}`);
    for (const other of advices.filter((text) => !says.includes(text))) expect(advice).not.toContain(other);
  });

  it('pip on a full disk names the folder it wrote into', async () => {
    const project = await newProject();
    const { stdout } = await project.install({ pip: 'disk-full' });
    expect(stdout).toContain(`free some space on the disk of ${path.join(project.cache, 'wheels')} `);
  });
});

describe.concurrent('restoring the tfjs-node that npm removed', () => {
  it('offline: advice about the network, and nothing left behind', async () => {
    const project = await newProject();
    fs.rmSync(project.tfjsNode, { recursive: true });
    const result = await project.install({ npm: 'offline' });
    expect(failure(result.stdout)?.[1]).toBe(
      'restoring @tensorflow/tfjs-node (npm pack): npm pack exited with status 1',
    );
    expect(result.stdout).toContain('To get the native backend: give this machine internet access');
    expect(fs.readdirSync(path.dirname(project.tfjsNode))).toEqual([]);
    expect(leftovers(project)).toEqual([]);
  });

  const small = tmpfs(1024);
  it.skipIf(small === null)(
    'a full disk while copying it leaves no half package, so the rerun restores it (needs root for a tmpfs)',
    async () => {
      const project = await newProject();
      const scope = path.dirname(project.tfjsNode);
      fs.rmSync(scope, { recursive: true });
      fs.symlinkSync(small!, scope);
      // The package does not fit in 1 MB with this file, and fits without it.
      const big = path.join(project.npmPackage, 'big.bin');
      fs.writeFileSync(big, crypto.randomBytes(1_200_000));
      const full = await project.install({ npm: 'pack', pip: 'wheel' });
      expect(failure(full.stdout)?.[1]).toMatch(
        new RegExp(`^restoring @tensorflow/tfjs-node into ${scope}: ENOSPC: no space left on device`),
      );
      expect(full.stdout).toContain(`To get the native backend: free some space on the disk of ${scope} `);
      expect(full.stdout).not.toContain('INERTIA_CACHE_DIR');
      expect(fs.readdirSync(scope)).toEqual([]);
      fs.rmSync(big);
      const rerun = await project.install({ npm: 'pack', pip: 'wheel' });
      expect(rerun.stdout).toContain('restored @tensorflow/tfjs-node 4.22.0 into node_modules');
      expect(rerun.stdout).toContain('native backend ready');
      expect(leftovers(project).filter((file) => file !== project.addon && !file.endsWith('deps'))).toEqual([]);
    },
  );
});

describe.concurrent('a cache on a read-only disk', () => {
  const readOnly = tmpfs(1024);
  it.skipIf(readOnly === null)(
    'is named with the way out, and its good wheel is not blamed nor deleted (needs root for a tmpfs)',
    async () => {
      const project = await newProject();
      const cached = path.join(readOnly!, 'wheels', WHEEL_NAME);
      fs.mkdirSync(path.dirname(cached));
      fs.copyFileSync(project.wheel, cached);
      expect(spawnSync('mount', ['-o', 'remount,ro', readOnly!]).status).toBe(0);
      const result = await project.install({}, { INERTIA_CACHE_DIR: readOnly! });
      expect(failure(result.stdout)?.[1]).toMatch(
        new RegExp(`^extracting the libraries into ${readOnly}/tf-2.21.0: EROFS: read-only file system`),
      );
      expect(result.stdout).toContain(
        `To get the native backend: make ${readOnly} writable (it is read-only, or belongs to another user: install as that user), or set INERTIA_CACHE_DIR to a folder you can write`,
      );
      expect(result.stdout).not.toContain('damaged');
      expect(fs.readFileSync(cached)).toEqual(fs.readFileSync(project.wheel));
      expect(leftovers(project)).toEqual([]);
    },
  );
});

describe.concurrent('a complete cache on a read-only disk', () => {
  const cache = tmpfs(2048);
  it.skipIf(cache === null)(
    'is used; the binding built for this Node is not cached, with a warning (needs root for a tmpfs)',
    async () => {
      const project = await newProject();
      const env = { INERTIA_CACHE_DIR: cache!, INERTIA_NATIVE_FROM_WHEEL: '1' };
      expect((await project.install({ pip: 'wheel' }, env)).stdout).toContain('native backend ready');
      // Bindings for another Node (ABI) or tfjs-node: none of them fits this one.
      fs.rmSync(path.join(cache!, 'tf-2.21.0', 'addons'), { recursive: true });
      expect(spawnSync('mount', ['-o', 'remount,ro', cache!]).status).toBe(0);
      const result = await project.install({}, env);
      expect(result.stdout).toContain(`using cached TensorFlow 2.21.0 libraries from ${cache}/tf-2.21.0`);
      expect(result.stdout).toMatch(
        /WARNING: the built binding could not be cached \((EROFS|ENOENT): .*\); the next install builds it again/,
      );
      expect(result.stdout).toContain('native backend ready');
      expect(result.code).toBe(0);
      expect(fs.existsSync(project.addon)).toBe(true);
    },
  );
});

describe.concurrent('a damaged cache', () => {
  /** A project installed once (the cache filled), and the folder of its cached libraries. */
  async function installedOnce() {
    const project = await newProject();
    expect((await project.install({ pip: 'wheel' })).stdout).toContain('native backend ready');
    return { project, dir: path.join(project.cache, 'tf-2.21.0') };
  }
  const again = { INERTIA_NATIVE_FROM_WHEEL: '1' };

  it('a damaged header is extracted again, instead of failing every build', async () => {
    const { project, dir } = await installedOnce();
    const header = path.join(dir, 'include', 'tensorflow', 'c', 'c_api.h');
    fs.writeFileSync(header, '#include "tensorflow/c/tf_st');
    const result = await project.install({}, again);
    expect(result.stdout).toContain(
      `the cached libraries cannot be used (${header} does not match the SHA-256 in the manifest); extracting them again`,
    );
    expect(result.stdout).toContain('using cached binding');
    expect(result.stdout).toContain(
      'native backend ready: TensorFlow 2.21.0 through tfjs-node 4.22.0, with graph functions',
    );
    expect(cacheProblem(dir)).toBeNull();
  });

  it('a damaged cached binding with graph functions is built again, with them', async () => {
    const { project, dir } = await installedOnce();
    const [key] = fs.readdirSync(path.join(dir, 'addons')).filter((name) => name.includes('-graph-'));
    fs.writeFileSync(path.join(dir, 'addons', key, 'tfjs_binding.node'), '{"patch');
    const result = await project.install({}, again);
    expect(result.stdout).toMatch(/cached binding failed \(.*JSON.*\); rebuilding it/);
    expect(result.stdout).not.toContain('WARNING');
    expect(result.stdout).toContain(
      'native backend ready: TensorFlow 2.21.0 through tfjs-node 4.22.0, with graph functions',
    );
    expect(nodeGypCalls(project)).toHaveLength(2);
  });
});

describe('INERTIA_TF_WHEEL', () => {
  it('a relative path is taken from where npm install was run (INIT_CWD), not the package folder', async () => {
    const project = await newProject();
    const env = { INERTIA_TF_WHEEL: path.join('wheel', WHEEL_NAME), INIT_CWD: path.dirname(project.root) };
    const result = await project.install({}, env);
    expect(result.stdout).toContain(`extracting libraries and headers from ${WHEEL_NAME}`);
    expect(result.stdout).toContain('native backend ready');
  });
});

describe('a strip that fails (an older binutils than the libraries)', () => {
  it('keeps the libraries unstripped, with a warning, and the install completes', async () => {
    const project = await newProject();
    const result = await project.install({ pip: 'wheel', strip: 'fail' });
    expect(result.stdout).toMatch(
      /WARNING: stripping the TensorFlow libraries: strip exited with status 1; keeping libtensorflow_cc\.so\.2 unstripped/,
    );
    expect(result.stdout).toContain('native backend ready');
    const dir = path.join(project.cache, 'tf-2.21.0');
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')).stripped).toBe(false);
    expect(cacheProblem(dir)).toBeNull();
    expect(listTree(project.cache).filter((name) => /stripped|partial/.test(name))).toEqual([]);
  });
});

describe('causes and advice, from the facts of an error', () => {
  const context = { cacheDir: '/home/u/.cache/inertia', tfVersion: '2.21.0' };
  const withCode = (code: string, file: string) =>
    Object.assign(new Error(`${code}: ..., open '${file}'`), { code, path: file });
  it.each([
    ['a step of kind build', new StepError('building', 'x', 'build'), 'build'],
    [
      'a child crashing on its own keeps its step kind',
      new StepError('verifying', 'x', 'verify', { signal: 'SIGSEGV' }),
      'verify',
    ],
    ['a child stopped by Ctrl-C', new StepError('building', 'x', 'build', { signal: 'SIGINT' }), 'killed'],
    [
      'a full disk in the output',
      new StepError('building', 'x', 'build', { output: 'ld: No space left on device' }),
      'disk-full',
    ],
    [
      "pip's read-only file system",
      new StepError('downloading', 'x', 'download', { output: "OSError: [Errno 30] Read-only file system: '/c'" }),
      'not-writable',
    ],
    [
      "pip's quota error",
      new StepError('downloading', 'x', 'download', { output: 'OSError: [Errno 122] Disk quota exceeded' }),
      'disk-full',
    ],
    ['ENOSPC from Node', withCode('ENOSPC', '/x'), 'disk-full'],
    ['EACCES from Node', withCode('EACCES', '/x'), 'not-writable'],
    ['EROFS from Node', withCode('EROFS', '/x'), 'not-writable'],
    ['anything else', new Error('boom'), 'other'],
  ])('%s: %s', (_what, error, cause) => expect(causeOf(error)).toBe(cause));

  it('a folder that cannot be written is named; INERTIA_CACHE_DIR is suggested only for the cache', () => {
    const node = withCode('EACCES', '/srv/app/node_modules/@tensorflow/tfjs-node/deps');
    expect(advice('not-writable', { ...context, error: node })).toBe(
      'make /srv/app/node_modules/@tensorflow/tfjs-node/deps writable (it is read-only, or belongs to another user: install as that user)',
    );
    const cache = withCode('EACCES', '/home/u/.cache/inertia/wheels');
    expect(advice('not-writable', { ...context, error: cache })).toMatch(
      /, or set INERTIA_CACHE_DIR to a folder you can write$/,
    );
  });

  it('a stop signal other than SIGKILL is said to come from outside', () => {
    const error = new StepError('building', 'x', 'build', { signal: 'SIGHUP' });
    expect(advice('killed', { ...context, error })).toBe(
      'it was stopped from outside by SIGHUP (Ctrl-C, a timeout or a service manager): let it finish',
    );
  });
});

/**
 * A tfjs-node that works, as after its own libtensorflow download: without graph functions,
 * or with `graph`'s, built from the patch whose hash is `graph.patch` (none: a binding built
 * before bindings recorded their patch).
 */
function working(project: FakeProject, graph?: { patch?: string }): string {
  fs.mkdirSync(path.join(project.tfjsNode, 'deps', 'lib'), { recursive: true });
  for (const name of ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2'])
    fs.writeFileSync(path.join(project.tfjsNode, 'deps', 'lib', name), 'a library');
  fs.mkdirSync(path.dirname(project.addon), { recursive: true });
  const addon = JSON.stringify({ patched: graph !== undefined, patch: graph?.patch, prebuilt: true });
  fs.writeFileSync(project.addon, addon);
  return addon;
}

describe('a rerun repairs what a killed install left', () => {
  it('killed while adding graph functions to a working binding: the rerun puts the working binding back', async () => {
    const project = await newProject();
    const addon = working(project);
    const killed = await project.install({ nodeGyp: 'kill-installer' });
    expect(killed.signal).toBe('SIGKILL');
    expect(fs.existsSync(project.addon)).toBe(false);
    // Offline and without a compiler: only the binding moved aside can make it work again.
    const rerun = await project.install({ pip: 'offline', nodeGyp: 'no-compiler' });
    expect(rerun.stdout).toContain('put back the binding that an earlier install moved aside before it was stopped');
    expect(rerun.stdout).toContain('native backend already works');
    expect(rerun.stdout).toContain('WARNING: could not add graph functions to the binding');
    expect(fs.readFileSync(project.addon, 'utf8')).toBe(addon);
    expect(leftovers(project).filter((file) => file !== project.addon && !file.endsWith('deps'))).toEqual([]);
    expect(rerun.code).toBe(0);
  });

  const sharedTmp = tmpfs(64);
  it.skipIf(sharedTmp === null)(
    "a dead installer's folder that cannot be removed (another user's, in a shared /tmp) is left alone (needs root for a tmpfs)",
    async () => {
      const project = await newProject();
      working(project, { patch: patchHash() });
      const dead = spawnSync(process.execPath, ['-e', 'process.pid']).pid;
      const stale = path.join(sharedTmp!, `inertia-binding-${os.hostname()}-${dead}-AbCdEf`);
      fs.mkdirSync(stale);
      expect(spawnSync('mount', ['-o', 'remount,ro', sharedTmp!]).status).toBe(0);
      const result = await project.install({}, { TMPDIR: sharedTmp! });
      expect(result.stdout).toContain('native backend already works');
      expect(result.stdout).not.toContain('could not set up');
      expect(fs.existsSync(stale)).toBe(true);
    },
  );

  const readOnlyTmp = tmpfs(64);
  it.skipIf(readOnlyTmp === null)(
    'a working tfjs-node stays a success when the graph functions cannot be added (needs root for a tmpfs)',
    async () => {
      const project = await newProject();
      const addon = working(project);
      expect(spawnSync('mount', ['-o', 'remount,ro', readOnlyTmp!]).status).toBe(0);
      const result = await project.install({}, { TMPDIR: readOnlyTmp!, INERTIA_BACKEND: 'tensorflow' });
      expect(result.stdout).toContain('native backend already works');
      expect(result.stdout).toMatch(
        /WARNING: could not stage the graph-function patch \(EROFS: .*\); training runs eager steps/,
      );
      expect(result.stdout).not.toContain('could not set up');
      expect(result.code).toBe(0);
      expect(fs.readFileSync(project.addon, 'utf8')).toBe(addon);
    },
  );

  it('a tfjs-node the patch does not fit keeps its working binding, with no copy left beside it', async () => {
    const project = await newProject();
    const addon = working(project);
    fs.appendFileSync(path.join(project.tfjsNode, 'binding.gyp'), '\n');
    const result = await project.install();
    expect(result.stdout).toContain('WARNING: graph-function patch not applied');
    expect(fs.readFileSync(project.addon, 'utf8')).toBe(addon);
    expect(fs.readdirSync(path.dirname(project.addon))).toEqual([path.basename(project.addon)]);
    expect(nodeGypCalls(project)).toEqual([]);
  });
});

describe('a binding built by another inertia', () => {
  it('with graph functions from other sources, or none recorded, is rebuilt with this patch', async () => {
    for (const graphPatch of ['0123456789abcdef', undefined]) {
      const project = await newProject();
      working(project, { patch: graphPatch });
      const result = await project.install();
      expect(result.stdout).toContain(
        `its graph functions were built from other sources (patch ${graphPatch ?? 'not recorded'}, this inertia's is ${patchHash()}): rebuilding them`,
      );
      expect(result.stdout).toContain('binding rebuilt with graph functions');
      expect(nodeGypCalls(project)).toHaveLength(1);
      expect(JSON.parse(fs.readFileSync(project.addon, 'utf8'))).toEqual({ patched: true, patch: patchHash() });
      expect(result.code).toBe(0);
    }
  });

  it("with this patch's graph functions is kept as it is: nothing is built", async () => {
    const project = await newProject();
    const addon = working(project, { patch: patchHash() });
    const result = await project.install();
    expect(result.stdout).toContain('native backend already works');
    expect(result.stdout).not.toContain('rebuilding');
    expect(nodeGypCalls(project)).toEqual([]);
    expect(fs.readFileSync(project.addon, 'utf8')).toBe(addon);
  });

  it('whose rebuild fails keeps the graph functions it had', async () => {
    const project = await newProject();
    const addon = working(project, { patch: '0123456789abcdef' });
    const result = await project.install({ nodeGyp: 'no-compiler' });
    expect(result.stdout).toMatch(
      /WARNING: could not add graph functions to the binding \(.*\); the binding keeps the graph functions it had/,
    );
    expect(fs.readFileSync(project.addon, 'utf8')).toBe(addon);
    expect(result.code).toBe(0);
  });
});
