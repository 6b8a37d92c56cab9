// @ts-check
/**
 * The steps both routes of the installer take (install.mjs): temporary folders named for their
 * owner and the leftovers of killed installers, where tfjs-node's binding goes, building it with
 * node-gyp, and staging the graph-function patch.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PatchError, stagePatchedBinding } from './bindingPatch.mjs';
import { readJson } from './context.mjs';
import { StepError } from './failure.mjs';

/** @typedef {import('./context.mjs').InstallContext} InstallContext */

/**
 * Where node-pre-gyp (and so tfjs-node) looks for the addon: `dir`/`name`.node, as `file`.
 * @typedef {{ napi: number, name: string, dir: string, file: string }} AddonLocation
 */

/** Patched binding sources in a staging folder, and the patch's hash (see stageGraphPatch). @typedef {{ dir: string, hash: string }} StagedPatch */

/**
 * Why verify()'s result is not a pass for an addon built with the patch whose hash is `hash`
 * (null: built without it), or null when it passes.
 * @param {import('./context.mjs').CheckResult} result
 * @param {string | null} hash
 */
export function checkProblem(result, hash) {
  if (result.error) return result.error;
  if (hash === null || result.graphPatch === hash) return null;
  return result.graphFunctions
    ? `its graph functions are from another patch (${result.graphPatch ?? 'not recorded'})`
    : 'no graph functions';
}

/** @param {number} pid */
const isAlive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return /** @type {NodeJS.ErrnoException} */ (error)?.code === 'EPERM';
  }
};

/**
 * Removes what installers killed midway left in `parent` (a kill gives them no chance to clean
 * up): the entries named `<prefix><rest>` for which `pidOf(rest)` gives the pid of a process
 * of this host that is gone. Entries of live processes, or of other hosts, are left alone.
 * @param {InstallContext} context
 * @param {string} parent
 * @param {string} prefix
 * @param {(rest: string) => string | undefined} pidOf
 */
function removeLeftovers(context, parent, prefix, pidOf) {
  for (const name of fs.existsSync(parent) ? fs.readdirSync(parent) : []) {
    const pid = name.startsWith(prefix) ? pidOf(name.slice(prefix.length)) : null;
    if (pid && !isAlive(Number(pid))) {
      context.log(`removing ${path.join(parent, name)}, left by an installer that was stopped midway`);
      try {
        fs.rmSync(path.join(parent, name), { recursive: true, force: true });
      } catch (error) {
        // Another user's folder in a shared /tmp, or a read-only cache: not this install's to fail on.
        context.log(`could not remove it (${/** @type {Error} */ (error).message})`);
      }
    }
  }
}

/**
 * A temporary folder named for its owner (`inertia-<what>-<host>-<pid>-XXXXXX`), see {@link removeLeftovers}.
 * @param {string} what
 */
export const temporaryFolder = (what) =>
  fs.mkdtempSync(path.join(os.tmpdir(), `inertia-${what}-${os.hostname()}-${process.pid}-`));

/** This host's name, escaped for a regular expression. */
const hostPattern = () => os.hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The temporary folders (binding sources and builds, npm pack) of killed installers of this host.
 * @param {InstallContext} context
 */
export function removeTemporaryLeftovers(context) {
  const owner = new RegExp(`^${hostPattern()}-(\\d+)-`);
  for (const what of ['binding', 'tfjs-node'])
    removeLeftovers(context, os.tmpdir(), `inertia-${what}-`, (rest) => owner.exec(rest)?.[1]);
}

/**
 * The staging folders next to `dir` of killed extractions (`<dir>.partial-<host>-<pid>`, or
 * `<dir>.partial-<pid>` of older installers): each holds up to a gigabyte of libraries.
 * @param {InstallContext} context
 * @param {string} dir
 */
export function removeStaleStaging(context, dir) {
  const owner = new RegExp(`^(?:${hostPattern()}-)?(\\d+)$`);
  removeLeftovers(context, path.dirname(dir), `${path.basename(dir)}.partial-`, (rest) => owner.exec(rest)?.[1]);
}

/**
 * Where node-pre-gyp (and so tfjs-node) looks for the addon: lib/napi-v<N>/tfjs_binding.node.
 * @param {InstallContext} context
 * @returns {AddonLocation}
 */
export function addonLocation(context) {
  const binary = readJson(path.join(context.tfjsNodeDir, 'package.json')).binary;
  const supported = Number(process.versions.napi);
  const napi = Math.max(.../** @type {number[]} */ (binary.napi_versions).filter((v) => v <= supported));
  if (!Number.isFinite(napi))
    throw new StepError('building the binding', `Node's N-API ${supported} is older than tfjs-node needs`, 'build');
  const dir = path.resolve(context.tfjsNodeDir, binary.module_path.replace('{napi_build_version}', String(napi)));
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

/**
 * Builds the addon from `sourceDir` (tfjs-node's own sources, or a patched copy of them).
 * @param {InstallContext} context
 * @param {AddonLocation} addon
 * @param {string} sourceDir
 */
export function buildAddon(context, addon, sourceDir) {
  const nodeGyp = findNodeGyp();
  const nodeDir = findNodeDir();
  context.say(
    `building the tfjs-node binding from source${sourceDir === context.tfjsNodeDir ? '' : ' with graph functions'} (about a minute)`,
  );
  context.run(
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

/**
 * The binding sources with inertia's graph functions (for compiled training steps) in a
 * staging folder, or null, with one line saying why, when the patch does not fit this
 * tfjs-node (the binding is then built unpatched and training runs eagerly).
 * @param {InstallContext} context
 * @returns {StagedPatch | null}
 */
export function stageGraphPatch(context) {
  const dir = temporaryFolder('binding');
  try {
    return { dir, hash: stagePatchedBinding(context.tfjsNodeDir, dir) };
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    if (!(error instanceof PatchError)) throw error;
    context.say(
      `WARNING: graph-function patch not applied (${error.message}); building the binding without it, so training runs eager steps (--compile falls back)`,
    );
    return null;
  }
}
