#!/usr/bin/env node
/**
 * Root `postinstall`: gives @tensorflow/tfjs-node native TensorFlow kernels on machines
 * where its own install script cannot download libtensorflow (no route to Google storage).
 *
 * 1. If tfjs-node already loads and trains (its own download worked), only rebuild its
 *    binding with the graph-function patch (bindingPatch.mjs), keeping the working one if
 *    that fails.
 * 2. Otherwise: restore tfjs-node into node_modules if npm removed it (its install script
 *    failed, and it is an optionalDependency), take TensorFlow's C library from PyPI's
 *    tensorflow-cpu wheel (INERTIA_TF_WHEEL, else a cached wheel, else `pip download`),
 *    keep only the two libraries (stripped) and the headers the binding includes, cache
 *    them, build the binding (with the graph-function patch when it applies, else without)
 *    from source with npm's node-gyp against the local Node headers (offline), cache the
 *    built addon, and verify it in a child process.
 * 3. Cached files are trusted only when they match: the libraries against the SHA-256s in
 *    the cache's manifest (cache.mjs), a wheel against its own RECORD (wheel.mjs). Damaged
 *    libraries are extracted again from the cached wheel (the built bindings are kept); a
 *    damaged cached wheel is deleted and downloaded again.
 * 4. If anything fails, the libraries and binding placed so far are removed (so tfjs-node
 *    fails to load cleanly and inertia falls back to the cpu backend), and one paragraph says
 *    what failed and the fix for that cause. The exit status is 0, so `npm install` succeeds
 *    with the cpu backend, unless INERTIA_BACKEND=tensorflow or the `--required` argument asks
 *    for the native backend (then 1: an install that cannot give what was asked for fails).
 *    `npx inertia setup` runs this script with `--required`.
 *
 * Environment: INERTIA_TF_WHEEL (a local tensorflow-cpu wheel), INERTIA_TF_VERSION
 * (default 2.21.0), INERTIA_CACHE_DIR (default $XDG_CACHE_HOME/inertia or ~/.cache/inertia),
 * INERTIA_SKIP_NATIVE=1 (do nothing), INERTIA_NATIVE_FROM_WHEEL=1 (take the wheel route even
 * when tfjs-node already works). Node built-ins and yauzl.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractWheel, WheelError, WHEEL_LIBRARIES } from './wheel.mjs';
import {
  cacheProblem,
  describeHeaders,
  describeLibraries,
  dropLibraries,
  keepAddons,
  MANIFEST,
  upgradeManifest,
} from './cache.mjs';
import { PatchError, patchHash, stagePatchedBinding } from './bindingPatch.mjs';
import { causeOf, diskStep, ending, failureParagraph, isStopSignal, StepError } from './failure.mjs';

const DEFAULT_TF_VERSION = '2.21.0';
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
/**
 * Where tfjs-node is, resolved the way inertia's own code resolves it: in inertia's checkout it
 * is <root>/node_modules, but installed as a dependency npm usually hoists it into the project's
 * node_modules. When it cannot be resolved (npm removed it), it is restored under <root>.
 */
function locateTfjsNode() {
  try {
    const manifest = createRequire(path.join(root, 'package.json')).resolve('@tensorflow/tfjs-node/package.json');
    return path.dirname(manifest);
  } catch {
    return path.join(root, 'node_modules', '@tensorflow', 'tfjs-node');
  }
}
const tfjsNodeDir = locateTfjsNode();
const started = Date.now();

const cacheDir =
  process.env.INERTIA_CACHE_DIR ||
  path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'inertia');
let logFile = path.join(cacheDir, 'native-install.log');

function say(message) {
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  process.stdout.write(`inertia native: ${message} (${seconds}s)\n`);
  log(message);
}

function log(text) {
  try {
    fs.appendFileSync(logFile, `[${new Date().toISOString()}] ${text}\n`);
  } catch {
    // No writable log: the progress lines still say what happened.
  }
}

/** The last `bytes` of the log from offset `from` on: what a child wrote there. */
function logSince(from, bytes = 16_384) {
  try {
    const size = fs.statSync(logFile).size;
    const start = Math.max(from, size - bytes);
    const buffer = Buffer.alloc(Math.max(0, size - start));
    const fd = fs.openSync(logFile, 'r');
    try {
      fs.readSync(fd, buffer, 0, buffer.length, start);
    } finally {
      fs.closeSync(fd);
    }
    return buffer.toString('utf8');
  } catch {
    return '';
  }
}

/**
 * Runs a command with its output going to the log file; throws StepError on failure, with the
 * signal that killed the child, the end of its output and the folder it wrote into (`folder`),
 * from which the advice is chosen. `name` is the command as the message calls it.
 */
function run(step, command, args, { cause = 'other', name = path.basename(command), folder = null, ...options } = {}) {
  log(`$ ${command} ${args.join(' ')}${options.cwd ? `   (in ${options.cwd})` : ''}`);
  const out = fs.openSync(logFile, 'a');
  const from = fs.fstatSync(out).size;
  try {
    const result = spawnSync(command, args, { stdio: ['ignore', out, out], ...options });
    if (result.error) throw new StepError(step, result.error.message, cause, { folder });
    if (result.status !== 0) {
      const facts = { signal: result.signal, output: logSince(from), folder };
      throw new StepError(step, `${name} ${ending(result)}`, cause, facts);
    }
  } finally {
    fs.closeSync(out);
  }
}

const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));

function wantedTfjsNodeVersion() {
  const pkg = readJson(path.join(root, 'package.json'));
  const version = pkg.optionalDependencies?.['@tensorflow/tfjs-node'] ?? pkg.dependencies?.['@tensorflow/tfjs-node'];
  if (!version) throw new StepError('reading package.json', 'no @tensorflow/tfjs-node dependency');
  return version;
}

/**
 * Loads tfjs-node in a child and trains one step; returns {tensorflow, tfjsNode, graphFunctions},
 * or {error, signal} (the signal that killed the check, if one did).
 */
function verify() {
  const result = spawnSync(process.execPath, [path.join(here, 'verify.cjs')], { cwd: root, encoding: 'utf8' });
  log(`verify: ${ending(result)} ${result.stdout.trim()} ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  // A damaged library kills the loading process (SIGBUS, SIGSEGV) before it can say anything.
  if (result.signal)
    return { error: `the check ${ending(result)} while loading the native libraries`, signal: result.signal };
  if (result.status !== 0) return { error: result.stderr.trim().split('\n').at(-1) || `exit status ${result.status}` };
  return JSON.parse(result.stdout.trim().split('\n').at(-1));
}

/** The npm that is running us (npm sets npm_execpath for lifecycle scripts), else `npm`. */
function npmCommand() {
  const cli = process.env.npm_execpath;
  return cli && cli.endsWith('.js') ? [process.execPath, [cli]] : ['npm', []];
}

/** Puts the tfjs-node package back into node_modules when npm removed it. */
function ensureTfjsNode(version) {
  const manifest = path.join(tfjsNodeDir, 'package.json');
  if (fs.existsSync(manifest) && readJson(manifest).version === version) return false;
  const tmp = temporaryFolder('tfjs-node');
  try {
    const [npm, npmArgs] = npmCommand();
    run(
      'restoring @tensorflow/tfjs-node (npm pack)',
      npm,
      [...npmArgs, 'pack', `@tensorflow/tfjs-node@${version}`, '--pack-destination', tmp, '--silent'],
      { cwd: tmp, cause: 'download', name: 'npm pack', folder: tmp },
    );
    const tarball = fs.readdirSync(tmp).find((name) => name.endsWith('.tgz'));
    if (!tarball) throw new StepError('restoring @tensorflow/tfjs-node', 'npm pack produced no tarball');
    run('unpacking @tensorflow/tfjs-node', 'tar', ['xzf', tarball], { cwd: tmp, folder: tmp });
    replaceDir(path.join(tmp, 'package'), tfjsNodeDir, 'restoring @tensorflow/tfjs-node');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return true;
}

/**
 * Copies the folder `from` to `to` whole or not at all: into a staging folder beside `to`, then
 * renamed. A copy cut short (a full disk, a kill) must never be left at `to`: a package.json
 * there would make every later run take the half package for an installed one.
 */
function replaceDir(from, to, step) {
  const parent = path.dirname(to);
  const staging = `${to}.partial-${os.hostname()}-${process.pid}`;
  try {
    fs.mkdirSync(parent, { recursive: true });
    removeStaleStaging(to);
    fs.cpSync(from, staging, { recursive: true });
    fs.rmSync(to, { recursive: true, force: true });
    fs.renameSync(staging, to);
  } catch (error) {
    throw diskStep(`${step} into ${parent}`, parent, error);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * INERTIA_TF_WHEEL as an absolute path, or null. A relative path is taken from where `npm
 * install` was run (INIT_CWD), not from the package folder npm runs this script in.
 */
function givenWheel() {
  const wheel = process.env.INERTIA_TF_WHEEL;
  return wheel ? path.resolve(process.env.INIT_CWD || process.cwd(), wheel) : null;
}

function tfVersion() {
  const wheel = givenWheel();
  if (wheel) {
    const match = /^tensorflow(?:[_-]cpu)?-(\d+\.\d+\.\d+)-/.exec(path.basename(wheel));
    if (!match)
      throw new StepError(
        'INERTIA_TF_WHEEL',
        `${wheel} is not named like a tensorflow-cpu wheel (tensorflow_cpu-X.Y.Z-....whl)`,
      );
    return match[1];
  }
  return process.env.INERTIA_TF_VERSION || DEFAULT_TF_VERSION;
}

/** A pip that works here: pip3, pip, or python3 -m pip. */
function findPip() {
  for (const [command, args] of [
    ['pip3', []],
    ['pip', []],
    ['python3', ['-m', 'pip']],
  ]) {
    const result = spawnSync(command, [...args, '--version'], { stdio: 'ignore' });
    if (result.status === 0) return [command, args];
  }
  throw new StepError(
    'downloading the tensorflow-cpu wheel',
    'no pip found (install python3-pip, or set INERTIA_TF_WHEEL)',
    'download',
  );
}

/** INERTIA_TF_WHEEL, else a wheel already in the cache, else one fetched with pip. */
function obtainWheel(version) {
  const given = givenWheel();
  if (given) {
    if (!fs.existsSync(given)) throw new StepError('INERTIA_TF_WHEEL', `${given} does not exist`, 'wheel');
    return given;
  }
  const wheels = path.join(cacheDir, 'wheels');
  const cached = () =>
    fs.existsSync(wheels) &&
    fs.readdirSync(wheels).find((name) => name.startsWith(`tensorflow_cpu-${version}-`) && name.endsWith('.whl'));
  if (!cached()) {
    say(`downloading tensorflow-cpu ${version} with pip (about 250 MB)`);
    const [pip, pipArgs] = findPip();
    run(
      'downloading the tensorflow-cpu wheel',
      pip,
      [...pipArgs, 'download', '--no-deps', '--only-binary=:all:', `tensorflow-cpu==${version}`, '-d', wheels],
      { cause: 'download', name: pipArgs.length > 0 ? `${pip} ${pipArgs.join(' ')}` : pip, folder: wheels },
    );
  }
  const name = cached();
  if (!name)
    throw new StepError(
      'downloading the tensorflow-cpu wheel',
      `pip gave no tensorflow_cpu-${version} wheel in ${wheels}`,
      'download',
    );
  return path.join(wheels, name);
}

function hasStrip() {
  return spawnSync('strip', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Strips the library `file` with binutils' strip into a new file that replaces it when strip
 * succeeds; returns whether it did. Stripping only saves space (853 MB -> 634 MB for the two):
 * when strip fails (an older binutils that does not know a section of the library, say), the
 * library is kept as it is, with a warning, instead of failing every install the same way. A
 * strip killed from outside, or meeting a full disk, still ends the install (`folder` is where
 * it writes, for the advice).
 */
function strip(file, folder) {
  const stripped = `${file}.stripped`;
  try {
    run('stripping the TensorFlow libraries', 'strip', ['--strip-all', '-o', stripped, file], { folder });
    fs.renameSync(stripped, file);
    return true;
  } catch (error) {
    fs.rmSync(stripped, { force: true });
    if (!(error instanceof StepError) || causeOf(error) !== 'other') throw error;
    say(`WARNING: ${error.message}; keeping ${path.basename(file)} unstripped (larger, works the same)`);
    return false;
  }
}

const isAlive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error?.code === 'EPERM';
  }
};

/**
 * Removes what installers killed midway left in `parent` (a kill gives them no chance to clean
 * up): the entries named `<prefix><rest>` for which `pidOf(rest)` gives the pid of a process
 * of this host that is gone. Entries of live processes, or of other hosts, are left alone.
 */
function removeLeftovers(parent, prefix, pidOf) {
  for (const name of fs.existsSync(parent) ? fs.readdirSync(parent) : []) {
    const pid = name.startsWith(prefix) ? pidOf(name.slice(prefix.length)) : null;
    if (pid && !isAlive(Number(pid))) {
      log(`removing ${path.join(parent, name)}, left by an installer that was stopped midway`);
      try {
        fs.rmSync(path.join(parent, name), { recursive: true, force: true });
      } catch (error) {
        // Another user's folder in a shared /tmp, or a read-only cache: not this install's to fail on.
        log(`could not remove it (${error.message})`);
      }
    }
  }
}

/** A temporary folder named for its owner (`inertia-<what>-<host>-<pid>-XXXXXX`), see {@link removeLeftovers}. */
const temporaryFolder = (what) =>
  fs.mkdtempSync(path.join(os.tmpdir(), `inertia-${what}-${os.hostname()}-${process.pid}-`));

/** This host's name, escaped for a regular expression. */
const hostPattern = () => os.hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The temporary folders (binding sources and builds, npm pack) of killed installers of this host. */
function removeTemporaryLeftovers() {
  const owner = new RegExp(`^${hostPattern()}-(\\d+)-`);
  for (const what of ['binding', 'tfjs-node'])
    removeLeftovers(os.tmpdir(), `inertia-${what}-`, (rest) => owner.exec(rest)?.[1]);
}

/**
 * The staging folders next to `dir` of killed extractions (`<dir>.partial-<host>-<pid>`, or
 * `<dir>.partial-<pid>` of older installers): each holds up to a gigabyte of libraries.
 */
function removeStaleStaging(dir) {
  const owner = new RegExp(`^(?:${hostPattern()}-)?(\\d+)$`);
  removeLeftovers(path.dirname(dir), `${path.basename(dir)}.partial-`, (rest) => owner.exec(rest)?.[1]);
}

/**
 * Extracts the libraries and headers of `wheel` into a staging folder, strips them and writes
 * the manifest (sizes and SHA-256s of the stripped libraries, SHA-256s of the headers); then
 * the staging folder replaces `dir`, keeping its built bindings.
 */
async function extractIntoCache(version, wheel, dir, bindingSources) {
  say(`extracting libraries and headers from ${path.basename(wheel)}`);
  removeStaleStaging(dir);
  const staging = `${dir}.partial-${os.hostname()}-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  try {
    // Not recursive: Node's recursive mkdir says ENOENT where the disk is read-only (EROFS).
    fs.mkdirSync(staging);
    const { headers } = await extractWheel(wheel, staging, bindingSources);
    const names = WHEEL_LIBRARIES.map((name) => path.basename(name));
    const stripped = hasStrip() && names.map((name) => strip(path.join(staging, 'lib', name), dir)).every(Boolean);
    const libraries = describeLibraries(staging, names);
    const headerSha256 = describeHeaders(staging, headers);
    const manifest = { version, wheel: path.basename(wheel), stripped, libraries, headers, headerSha256 };
    fs.writeFileSync(path.join(staging, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
    keepAddons(dir, staging);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(staging, dir);
  } catch (error) {
    throw diskStep(`extracting the libraries into ${dir}`, path.dirname(dir), error);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/** Removes a cached wheel that failed to read, so the next attempt downloads it again. */
function dropDamagedWheel(wheel, error) {
  if (wheel === givenWheel()) {
    throw new StepError('reading INERTIA_TF_WHEEL', `${error.message}; download it again`, 'wheel');
  }
  say(`the cached wheel is damaged (${error.message}); deleting it and downloading it again`);
  fs.rmSync(wheel, { force: true });
}

/** Records the hashes in an older manifest (sizes only); a cache that cannot be written keeps its manifest. */
function recordHashes(dir) {
  try {
    return upgradeManifest(dir);
  } catch (error) {
    log(`could not record the SHA-256s in ${path.join(dir, MANIFEST)} (${error.message})`);
    return false;
  }
}

/**
 * The stripped libraries and headers for `version` in the cache, verified against the
 * manifest; extracted (again) from the wheel when missing or damaged.
 */
async function ensureLibraries(version, bindingSources) {
  const dir = path.join(cacheDir, `tf-${version}`);
  if (fs.existsSync(path.join(dir, MANIFEST))) {
    const problem = cacheProblem(dir);
    if (problem === null) {
      const upgraded = recordHashes(dir);
      say(
        `using cached TensorFlow ${version} libraries from ${dir} (${upgraded ? 'SHA-256 recorded' : 'SHA-256 verified'})`,
      );
      return dir;
    }
    say(`the cached libraries cannot be used (${problem}); extracting them again`);
    dropLibraries(dir);
  }
  for (let attempt = 1; ; attempt++) {
    const wheel = obtainWheel(version);
    try {
      await extractIntoCache(version, wheel, dir, bindingSources);
      break;
    } catch (error) {
      if (!(error instanceof WheelError)) throw error;
      dropDamagedWheel(wheel, error);
      if (attempt === 2) throw new StepError('reading the downloaded wheel', error.message, 'download');
    }
  }
  const megabytes = Object.values(readJson(path.join(dir, MANIFEST)).libraries).reduce((a, b) => a + b.size, 0) / 1e6;
  say(`cached ${megabytes.toFixed(0)} MB of libraries in ${dir}`);
  return dir;
}

/** Hard link (no copy on the same file system), else copy. */
function linkOrCopy(from, to) {
  fs.rmSync(to, { force: true });
  try {
    fs.linkSync(from, to);
  } catch {
    fs.copyFileSync(from, to);
  }
}

function symlink(target, file) {
  fs.rmSync(file, { force: true });
  fs.symlinkSync(target, file);
}

/**
 * Fills tfjs-node's deps/ the way binding.gyp and its install script expect:
 * libtensorflow.so / libtensorflow_framework.so for the linker, the sonames
 * libtensorflow_cc.so.2 / libtensorflow_framework.so.2 for the loader, and the
 * libtensorflow.so.<its version> file whose presence makes its install.js skip the download.
 */
function placeLibraries(libraryDir) {
  const depsDir = path.join(tfjsNodeDir, 'deps');
  try {
    fillDeps(libraryDir, depsDir);
  } catch (error) {
    throw diskStep(`placing the libraries into ${depsDir}`, depsDir, error);
  }
}

function fillDeps(libraryDir, depsDir) {
  const depsLib = path.join(depsDir, 'lib');
  fs.rmSync(depsDir, { recursive: true, force: true });
  fs.mkdirSync(depsLib, { recursive: true });
  for (const name of WHEEL_LIBRARIES.map((n) => path.basename(n))) {
    linkOrCopy(path.join(libraryDir, 'lib', name), path.join(depsLib, name));
  }
  symlink('libtensorflow_cc.so.2', path.join(depsLib, 'libtensorflow.so'));
  symlink('libtensorflow_framework.so.2', path.join(depsLib, 'libtensorflow_framework.so'));
  const require = createRequire(path.join(tfjsNodeDir, 'package.json'));
  const constants = require('./scripts/deps-constants.js');
  symlink('libtensorflow_cc.so.2', constants.depsLibTensorFlowPath);
  symlink('libtensorflow_framework.so.2', constants.depsLibTensorFlowFrameworkPath);
  fs.cpSync(path.join(libraryDir, 'include'), path.join(depsDir, 'include'), { recursive: true });
}

/** Where node-pre-gyp (and so tfjs-node) looks for the addon: lib/napi-v<N>/tfjs_binding.node. */
function addonLocation() {
  const binary = readJson(path.join(tfjsNodeDir, 'package.json')).binary;
  const supported = Number(process.versions.napi);
  const napi = Math.max(...binary.napi_versions.filter((v) => v <= supported));
  if (!Number.isFinite(napi))
    throw new StepError('building the binding', `Node's N-API ${supported} is older than tfjs-node needs`, 'build');
  const dir = path.resolve(tfjsNodeDir, binary.module_path.replace('{napi_build_version}', String(napi)));
  return { napi, name: binary.module_name, dir, file: path.join(dir, `${binary.module_name}.node`) };
}

/** npm's bundled node-gyp: npm_config_node_gyp during lifecycle scripts, else next to npm. */
function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    process.env.npm_execpath &&
      path.resolve(path.dirname(process.env.npm_execpath), '../node_modules/node-gyp/bin/node-gyp.js'),
    path.resolve(path.dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
  ];
  const found = candidates.find((file) => file && fs.existsSync(file));
  if (!found)
    throw new StepError('building the binding', 'node-gyp not found (it ships with npm; reinstall npm)', 'build');
  return found;
}

/** The installed Node's headers, so node-gyp needs no download: npm_config_nodedir, else the prefix of this node. */
function findNodeDir() {
  const candidates = [
    process.env.npm_config_nodedir,
    path.resolve(path.dirname(process.execPath), '..'),
    path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'node-gyp', process.versions.node),
  ];
  const found = candidates.find((dir) => dir && fs.existsSync(path.join(dir, 'include', 'node', 'node_api.h')));
  if (!found)
    throw new StepError(
      'building the binding',
      `no Node.js headers found (looked for include/node/node_api.h in ${candidates.filter(Boolean).join(', ')}; install your distribution's nodejs headers, e.g. libnode-dev)`,
      'build',
    );
  return found;
}

/** Builds the addon from `sourceDir` (tfjs-node's own sources, or a patched copy of them). */
function buildAddon(addon, sourceDir) {
  const nodeGyp = findNodeGyp();
  const nodeDir = findNodeDir();
  say(
    `building the tfjs-node binding from source${sourceDir === tfjsNodeDir ? '' : ' with graph functions'} (about a minute)`,
  );
  run(
    'building the binding (node-gyp)',
    process.execPath,
    [
      nodeGyp,
      'rebuild',
      `--nodedir=${nodeDir}`,
      `--napi_build_version=${addon.napi}`,
      `--module_name=${addon.name}`,
      `--module_path=${addon.dir}`,
      '--jobs=max',
    ],
    {
      cwd: sourceDir,
      env: { ...process.env, npm_config_build_from_source: 'true' },
      cause: 'build',
      name: 'node-gyp',
      folder: sourceDir,
    },
  );
  if (!fs.existsSync(addon.file))
    throw new StepError('building the binding', `node-gyp finished but ${addon.file} is missing`, 'build');
}

/** Copies `from` to `to` as a new file (never writing through a hard link `to` may be). */
function replaceFile(from, to) {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.rmSync(to, { force: true });
  fs.copyFileSync(from, to);
}

/**
 * Copies a built addon into the cache under a temporary name, renamed when complete. The cache
 * only spares the next install a build: when it cannot be written (full, read-only), one
 * warning says so and the install goes on with the addon it built.
 */
function cacheAddon(file, cached) {
  const partial = `${cached}.partial-${process.pid}`;
  try {
    fs.mkdirSync(path.dirname(cached), { recursive: true });
    fs.copyFileSync(file, partial);
    fs.renameSync(partial, cached);
  } catch (error) {
    fs.rmSync(partial, { force: true });
    say(`WARNING: the built binding could not be cached (${error.message}); the next install builds it again`);
  }
}

/** Removes a cached addon that failed its check; a cache that cannot be written keeps it, with a warning. */
function forgetAddon(cached) {
  try {
    fs.rmSync(cached, { force: true });
  } catch (error) {
    say(`WARNING: the binding that failed its check stays in the cache (${error.message})`);
  }
}

/**
 * Installs the addon from the cache (unless `useCache` is false), or builds it and caches it.
 * With `patch` (see stageGraphPatch) the build uses the patched sources and the cache key
 * carries the patch's hash, so patched and unpatched addons never stand in for each other.
 */
function ensureAddon(version, tfjsNodeVersion, patch = null, useCache = true) {
  const addon = addonLocation();
  const base = `tfjs-node-${tfjsNodeVersion}-napi-v${addon.napi}-abi${process.versions.modules}-${process.platform}-${process.arch}`;
  const key = patch ? `${base}-graph-${patch.hash}` : base;
  const cached = path.join(cacheDir, `tf-${version}`, 'addons', key, `${addon.name}.node`);
  if (useCache && fs.existsSync(cached)) {
    replaceFile(cached, addon.file);
    say(`using cached binding ${key}`);
    return { cached, built: false, patched: patch !== null };
  }
  fs.rmSync(addon.file, { force: true });
  buildAddon(addon, patch ? patch.dir : tfjsNodeDir);
  cacheAddon(addon.file, cached);
  return { cached, built: true, patched: patch !== null };
}

/**
 * The binding sources with inertia's graph functions (for compiled training steps) in a
 * staging folder: { dir, hash }, or null, with one line saying why, when the patch does not
 * fit this tfjs-node (the binding is then built unpatched and training runs eagerly).
 */
function stageGraphPatch() {
  const dir = temporaryFolder('binding');
  try {
    stagePatchedBinding(tfjsNodeDir, dir);
    return { dir, hash: patchHash() };
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    if (!(error instanceof PatchError)) throw error;
    say(
      `WARNING: graph-function patch not applied (${error.message}); building the binding without it, so training runs eager steps (--compile falls back)`,
    );
    return null;
  }
}

/** Causes that building the binding without the patch would meet again. */
const NO_RETRY = new Set(['killed', 'disk-full', 'not-writable']);

/** The failure of the final check (verify()'s result with an error), as a StepError. */
const checkFailure = (result) =>
  new StepError('verifying the native backend (matmul + one training step)', result.error, 'verify', {
    signal: result.signal,
  });

/** Whether verify()'s result is a pass, with the graph functions when the addon was built with `patch`. */
const passes = (result, patch) => !result.error && (patch === null || Boolean(result.graphFunctions));

/**
 * The addon (with `patch`, or without), from the cache or built, and verify()'s result for it.
 * A cached addon that fails its check may be damaged: it is removed from the cache and built
 * again. A check killed from outside (the out-of-memory killer) ends the install: every further
 * build and check would be killed the same way.
 */
function verifiedAddon(version, tfjsNodeVersion, patch) {
  let addon = ensureAddon(version, tfjsNodeVersion, patch);
  let result = verify();
  if (isStopSignal(result.signal)) throw checkFailure(result);
  if (!passes(result, patch) && !addon.built) {
    say(`cached binding failed (${result.error ?? 'no graph functions'}); rebuilding it`);
    forgetAddon(addon.cached);
    addon = ensureAddon(version, tfjsNodeVersion, patch, false);
    result = verify();
    if (isStopSignal(result.signal)) throw checkFailure(result);
  }
  return { addon, result };
}

/**
 * The patched addon, built or from the cache, verified; when the patched build or its check
 * fails, the unpatched addon instead (one line says why). Returns verify()'s result.
 */
function ensureVerifiedAddon(version, tfjsNodeVersion) {
  const patch = stageGraphPatch();
  try {
    if (patch) {
      try {
        const { addon, result } = verifiedAddon(version, tfjsNodeVersion, patch);
        if (passes(result, patch)) return result;
        forgetAddon(addon.cached);
        say(
          `WARNING: the binding with graph functions failed its check (${result.error ?? 'no graph functions'}); building it without them`,
        );
      } catch (error) {
        // Without the patch the build would meet the same full disk or be killed the same way.
        if (!(error instanceof StepError) || NO_RETRY.has(causeOf(error))) throw error;
        say(`WARNING: building the binding with graph functions failed (${error.message}); building it without them`);
      }
    }
  } finally {
    if (patch) fs.rmSync(patch.dir, { recursive: true, force: true });
  }
  return verifiedAddon(version, tfjsNodeVersion, null).result;
}

/** Where addGraphFunctions keeps the working binding while it builds the patched one. */
const backupOf = (addon) => `${addon.file}.inertia-backup`;

/**
 * A tfjs-node that already works (its own libtensorflow download) but whose binding lacks the
 * graph functions: rebuild its binding with them, keeping the working one if that fails. The
 * working binding is moved aside (a rename: no copy that a full disk could cut short) and moved
 * back on failure, or by the next run if this one is killed meanwhile ({@link restoreBackup}).
 */
function addGraphFunctions() {
  let patch;
  try {
    patch = stageGraphPatch();
  } catch (error) {
    // No room or no permission for the patched sources: the working binding stays as it is.
    say(`WARNING: could not stage the graph-function patch (${error.message}); training runs eager steps`);
    return;
  }
  if (!patch) return;
  const addon = addonLocation();
  const backup = backupOf(addon);
  try {
    fs.renameSync(addon.file, backup);
    buildAddon(addon, patch.dir);
    const result = verify();
    if (result.error || !result.graphFunctions)
      throw new StepError('checking the binding with graph functions', result.error ?? 'no graph functions');
    say('binding rebuilt with graph functions (compiled training steps)');
  } catch (error) {
    if (fs.existsSync(backup)) fs.renameSync(backup, addon.file);
    say(
      `WARNING: could not add graph functions to the binding (${error instanceof Error ? error.message : error}); training runs eager steps`,
    );
  } finally {
    fs.rmSync(patch.dir, { recursive: true, force: true });
    fs.rmSync(backup, { force: true });
  }
}

/**
 * Puts back the working binding that addGraphFunctions moved aside, when the run that did so
 * was killed before it finished: otherwise the binding stays missing, and the rerun takes the
 * wheel route (which may well fail offline) for a tfjs-node that worked.
 */
function restoreBackup() {
  let addon;
  try {
    addon = addonLocation();
  } catch {
    return; // No readable tfjs-node package.json: nothing was moved aside.
  }
  if (!fs.existsSync(backupOf(addon))) return;
  fs.renameSync(backupOf(addon), addon.file);
  say('put back the binding that an earlier install moved aside before it was stopped');
}

function bindingSources() {
  const dir = path.join(tfjsNodeDir, 'binding');
  return fs
    .readdirSync(dir)
    .filter((name) => /\.(cc|h)$/.test(name))
    .map((name) => fs.readFileSync(path.join(dir, name), 'utf8'));
}

let restoredTfjsNode = false;
/** Whether libraries were placed into tfjs-node's deps/ (removed again when the install gives up). */
let placed = false;

/**
 * Removes what this run placed into tfjs-node (its deps/ and the binding), so that a failed
 * install leaves a tfjs-node that fails to load at once, and inertia uses the cpu backend.
 */
function removePlaced() {
  fs.rmSync(path.join(tfjsNodeDir, 'deps'), { recursive: true, force: true });
  try {
    fs.rmSync(addonLocation().file, { force: true });
  } catch {
    // No binding location (tfjs-node's package.json unreadable): nothing was built there.
  }
}

async function setUp() {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new StepError(
      'checking the platform',
      `the wheel route supports linux-x64 only, not ${process.platform}-${process.arch}`,
      'platform',
    );
  }
  const tfjsNodeVersion = wantedTfjsNodeVersion();
  if (ensureTfjsNode(tfjsNodeVersion)) {
    say(
      `restored @tensorflow/tfjs-node ${tfjsNodeVersion} into node_modules (npm drops it when its own libtensorflow download fails)`,
    );
    restoredTfjsNode = true;
  }
  const version = tfVersion();
  const libraryDir = await ensureLibraries(version, bindingSources());
  placed = true;
  placeLibraries(libraryDir);
  const result = ensureVerifiedAddon(version, tfjsNodeVersion);
  if (result.error) throw checkFailure(result);
  say(
    `native backend ready: TensorFlow ${result.tensorflow} through tfjs-node ${result.tfjsNode}${result.graphFunctions ? ', with graph functions' : ''}`,
  );
}

function explain(error) {
  log(error instanceof StepError ? error.message : `unexpected error: ${error instanceof Error ? error.stack : error}`);
  process.stdout.write(failureParagraph(error, { cacheDir, tfVersion: safeTfVersion(), logFile }));
}

function safeTfVersion() {
  try {
    return tfVersion();
  } catch {
    return DEFAULT_TF_VERSION;
  }
}

async function main() {
  if (process.env.INERTIA_SKIP_NATIVE === '1') return;
  // `npm install --omit=optional` asked for no tfjs-node: do not put it back.
  if ((process.env.npm_config_omit ?? '').split(/[\s,]+/).includes('optional')) return;
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
    fs.appendFileSync(logFile, '');
  } catch {
    // A cache that cannot be written may still be complete (a read-only copy): the log goes elsewhere.
    logFile = path.join(os.tmpdir(), 'inertia-native-install.log');
  }
  log(`--- install.mjs in ${root} (node ${process.version}, cache ${cacheDir})`);
  try {
    removeTemporaryLeftovers();
    restoreBackup();
    if (fs.existsSync(tfjsNodeDir) && process.env.INERTIA_NATIVE_FROM_WHEEL !== '1') {
      const already = verify();
      if (!already.error) {
        say(`native backend already works: TensorFlow ${already.tensorflow} through tfjs-node ${already.tfjsNode}`);
        if (!already.graphFunctions) addGraphFunctions();
        return;
      }
    }
    await setUp();
  } catch (error) {
    // A tfjs-node without its binding would only make the fallback's warning less clear.
    if (restoredTfjsNode) fs.rmSync(tfjsNodeDir, { recursive: true, force: true });
    else if (placed) removePlaced();
    explain(error);
    // The cpu backend works, so `npm install` succeeds, unless the native backend was required.
    if (process.env.INERTIA_BACKEND === 'tensorflow' || process.argv.includes('--required')) process.exitCode = 1;
  }
}

await main();
