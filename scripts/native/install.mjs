#!/usr/bin/env node
// @ts-check
/**
 * Root `postinstall`: gives @tensorflow/tfjs-node native TensorFlow kernels on machines
 * where its own install script cannot download libtensorflow (no route to Google storage).
 *
 * 1. If tfjs-node already loads and trains (its own download worked, or an earlier install
 *    built it), only rebuild its binding with the graph-function patch (bindingPatch.mjs) when
 *    the binding lacks this patch (no graph functions, or ones built from other sources),
 *    keeping the working one if that fails.
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
 *
 * Files: this one chooses the route; asInstalled.mjs is route 1, fromWheel.mjs and
 * libraries.mjs route 2; steps.mjs holds the steps both take, context.mjs the state of one
 * run (paths, log, what was changed), failure.mjs the causes and their advice.
 */
import fs from 'node:fs';
import { addGraphFunctions, restoreBackup } from './asInstalled.mjs';
import { patchHash } from './bindingPatch.mjs';
import { InstallContext } from './context.mjs';
import { failureParagraph, StepError } from './failure.mjs';
import { installFromWheel, undoFromWheel } from './fromWheel.mjs';
import { safeTfVersion } from './libraries.mjs';
import { removeTemporaryLeftovers } from './steps.mjs';

/**
 * Logs the failure and prints the paragraph that says what failed and its fix.
 * @param {InstallContext} context
 * @param {unknown} error
 */
function explain(context, error) {
  context.log(
    error instanceof StepError ? error.message : `unexpected error: ${error instanceof Error ? error.stack : error}`,
  );
  const { cacheDir, logFile } = context;
  process.stdout.write(failureParagraph(error, { cacheDir, tfVersion: safeTfVersion(), logFile }));
}

/**
 * Route 1 when tfjs-node already works (unless INERTIA_NATIVE_FROM_WHEEL=1), else route 2.
 * @param {InstallContext} context
 */
async function install(context) {
  removeTemporaryLeftovers(context);
  restoreBackup(context);
  if (fs.existsSync(context.tfjsNodeDir) && process.env.INERTIA_NATIVE_FROM_WHEEL !== '1') {
    const already = context.verify();
    if (!already.error) {
      context.say(
        `native backend already works: TensorFlow ${already.tensorflow} through tfjs-node ${already.tfjsNode}`,
      );
      const patch = patchHash();
      if (!already.graphFunctions) addGraphFunctions(context);
      else if (already.graphPatch !== patch) {
        // A binding built by an earlier inertia, whose C++ differs from this one's.
        context.say(
          `its graph functions were built from other sources (patch ${already.graphPatch ?? 'not recorded'}, this inertia's is ${patch}): rebuilding them`,
        );
        addGraphFunctions(context, true);
      }
      return;
    }
  }
  await installFromWheel(context);
}

async function main() {
  if (process.env.INERTIA_SKIP_NATIVE === '1') return;
  // `npm install --omit=optional` asked for no tfjs-node: do not put it back.
  if ((process.env.npm_config_omit ?? '').split(/[\s,]+/).includes('optional')) return;
  const context = new InstallContext();
  context.openLog();
  context.log(`--- install.mjs in ${context.root} (node ${process.version}, cache ${context.cacheDir})`);
  try {
    await install(context);
  } catch (error) {
    undoFromWheel(context);
    explain(context, error);
    // The cpu backend works, so `npm install` succeeds, unless the native backend was required.
    if (process.env.INERTIA_BACKEND === 'tensorflow' || process.argv.includes('--required')) process.exitCode = 1;
  }
}

await main();
