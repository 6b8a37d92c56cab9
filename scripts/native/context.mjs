// @ts-check
/**
 * What one run of the native installer knows and has done, in one object handed to every step:
 * where the package, tfjs-node, the cache and the log are; the progress lines and the log; the
 * commands run with their output in the log; and what it changed in node_modules, so that a
 * failed install can take it back (see install.mjs).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ending, StepError } from './failure.mjs';

/** scripts/native, where the installer's own files are. */
export const HERE = path.dirname(fileURLToPath(import.meta.url));

/** @param {string} file */
export const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));

/**
 * What verify.cjs says of the tfjs-node it loaded: the versions, the version of the binding's
 * graph functions and the hash of the patch they were built from (null without them; a
 * binding built before the hash was exported has none), or the error (and the signal that
 * killed the check, if one did).
 * @typedef {{ tensorflow?: string, tfjsNode?: string, graphFunctions?: number | null, graphPatch?: string | null, error?: string, signal?: NodeJS.Signals }} CheckResult
 */

/**
 * @typedef {object} RunOptions
 * @property {string} [cause] the kind of a failure of this command, for the advice (StepError's kind)
 * @property {string} [name] the command as the message calls it (default: its file name)
 * @property {string | null} [folder] the folder it writes into, for the advice
 * @property {string} [cwd]
 * @property {NodeJS.ProcessEnv} [env]
 */

/**
 * Where tfjs-node is, resolved the way inertia's own code resolves it: in inertia's checkout it
 * is <root>/node_modules, but installed as a dependency npm usually hoists it into the project's
 * node_modules. When it cannot be resolved (npm removed it), it is restored under <root>.
 * @param {string} root
 */
function locateTfjsNode(root) {
  try {
    const manifest = createRequire(path.join(root, 'package.json')).resolve('@tensorflow/tfjs-node/package.json');
    return path.dirname(manifest);
  } catch {
    return path.join(root, 'node_modules', '@tensorflow', 'tfjs-node');
  }
}

export class InstallContext {
  constructor() {
    /** The package root (inertia's folder, with its package.json). */
    this.root = path.resolve(HERE, '../..');
    this.tfjsNodeDir = locateTfjsNode(this.root);
    this.cacheDir =
      process.env.INERTIA_CACHE_DIR ||
      path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'inertia');
    /** Under the cache, or in the temporary folder when the cache cannot be written ({@link openLog}). */
    this.logFile = path.join(this.cacheDir, 'native-install.log');
    this.started = Date.now();
    /** Whether this run put tfjs-node back into node_modules (removed again when the install gives up). */
    this.restoredTfjsNode = false;
    /** Whether libraries were placed into tfjs-node's deps/ (removed again when the install gives up). */
    this.placed = false;
  }

  /** Makes the cache folder and the log; a cache that cannot be written sends the log to the temporary folder. */
  openLog() {
    try {
      fs.mkdirSync(this.cacheDir, { recursive: true });
      fs.appendFileSync(this.logFile, '');
    } catch {
      // A cache that cannot be written may still be complete (a read-only copy): the log goes elsewhere.
      this.logFile = path.join(os.tmpdir(), 'inertia-native-install.log');
    }
  }

  /** A progress line on stdout, with the seconds since the start, and the same in the log. @param {string} message */
  say(message) {
    const seconds = ((Date.now() - this.started) / 1000).toFixed(0);
    process.stdout.write(`inertia native: ${message} (${seconds}s)\n`);
    this.log(message);
  }

  /** @param {string} text */
  log(text) {
    try {
      fs.appendFileSync(this.logFile, `[${new Date().toISOString()}] ${text}\n`);
    } catch {
      // No writable log: the progress lines still say what happened.
    }
  }

  /**
   * The last `bytes` of the log from offset `from` on: what a child wrote there.
   * @param {number} from
   */
  logSince(from, bytes = 16_384) {
    try {
      const size = fs.statSync(this.logFile).size;
      const start = Math.max(from, size - bytes);
      const buffer = Buffer.alloc(Math.max(0, size - start));
      const fd = fs.openSync(this.logFile, 'r');
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
   * from which the advice is chosen.
   * @param {string} step
   * @param {string} command
   * @param {readonly string[]} args
   * @param {RunOptions} [options]
   */
  run(step, command, args, { cause = 'other', name = path.basename(command), folder = null, ...options } = {}) {
    this.log(`$ ${command} ${args.join(' ')}${options.cwd ? `   (in ${options.cwd})` : ''}`);
    const out = fs.openSync(this.logFile, 'a');
    const from = fs.fstatSync(out).size;
    try {
      const result = spawnSync(command, args, { stdio: ['ignore', out, out], ...options });
      if (result.error) throw new StepError(step, result.error.message, cause, { folder });
      if (result.status !== 0) {
        const facts = { signal: result.signal, output: this.logSince(from), folder };
        throw new StepError(step, `${name} ${ending(result)}`, cause, facts);
      }
    } finally {
      fs.closeSync(out);
    }
  }

  /**
   * Loads tfjs-node in a child and trains one step (verify.cjs).
   * @returns {CheckResult}
   */
  verify() {
    const result = spawnSync(process.execPath, [path.join(HERE, 'verify.cjs')], { cwd: this.root, encoding: 'utf8' });
    this.log(
      `verify: ${ending(result)} ${result.stdout.trim()} ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`,
    );
    // A damaged library kills the loading process (SIGBUS, SIGSEGV) before it can say anything.
    if (result.signal)
      return { error: `the check ${ending(result)} while loading the native libraries`, signal: result.signal };
    if (result.status !== 0)
      return { error: result.stderr.trim().split('\n').at(-1) || `exit status ${result.status}` };
    return JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '');
  }
}
