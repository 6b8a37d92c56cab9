// @ts-check
/**
 * The installer's second route, for a tfjs-node that does not work as installed (its own
 * libtensorflow download failed): tfjs-node put back into node_modules if npm removed it (it is
 * an optionalDependency), TensorFlow's libraries from the tensorflow-cpu wheel (libraries.mjs),
 * the binding built from source (with the graph-function patch when it applies, else without)
 * with npm's node-gyp against the local Node headers, cached, and verified in a child process.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readJson } from './context.mjs';
import { causeOf, diskStep, isStopSignal, StepError } from './failure.mjs';
import { ensureLibraries, placeLibraries, tfVersion } from './libraries.mjs';
import {
  addonLocation,
  buildAddon,
  checkProblem,
  stageGraphPatch,
  removeStaleStaging,
  temporaryFolder,
} from './steps.mjs';

/** @typedef {import('./context.mjs').InstallContext} InstallContext */
/** @typedef {import('./context.mjs').CheckResult} CheckResult */
/** @typedef {import('./steps.mjs').StagedPatch} StagedPatch */
/** An addon in place: where it is cached, and whether it was built now or taken from the cache. @typedef {{ cached: string, built: boolean, patched: boolean }} PlacedAddon */

/** @param {InstallContext} context */
function wantedTfjsNodeVersion(context) {
  const pkg = readJson(path.join(context.root, 'package.json'));
  /** @type {string | undefined} */
  const version = pkg.optionalDependencies?.['@tensorflow/tfjs-node'] ?? pkg.dependencies?.['@tensorflow/tfjs-node'];
  if (!version) throw new StepError('reading package.json', 'no @tensorflow/tfjs-node dependency');
  return version;
}

/**
 * The npm that is running us (npm sets npm_execpath for lifecycle scripts), else `npm`.
 * @returns {[string, string[]]}
 */
function npmCommand() {
  const cli = process.env.npm_execpath;
  return cli && cli.endsWith('.js') ? [process.execPath, [cli]] : ['npm', []];
}

/**
 * Copies the folder `from` to `to` whole or not at all: into a staging folder beside `to`, then
 * renamed. A copy cut short (a full disk, a kill) must never be left at `to`: a package.json
 * there would make every later run take the half package for an installed one.
 * @param {InstallContext} context
 * @param {string} from
 * @param {string} to
 * @param {string} step
 */
function replaceDir(context, from, to, step) {
  const parent = path.dirname(to);
  const staging = `${to}.partial-${os.hostname()}-${process.pid}`;
  try {
    fs.mkdirSync(parent, { recursive: true });
    removeStaleStaging(context, to);
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
 * Puts the tfjs-node package back into node_modules when npm removed it; returns whether it did.
 * @param {InstallContext} context
 * @param {string} version
 */
function ensureTfjsNode(context, version) {
  const manifest = path.join(context.tfjsNodeDir, 'package.json');
  if (fs.existsSync(manifest) && readJson(manifest).version === version) return false;
  const tmp = temporaryFolder('tfjs-node');
  try {
    const [npm, npmArgs] = npmCommand();
    context.run(
      'restoring @tensorflow/tfjs-node (npm pack)',
      npm,
      [...npmArgs, 'pack', `@tensorflow/tfjs-node@${version}`, '--pack-destination', tmp, '--silent'],
      { cwd: tmp, cause: 'download', name: 'npm pack', folder: tmp },
    );
    const tarball = fs.readdirSync(tmp).find((name) => name.endsWith('.tgz'));
    if (!tarball) throw new StepError('restoring @tensorflow/tfjs-node', 'npm pack produced no tarball');
    context.run('unpacking @tensorflow/tfjs-node', 'tar', ['xzf', tarball], { cwd: tmp, folder: tmp });
    replaceDir(context, path.join(tmp, 'package'), context.tfjsNodeDir, 'restoring @tensorflow/tfjs-node');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return true;
}

/**
 * Copies `from` to `to` as a new file (never writing through a hard link `to` may be).
 * @param {string} from
 * @param {string} to
 */
function replaceFile(from, to) {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.rmSync(to, { force: true });
  fs.copyFileSync(from, to);
}

/**
 * Copies a built addon into the cache under a temporary name, renamed when complete. The cache
 * only spares the next install a build: when it cannot be written (full, read-only), one
 * warning says so and the install goes on with the addon it built.
 * @param {InstallContext} context
 * @param {string} file
 * @param {string} cached
 */
function cacheAddon(context, file, cached) {
  const partial = `${cached}.partial-${process.pid}`;
  try {
    fs.mkdirSync(path.dirname(cached), { recursive: true });
    fs.copyFileSync(file, partial);
    fs.renameSync(partial, cached);
  } catch (error) {
    fs.rmSync(partial, { force: true });
    context.say(
      `WARNING: the built binding could not be cached (${/** @type {Error} */ (error).message}); the next install builds it again`,
    );
  }
}

/**
 * Removes a cached addon that failed its check; a cache that cannot be written keeps it, with a warning.
 * @param {InstallContext} context
 * @param {string} cached
 */
function forgetAddon(context, cached) {
  try {
    fs.rmSync(cached, { force: true });
  } catch (error) {
    context.say(
      `WARNING: the binding that failed its check stays in the cache (${/** @type {Error} */ (error).message})`,
    );
  }
}

/**
 * Installs the addon from the cache (unless `useCache` is false), or builds it and caches it.
 * With `patch` (see stageGraphPatch) the build uses the patched sources and the cache key
 * carries the patch's hash, so patched and unpatched addons never stand in for each other.
 * @param {InstallContext} context
 * @param {string} version
 * @param {string} tfjsNodeVersion
 * @param {StagedPatch | null} patch
 * @returns {PlacedAddon}
 */
function ensureAddon(context, version, tfjsNodeVersion, patch, useCache = true) {
  const addon = addonLocation(context);
  const base = `tfjs-node-${tfjsNodeVersion}-napi-v${addon.napi}-abi${process.versions.modules}-${process.platform}-${process.arch}`;
  const key = patch ? `${base}-graph-${patch.hash}` : base;
  const cached = path.join(context.cacheDir, `tf-${version}`, 'addons', key, `${addon.name}.node`);
  if (useCache && fs.existsSync(cached)) {
    replaceFile(cached, addon.file);
    context.say(`using cached binding ${key}`);
    return { cached, built: false, patched: patch !== null };
  }
  fs.rmSync(addon.file, { force: true });
  buildAddon(context, addon, patch ? patch.dir : context.tfjsNodeDir);
  cacheAddon(context, addon.file, cached);
  return { cached, built: true, patched: patch !== null };
}

/** Causes that building the binding without the patch would meet again. */
const NO_RETRY = new Set(['killed', 'disk-full', 'not-writable']);

/**
 * The failure of the final check (verify()'s result with an error), as a StepError.
 * @param {CheckResult} result
 */
const checkFailure = (result) =>
  new StepError('verifying the native backend (matmul + one training step)', result.error ?? 'failed', 'verify', {
    signal: result.signal,
  });

/**
 * The addon (with `patch`, or without), from the cache or built, and verify()'s result for it.
 * A cached addon that fails its check may be damaged: it is removed from the cache and built
 * again. A check killed from outside (the out-of-memory killer) ends the install: every further
 * build and check would be killed the same way.
 * @param {InstallContext} context
 * @param {string} version
 * @param {string} tfjsNodeVersion
 * @param {StagedPatch | null} patch
 */
function verifiedAddon(context, version, tfjsNodeVersion, patch) {
  let addon = ensureAddon(context, version, tfjsNodeVersion, patch);
  let result = context.verify();
  if (isStopSignal(result.signal)) throw checkFailure(result);
  const problem = checkProblem(result, patch?.hash ?? null);
  if (problem !== null && !addon.built) {
    context.say(`cached binding failed (${problem}); rebuilding it`);
    forgetAddon(context, addon.cached);
    addon = ensureAddon(context, version, tfjsNodeVersion, patch, false);
    result = context.verify();
    if (isStopSignal(result.signal)) throw checkFailure(result);
  }
  return { addon, result };
}

/**
 * The patched addon, built or from the cache, verified; when the patched build or its check
 * fails, the unpatched addon instead (one line says why). Returns verify()'s result.
 * @param {InstallContext} context
 * @param {string} version
 * @param {string} tfjsNodeVersion
 */
function ensureVerifiedAddon(context, version, tfjsNodeVersion) {
  const patch = stageGraphPatch(context);
  try {
    if (patch) {
      try {
        const { addon, result } = verifiedAddon(context, version, tfjsNodeVersion, patch);
        const problem = checkProblem(result, patch.hash);
        if (problem === null) return result;
        forgetAddon(context, addon.cached);
        context.say(
          `WARNING: the binding with graph functions failed its check (${problem}); building it without them`,
        );
      } catch (error) {
        // Without the patch the build would meet the same full disk or be killed the same way.
        if (!(error instanceof StepError) || NO_RETRY.has(causeOf(error))) throw error;
        context.say(
          `WARNING: building the binding with graph functions failed (${error.message}); building it without them`,
        );
      }
    }
  } finally {
    if (patch) fs.rmSync(patch.dir, { recursive: true, force: true });
  }
  return verifiedAddon(context, version, tfjsNodeVersion, null).result;
}

/**
 * The C++ sources of tfjs-node's binding, whose includes say which headers to keep.
 * @param {InstallContext} context
 */
function bindingSources(context) {
  const dir = path.join(context.tfjsNodeDir, 'binding');
  return fs
    .readdirSync(dir)
    .filter((name) => /\.(cc|h)$/.test(name))
    .map((name) => fs.readFileSync(path.join(dir, name), 'utf8'));
}

/**
 * Sets up the native backend from the wheel; records in `context` what it changed in
 * node_modules (see {@link undoFromWheel}).
 * @param {InstallContext} context
 */
export async function installFromWheel(context) {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new StepError(
      'checking the platform',
      `the wheel route supports linux-x64 only, not ${process.platform}-${process.arch}`,
      'platform',
    );
  }
  const tfjsNodeVersion = wantedTfjsNodeVersion(context);
  if (ensureTfjsNode(context, tfjsNodeVersion)) {
    context.say(
      `restored @tensorflow/tfjs-node ${tfjsNodeVersion} into node_modules (npm drops it when its own libtensorflow download fails)`,
    );
    context.restoredTfjsNode = true;
  }
  const version = tfVersion();
  const libraryDir = await ensureLibraries(context, version, bindingSources(context));
  context.placed = true;
  placeLibraries(context, libraryDir);
  const result = ensureVerifiedAddon(context, version, tfjsNodeVersion);
  if (result.error) throw checkFailure(result);
  context.say(
    `native backend ready: TensorFlow ${result.tensorflow} through tfjs-node ${result.tfjsNode}${result.graphFunctions ? ', with graph functions' : ''}`,
  );
}

/**
 * Takes back what a failed {@link installFromWheel} changed, so that tfjs-node fails to load at
 * once and inertia uses the cpu backend: the tfjs-node it restored, or else the libraries it
 * placed into deps/ and the binding (a tfjs-node without its binding would only make the
 * fallback's warning less clear).
 * @param {InstallContext} context
 */
export function undoFromWheel(context) {
  if (context.restoredTfjsNode) {
    fs.rmSync(context.tfjsNodeDir, { recursive: true, force: true });
    return;
  }
  if (!context.placed) return;
  fs.rmSync(path.join(context.tfjsNodeDir, 'deps'), { recursive: true, force: true });
  try {
    fs.rmSync(addonLocation(context).file, { force: true });
  } catch {
    // No binding location (tfjs-node's package.json unreadable): nothing was built there.
  }
}
