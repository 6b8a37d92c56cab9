// @ts-check
/**
 * The installer's first route: tfjs-node already loads and trains (its own libtensorflow
 * download worked), so only its binding is rebuilt with the graph-function patch, keeping the
 * working binding if that fails.
 */
import fs from 'node:fs';
import { StepError } from './failure.mjs';
import { addonLocation, buildAddon, checkProblem, stageGraphPatch } from './steps.mjs';

/** @typedef {import('./context.mjs').InstallContext} InstallContext */

/**
 * Where addGraphFunctions keeps the working binding while it builds the patched one.
 * @param {import('./steps.mjs').AddonLocation} addon
 */
const backupOf = (addon) => `${addon.file}.inertia-backup`;

/**
 * A tfjs-node that already works but whose binding lacks this patch's graph functions (it has
 * none, or when `outdated`, ones built from other sources): rebuild its binding with them,
 * keeping the working one if that fails. The working binding is moved aside (a rename: no copy
 * that a full disk could cut short) and moved back on failure, or by the next run if this one
 * is killed meanwhile ({@link restoreBackup}).
 * @param {InstallContext} context
 */
export function addGraphFunctions(context, outdated = false) {
  const fallback = outdated ? 'the binding keeps the graph functions it had' : 'training runs eager steps';
  let patch;
  try {
    patch = stageGraphPatch(context);
  } catch (error) {
    // No room or no permission for the patched sources: the working binding stays as it is.
    context.say(
      `WARNING: could not stage the graph-function patch (${/** @type {Error} */ (error).message}); ${fallback}`,
    );
    return;
  }
  if (!patch) return;
  const addon = addonLocation(context);
  const backup = backupOf(addon);
  try {
    fs.renameSync(addon.file, backup);
    buildAddon(context, addon, patch.dir);
    const result = context.verify();
    const problem = checkProblem(result, patch.hash);
    if (problem !== null) throw new StepError('checking the binding with graph functions', problem);
    context.say('binding rebuilt with graph functions (compiled training steps)');
  } catch (error) {
    if (fs.existsSync(backup)) fs.renameSync(backup, addon.file);
    context.say(
      `WARNING: could not add graph functions to the binding (${error instanceof Error ? error.message : error}); ${fallback}`,
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
 * @param {InstallContext} context
 */
export function restoreBackup(context) {
  let addon;
  try {
    addon = addonLocation(context);
  } catch {
    return; // No readable tfjs-node package.json: nothing was moved aside.
  }
  if (!fs.existsSync(backupOf(addon))) return;
  fs.renameSync(backupOf(addon), addon.file);
  context.say('put back the binding that an earlier install moved aside before it was stopped');
}
