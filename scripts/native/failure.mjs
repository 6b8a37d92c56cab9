// @ts-check
/**
 * Why the native install failed, and what to do about it. A failed step is a {@link StepError}
 * carrying what is known of its cause: the kind of step, the signal that killed its child, the
 * end of the child's output, the folder it was writing. {@link causeOf} picks the cause from
 * those facts, the most specific first (a child killed from outside, a full disk, a folder that
 * cannot be written, then the step's own kind), and {@link advice} says what fixes that cause:
 * "install a compiler" for a full disk, or "check the internet" for a build killed by the
 * out-of-memory killer, would send the user the wrong way.
 */
import path from 'node:path';

/**
 * A step that failed. `kind` is the cause as far as the step knows it: 'download' (no wheel
 * could be fetched), 'wheel' (a given wheel is damaged), 'build' (compiler or headers),
 * 'verify' (the built backend failed its check), 'platform', 'disk-full', 'not-writable' or 'other'.
 */
export class StepError extends Error {
  /**
   * @param {string} step what was being done
   * @param {string} detail what went wrong
   * @param {string} [kind]
   * @param {{ signal?: NodeJS.Signals | null, output?: string, folder?: string | null }} [facts] the signal
   *   that killed the step's child, the end of the child's output, the folder the step wrote into
   */
  constructor(step, detail, kind = 'other', facts = {}) {
    super(`${step}: ${detail}`);
    this.kind = kind;
    this.signal = facts.signal ?? null;
    this.output = facts.output ?? '';
    this.folder = facts.folder ?? null;
  }
}

/**
 * How a child process ended, for a message: a status, or the signal that killed it.
 * @param {{ status: number | null, signal: NodeJS.Signals | null }} result
 */
export function ending(result) {
  return result.signal ? `was killed by ${result.signal}` : `exited with status ${result.status}`;
}

/**
 * Signals sent from outside (the out-of-memory killer, Ctrl-C, a timeout, a service manager),
 * as opposed to a child crashing on its own (SIGSEGV, SIGBUS: a damaged library or a bug).
 */
const STOP_SIGNALS = new Set(['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT']);
/** @param {string | null | undefined} signal */
export const isStopSignal = (signal) => STOP_SIGNALS.has(signal ?? '');
const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT']);
const NOT_WRITABLE_CODES = new Set(['EACCES', 'EPERM', 'EROFS']);
/** A full disk as pip (Python's errno 28 and 122), the compiler, the linker and Node say it. */
const DISK_FULL_OUTPUT = /No space left on device|Disk quota exceeded|\[Errno (28|122)\]|ENOSPC|EDQUOT/;
/** A folder that cannot be written, as pip (errno 13 and 30) and Node say it. */
const NOT_WRITABLE_OUTPUT = /\[Errno (13|30)\]|Read-only file system|EACCES|EROFS/;

/**
 * `error`, a file-system error met while `step` wrote into `folder`, as a StepError whose
 * cause is the disk (full, read-only, forbidden); any other error unchanged.
 * @param {string} step
 * @param {string | null} folder
 * @param {unknown} error
 */
export function diskStep(step, folder, error) {
  const code = /** @type {NodeJS.ErrnoException | null | undefined} */ (error)?.code ?? '';
  const kind = DISK_FULL_CODES.has(code) ? 'disk-full' : NOT_WRITABLE_CODES.has(code) ? 'not-writable' : null;
  return kind ? new StepError(step, /** @type {Error} */ (error).message, kind, { folder }) : error;
}

/**
 * The cause of a failure, the key of {@link advice}.
 * @param {unknown} error
 * @returns {string}
 */
export function causeOf(error) {
  if (!(error instanceof StepError)) {
    const disk = diskStep('', null, error);
    return disk instanceof StepError ? disk.kind : 'other';
  }
  if (error.signal && STOP_SIGNALS.has(error.signal)) return 'killed';
  if (DISK_FULL_OUTPUT.test(error.output)) return 'disk-full';
  if (NOT_WRITABLE_OUTPUT.test(error.output)) return 'not-writable';
  return error.kind;
}

/**
 * What to do about a failure of cause `cause`. `context`: { cacheDir, tfVersion, error }
 * (the error names the signal or the folder where the advice needs it).
 * @param {string} cause
 * @param {{ cacheDir: string, tfVersion: string, error?: unknown }} context
 */
export function advice(cause, { cacheDir, tfVersion, error: thrown }) {
  const error = /** @type {{ folder?: string | null, path?: string, signal?: string | null } | null | undefined} */ (
    thrown
  );
  const folder = error?.folder ?? error?.path ?? cacheDir;
  const underCache = !path.relative(cacheDir, folder).startsWith('..');
  const download =
    'give this machine internet access (tfjs-node then downloads libtensorflow itself); ' +
    'set TFJS_NODE_BASE_URI to a mirror of the libtensorflow tarballs; ' +
    `make \`pip download tensorflow-cpu==${tfVersion}\` work, or set INERTIA_TF_WHEEL=/path/to/tensorflow_cpu-*.whl`;
  /** @type {Record<string, () => string>} */
  const texts = {
    download: () => download,
    wheel: () =>
      `download the wheel again (\`pip download --no-deps tensorflow-cpu==${tfVersion}\`) and point INERTIA_TF_WHEEL ` +
      'at the new file, or unset INERTIA_TF_WHEEL to let pip fetch it',
    build: () =>
      'install a C++ toolchain (g++, make, python3) and the Node.js headers (e.g. libnode-dev), as node-gyp needs',
    verify: () =>
      `read the log for the failed check; removing the cache ${cacheDir} makes the next install extract and build everything again`,
    platform: () => 'nothing to do: the native backend is set up on linux-x64 only',
    'disk-full': () =>
      `free some space on the disk of ${folder} (the install needs about 1 GB: the wheel, the libraries and a build)` +
      (underCache ? ', or set INERTIA_CACHE_DIR to a folder on a disk with room' : ''),
    'not-writable': () =>
      `make ${folder} writable (it is read-only, or belongs to another user: install as that user)` +
      (underCache ? ', or set INERTIA_CACHE_DIR to a folder you can write' : ''),
    killed: () =>
      error?.signal === 'SIGKILL'
        ? 'SIGKILL is most often the kernel\'s out-of-memory killer (`dmesg | grep -i "killed process"` shows it): ' +
          'free memory (close other programs, add swap) so that the step can finish'
        : `it was stopped from outside by ${error?.signal} (Ctrl-C, a timeout or a service manager): let it finish`,
    other: () => `read the log; ${download}`,
  };
  return (texts[cause] ?? texts.other)();
}

/**
 * The paragraph printed when the install gives up: what failed, that inertia still works, and the fix for the cause.
 * @param {unknown} error
 * @param {{ cacheDir: string, tfVersion: string, logFile: string }} context
 */
export function failureParagraph(error, { cacheDir, tfVersion, logFile }) {
  const what =
    error instanceof StepError ? error.message : String(/** @type {Error | null} */ (error)?.message ?? error);
  return (
    `inertia native: could not set up TensorFlow's native kernels (${what}). ` +
    'inertia still works, on the pure-JS cpu backend (20 to 50 times slower). To get the native backend: ' +
    `${advice(causeOf(error), { cacheDir, tfVersion, error })}; then run \`npx inertia setup\` ` +
    `and check with \`npx inertia doctor\`. Log: ${logFile}\n`
  );
}
