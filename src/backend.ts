/**
 * The one module that decides which TensorFlow.js backend runs.
 *
 * - `tensorflow`: TensorFlow's native C++ kernels through `@tensorflow/tfjs-node`
 *   (used whenever its binding loads);
 * - `cpu`: the pure-JS kernels of `@tensorflow/tfjs`, a fallback about 20x slower on an
 *   MLP, with one warning line saying why and how to get the native one.
 *
 * `INERTIA_BACKEND=cpu|tensorflow` forces one; forcing `tensorflow` when its binding
 * cannot load is an error. Every other module imports `tf` from here, so there is exactly
 * one tfjs-core engine in the process (loaded through `require`, the same CommonJS copy
 * that tfjs-node registers its kernels with).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { damagedNativeFile } from './nativeFiles.js';
import type * as TF from '@tensorflow/tfjs';
import { UserError } from './util/errors.js';

export type BackendName = 'tensorflow' | 'cpu';
export const BACKEND_NAMES: readonly BackendName[] = ['tensorflow', 'cpu'];

const require = createRequire(import.meta.url);

// absl/TF print INFO lines on stderr when the library loads; keep user-facing output clean
// unless the user asked for them.
process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';

/**
 * Whether TensorFlow's oneDNN kernels were asked for, and by whom. TensorFlow turns them on by
 * itself only on CPUs with AVX-512 VNNI; elsewhere (e.g. AMD EPYC) convolutions run about 1.45x
 * faster with them and MLPs are unchanged, so inertia asks for them unless the user already set
 * TF_ENABLE_ONEDNN_OPTS. The variable is read by the C library when it loads, below.
 */
export interface OneDnnSetting {
  enabled: boolean;
  source: 'user' | 'inertia';
}

function applyOneDnnDefault(): OneDnnSetting {
  const own = process.env.TF_ENABLE_ONEDNN_OPTS;
  if (own !== undefined && own !== '') {
    return { enabled: !['0', 'false'].includes(own.trim().toLowerCase()), source: 'user' };
  }
  process.env.TF_ENABLE_ONEDNN_OPTS = '1';
  return { enabled: true, source: 'inertia' };
}

export const oneDnn: OneDnnSetting = applyOneDnnDefault();

export const NATIVE_HELP =
  'run `npm install` (or `npm run postinstall`) with access to pip, or with INERTIA_TF_WHEEL=<tensorflow-cpu wheel>; ' +
  'see "Native backend" in the README and check with `npx inertia doctor`';

interface NativeModule {
  tf: (typeof TF & { node?: unknown }) | null;
  error: string | null;
}

/**
 * Runs `load` with file descriptor 2 on /dev/null when TF_CPP_MIN_LOG_LEVEL asks for quiet
 * (Linux only): TensorFlow prints start-up notices (the oneDNN one) from its static
 * initialisers through absl, before its log level applies. Node has no dup2, so the original
 * stderr is reopened through /proc/self/fd (append mode: a redirected file is not truncated)
 * and lands on descriptor 2 again as the lowest free one.
 */
function quietLoad<T>(load: () => T): T {
  const level = Number(process.env.TF_CPP_MIN_LOG_LEVEL ?? 0);
  if (process.platform !== 'linux' || !(level >= 1) || !fs.existsSync('/proc/self/fd/2')) return load();
  let saved: number;
  try {
    saved = fs.openSync('/proc/self/fd/2', 'a');
  } catch {
    return load();
  }
  try {
    fs.closeSync(2);
    fs.openSync('/dev/null', 'a'); // becomes descriptor 2
    return load();
  } finally {
    fs.closeSync(2);
    fs.openSync(`/proc/self/fd/${saved}`, 'a'); // descriptor 2 again
    fs.closeSync(saved);
  }
}

function loadNative(): NativeModule {
  if (process.env.INERTIA_BACKEND === 'cpu') {
    return { tf: null, error: 'INERTIA_BACKEND=cpu was set' };
  }
  try {
    // A damaged library would not throw here but kill the process (SIGBUS): check the files first.
    const damaged = damagedNativeFile(path.dirname(require.resolve('@tensorflow/tfjs-node/package.json')));
    if (damaged !== null) return { tf: null, error: `a native file is damaged: ${damaged}` };
    return { tf: quietLoad(() => require('@tensorflow/tfjs-node')), error: null };
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return { tf: null, error: message };
  }
}

const native = loadNative();

/** The TensorFlow.js namespace every module of inertia uses. */
export const tf: typeof TF = native.tf ?? require('@tensorflow/tfjs');

/** Why the native backend is not available (null when it is). */
export const nativeLoadError: string | null = native.error;

export function isNativeAvailable(): boolean {
  return native.tf !== null;
}

function parseBackendName(value: string, source: string): BackendName {
  if ((BACKEND_NAMES as readonly string[]).includes(value)) return value as BackendName;
  throw new UserError(
    `Invalid backend ${JSON.stringify(value)} from ${source} (expected one of: ${BACKEND_NAMES.join(', ')})`,
  );
}

/** The backend to use by default: INERTIA_BACKEND if set, else native when it loads. */
export function defaultBackendName(): BackendName {
  const forced = process.env.INERTIA_BACKEND;
  if (forced !== undefined && forced !== '') return parseBackendName(forced, 'INERTIA_BACKEND');
  return isNativeAvailable() ? 'tensorflow' : 'cpu';
}

let warned = false;

/**
 * Switches tfjs to `name` (default: {@link defaultBackendName}). Throws when `tensorflow`
 * is asked for and its binding did not load.
 */
export async function useBackend(name: BackendName = defaultBackendName()): Promise<BackendName> {
  name = parseBackendName(name, 'the backend option');
  if (name === 'tensorflow' && !isNativeAvailable()) {
    throw new UserError(
      `The tensorflow backend was requested but its native binding does not load (${nativeLoadError}); ${NATIVE_HELP}`,
    );
  }
  if (name === 'cpu' && !isNativeAvailable() && !warned && process.env.INERTIA_BACKEND !== 'cpu') {
    warned = true;
    // The one line the fallback is allowed: the user must know why training is slow.
    process.stderr.write(
      `inertia: warning: running on the pure-JS cpu backend (about 20x slower) because TensorFlow's native binding does not load (${nativeLoadError}); ${NATIVE_HELP}\n`,
    );
  }
  if (tf.getBackend() !== name) {
    const ok = await tf.setBackend(name);
    if (!ok) throw new Error(`tfjs could not initialise the ${name} backend`);
  }
  await tf.ready();
  return name;
}

export function currentBackend(): BackendName {
  return parseBackendName(tf.getBackend(), 'tfjs');
}

/** Version of TensorFlow's C library behind the native backend, or null on `cpu`. */
export function tensorflowVersion(): string | null {
  if (!isNativeAvailable()) return null;
  const backend = tf.findBackend('tensorflow') as unknown as { binding?: { TF_Version?: string } } | null;
  return backend?.binding?.TF_Version ?? null;
}

/** Facts about the backend for run.json and `inertia doctor`. */
export interface BackendInfo {
  backend: BackendName;
  tensorflowVersion: string | null;
  tfjsVersions: Record<string, string>;
  nativeLoadError: string | null;
  /** TF_ENABLE_ONEDNN_OPTS as the C library read it (meaningful on the native backend only). */
  oneDnn: OneDnnSetting;
}

export function backendInfo(): BackendInfo {
  return {
    backend: currentBackend(),
    tensorflowVersion: tensorflowVersion(),
    tfjsVersions: { ...(tf.version as unknown as Record<string, string>) },
    nativeLoadError,
    oneDnn: { ...oneDnn },
  };
}

// Skip tfjs's debug-only checks and its "install the node backend" banner: the choice
// and the warning are made here.
tf.env().set('PROD', true);
await useBackend();
