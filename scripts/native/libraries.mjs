// @ts-check
/**
 * The wheel route's libraries: TensorFlow's C library taken from PyPI's tensorflow-cpu wheel
 * (INERTIA_TF_WHEEL, else a cached wheel, else `pip download`), the two libraries (stripped)
 * and the headers the binding includes kept in the cache and checked against its manifest
 * (cache.mjs), then placed into tfjs-node's deps/ the way its binding.gyp expects.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import {
  cacheProblem,
  describeHeaders,
  describeLibraries,
  dropLibraries,
  keepAddons,
  MANIFEST,
  upgradeManifest,
} from './cache.mjs';
import { readJson } from './context.mjs';
import { causeOf, diskStep, StepError } from './failure.mjs';
import { removeStaleStaging } from './steps.mjs';
import { extractWheel, WheelError, WHEEL_LIBRARIES } from './wheel.mjs';

/** @typedef {import('./context.mjs').InstallContext} InstallContext */

const DEFAULT_TF_VERSION = '2.21.0';

/**
 * INERTIA_TF_WHEEL as an absolute path, or null. A relative path is taken from where `npm
 * install` was run (INIT_CWD), not from the package folder npm runs this script in.
 */
function givenWheel() {
  const wheel = process.env.INERTIA_TF_WHEEL;
  return wheel ? path.resolve(process.env.INIT_CWD || process.cwd(), wheel) : null;
}

/** The TensorFlow version to install: INERTIA_TF_WHEEL's, else INERTIA_TF_VERSION, else the default. */
export function tfVersion() {
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

/** {@link tfVersion}, or the default where INERTIA_TF_WHEEL is misnamed (for the failure's advice). */
export function safeTfVersion() {
  try {
    return tfVersion();
  } catch {
    return DEFAULT_TF_VERSION;
  }
}

/**
 * A pip that works here: pip3, pip, or python3 -m pip.
 * @returns {[string, string[]]}
 */
function findPip() {
  for (const [command, args] of /** @type {[string, string[]][]} */ ([
    ['pip3', []],
    ['pip', []],
    ['python3', ['-m', 'pip']],
  ])) {
    const result = spawnSync(command, [...args, '--version'], { stdio: 'ignore' });
    if (result.status === 0) return [command, args];
  }
  throw new StepError(
    'downloading the tensorflow-cpu wheel',
    'no pip found (install python3-pip, or set INERTIA_TF_WHEEL)',
    'download',
  );
}

/**
 * INERTIA_TF_WHEEL, else a wheel already in the cache, else one fetched with pip.
 * @param {InstallContext} context
 * @param {string} version
 */
function obtainWheel(context, version) {
  const given = givenWheel();
  if (given) {
    if (!fs.existsSync(given)) throw new StepError('INERTIA_TF_WHEEL', `${given} does not exist`, 'wheel');
    return given;
  }
  const wheels = path.join(context.cacheDir, 'wheels');
  const cached = () =>
    fs.existsSync(wheels) &&
    fs.readdirSync(wheels).find((name) => name.startsWith(`tensorflow_cpu-${version}-`) && name.endsWith('.whl'));
  if (!cached()) {
    context.say(`downloading tensorflow-cpu ${version} with pip (about 250 MB)`);
    const [pip, pipArgs] = findPip();
    context.run(
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
 * @param {InstallContext} context
 * @param {string} file
 * @param {string} folder
 */
function strip(context, file, folder) {
  const stripped = `${file}.stripped`;
  try {
    context.run('stripping the TensorFlow libraries', 'strip', ['--strip-all', '-o', stripped, file], { folder });
    fs.renameSync(stripped, file);
    return true;
  } catch (error) {
    fs.rmSync(stripped, { force: true });
    if (!(error instanceof StepError) || causeOf(error) !== 'other') throw error;
    context.say(`WARNING: ${error.message}; keeping ${path.basename(file)} unstripped (larger, works the same)`);
    return false;
  }
}

/**
 * Extracts the libraries and headers of `wheel` into a staging folder, strips them and writes
 * the manifest (sizes and SHA-256s of the stripped libraries, SHA-256s of the headers); then
 * the staging folder replaces `dir`, keeping its built bindings.
 * @param {InstallContext} context
 * @param {string} version
 * @param {string} wheel
 * @param {string} dir
 * @param {string[]} bindingSources the binding's C++ sources, whose includes say which headers to keep
 */
async function extractIntoCache(context, version, wheel, dir, bindingSources) {
  context.say(`extracting libraries and headers from ${path.basename(wheel)}`);
  removeStaleStaging(context, dir);
  const staging = `${dir}.partial-${os.hostname()}-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  try {
    // Not recursive: Node's recursive mkdir says ENOENT where the disk is read-only (EROFS).
    fs.mkdirSync(staging);
    const { headers } = await extractWheel(wheel, staging, bindingSources);
    const names = WHEEL_LIBRARIES.map((name) => path.basename(name));
    const stripped =
      hasStrip() && names.map((name) => strip(context, path.join(staging, 'lib', name), dir)).every(Boolean);
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

/**
 * Removes a cached wheel that failed to read, so the next attempt downloads it again.
 * @param {InstallContext} context
 * @param {string} wheel
 * @param {Error} error
 */
function dropDamagedWheel(context, wheel, error) {
  if (wheel === givenWheel()) {
    throw new StepError('reading INERTIA_TF_WHEEL', `${error.message}; download it again`, 'wheel');
  }
  context.say(`the cached wheel is damaged (${error.message}); deleting it and downloading it again`);
  fs.rmSync(wheel, { force: true });
}

/**
 * Records the hashes in an older manifest (sizes only); a cache that cannot be written keeps its manifest.
 * @param {InstallContext} context
 * @param {string} dir
 */
function recordHashes(context, dir) {
  try {
    return upgradeManifest(dir);
  } catch (error) {
    context.log(
      `could not record the SHA-256s in ${path.join(dir, MANIFEST)} (${/** @type {Error} */ (error).message})`,
    );
    return false;
  }
}

/**
 * The folder in the cache with the stripped libraries and headers for `version`, verified
 * against the manifest; extracted (again) from the wheel when missing or damaged.
 * @param {InstallContext} context
 * @param {string} version
 * @param {string[]} bindingSources
 */
export async function ensureLibraries(context, version, bindingSources) {
  const dir = path.join(context.cacheDir, `tf-${version}`);
  if (fs.existsSync(path.join(dir, MANIFEST))) {
    const problem = cacheProblem(dir);
    if (problem === null) {
      const upgraded = recordHashes(context, dir);
      context.say(
        `using cached TensorFlow ${version} libraries from ${dir} (${upgraded ? 'SHA-256 recorded' : 'SHA-256 verified'})`,
      );
      return dir;
    }
    context.say(`the cached libraries cannot be used (${problem}); extracting them again`);
    dropLibraries(dir);
  }
  for (let attempt = 1; ; attempt++) {
    const wheel = obtainWheel(context, version);
    try {
      await extractIntoCache(context, version, wheel, dir, bindingSources);
      break;
    } catch (error) {
      if (!(error instanceof WheelError)) throw error;
      dropDamagedWheel(context, wheel, error);
      if (attempt === 2) throw new StepError('reading the downloaded wheel', error.message, 'download');
    }
  }
  /** @type {Record<string, { size: number }>} */
  const libraries = readJson(path.join(dir, MANIFEST)).libraries;
  const megabytes = Object.values(libraries).reduce((sum, library) => sum + library.size, 0) / 1e6;
  context.say(`cached ${megabytes.toFixed(0)} MB of libraries in ${dir}`);
  return dir;
}

/**
 * Hard link (no copy on the same file system), else copy.
 * @param {string} from
 * @param {string} to
 */
function linkOrCopy(from, to) {
  fs.rmSync(to, { force: true });
  try {
    fs.linkSync(from, to);
  } catch {
    fs.copyFileSync(from, to);
  }
}

/**
 * @param {string} target
 * @param {string} file
 */
function symlink(target, file) {
  fs.rmSync(file, { force: true });
  fs.symlinkSync(target, file);
}

/**
 * Fills tfjs-node's deps/ the way binding.gyp and its install script expect:
 * libtensorflow.so / libtensorflow_framework.so for the linker, the sonames
 * libtensorflow_cc.so.2 / libtensorflow_framework.so.2 for the loader, and the
 * libtensorflow.so.<its version> file whose presence makes its install.js skip the download.
 * @param {InstallContext} context
 * @param {string} libraryDir
 */
export function placeLibraries(context, libraryDir) {
  const depsDir = path.join(context.tfjsNodeDir, 'deps');
  try {
    fillDeps(context.tfjsNodeDir, libraryDir, depsDir);
  } catch (error) {
    throw diskStep(`placing the libraries into ${depsDir}`, depsDir, error);
  }
}

/**
 * @param {string} tfjsNodeDir
 * @param {string} libraryDir
 * @param {string} depsDir
 */
function fillDeps(tfjsNodeDir, libraryDir, depsDir) {
  const depsLib = path.join(depsDir, 'lib');
  fs.rmSync(depsDir, { recursive: true, force: true });
  fs.mkdirSync(depsLib, { recursive: true });
  for (const name of WHEEL_LIBRARIES.map((n) => path.basename(n))) {
    linkOrCopy(path.join(libraryDir, 'lib', name), path.join(depsLib, name));
  }
  symlink('libtensorflow_cc.so.2', path.join(depsLib, 'libtensorflow.so'));
  symlink('libtensorflow_framework.so.2', path.join(depsLib, 'libtensorflow_framework.so'));
  const fromTfjsNode = createRequire(path.join(tfjsNodeDir, 'package.json'));
  /** @type {{ depsLibTensorFlowPath: string, depsLibTensorFlowFrameworkPath: string }} */
  const constants = fromTfjsNode('./scripts/deps-constants.js');
  symlink('libtensorflow_cc.so.2', constants.depsLibTensorFlowPath);
  symlink('libtensorflow_framework.so.2', constants.depsLibTensorFlowFrameworkPath);
  fs.cpSync(path.join(libraryDir, 'include'), path.join(depsDir, 'include'), { recursive: true });
}
