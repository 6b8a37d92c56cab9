/**
 * `inertia setup`: sets up TensorFlow's native backend in whatever project inertia is installed
 * in, by running the native install (scripts/native/install.mjs, the package's `postinstall`)
 * that npm 11 skips for dependencies whose install scripts are not approved. Its progress lines
 * go to this process's output as they come. The install is asked to fail (`--required`) when it
 * cannot give the native backend, with the cause and its fix in its last paragraph.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../util/errors.js';

/** scripts/native/install.mjs of this package: two folders up from src/commands or dist/commands. */
const INSTALL_SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../scripts/native/install.mjs');

/**
 * The environment of the install: the variables that make a `postinstall` skip the native
 * install (INERTIA_SKIP_NATIVE, npm's omit=optional) are dropped, since setting it up is what
 * was asked for.
 */
function setupEnvironment(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.INERTIA_SKIP_NATIVE;
  delete env.npm_config_omit;
  return env;
}

/**
 * Where inertia is a dependency (its folder is inside a node_modules), what a later `npm install`
 * may undo: npm drops a tfjs-node whose own libtensorflow download failed (offline) and removes
 * the copy the setup put back. Null in inertia's own checkout.
 */
function dependencyNote(): string | null {
  if (!INSTALL_SCRIPT.split(path.sep).includes('node_modules')) return null;
  return (
    'inertia setup: a later `npm install` in this project may remove the native backend again ' +
    '(npm drops @tensorflow/tfjs-node when its own download fails); run `npx inertia setup` again then, ' +
    'and `npx inertia doctor` to see which backend runs'
  );
}

/**
 * Runs the native install with its output on this process's; throws a UserError when it fails.
 * Returns a note for the user, or null.
 */
export async function setup(): Promise<string | null> {
  const child = spawn(process.execPath, [INSTALL_SCRIPT, '--required'], {
    env: setupEnvironment(),
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status, signal) => resolve(signal ? null : status));
  });
  if (code !== 0) {
    throw new UserError(
      'the native backend could not be set up (the paragraph above says why and what to do); inertia still runs on the cpu backend',
    );
  }
  return dependencyNote();
}
