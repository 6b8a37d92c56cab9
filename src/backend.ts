/**
 * The one module that decides which TensorFlow.js backend runs.
 *
 * - `tensorflow`: TensorFlow's native C++ kernels through `@tensorflow/tfjs-node`
 *   (used whenever its binding loads);
 * - `cpu`: the pure-JS kernels of `@tensorflow/tfjs`, a fallback 20 to 50 times slower on an
 *   MLP, with one warning line saying why and how to get the native one.
 *
 * `INERTIA_BACKEND=cpu|tensorflow` forces one; forcing `tensorflow` when its binding
 * cannot load is an error. Every other module of the main entry imports `tf` from here, so
 * there is exactly one tfjs-core engine in the process (loaded through `require`, the same
 * CommonJS copy that tfjs-node registers its kernels with).
 *
 * Importing this module changes nothing in the process. The backend loads at the first use of
 * {@link tf} (any property of it), at `await ready()`, or when a command, `train`, `runStudy` or
 * `backendInfo` needs it. Loading is when the environment is read and given its defaults:
 * TF_CPP_MIN_LOG_LEVEL (default 2), TF_ENABLE_ONEDNN_OPTS (default 1), the thread variables
 * (TF_NUM_INTRAOP_THREADS, TF_NUM_INTEROP_THREADS, OMP_NUM_THREADS) and INERTIA_BACKEND, so
 * setting them any time before that first use takes effect; later changes do not.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { damagedNativeFile } from './nativeFiles.js';
import type * as TF from '@tensorflow/tfjs';
import { firstLine, UserError } from './util/errors.js';

export type BackendName = 'tensorflow' | 'cpu';
export const BACKEND_NAMES: readonly BackendName[] = ['tensorflow', 'cpu'];

const require = createRequire(import.meta.url);

/**
 * Whether TensorFlow's oneDNN kernels were asked for, and by whom. TensorFlow turns them on by
 * itself only on CPUs with AVX-512 VNNI; elsewhere (e.g. AMD EPYC) convolutions run about 1.45x
 * faster with them and MLPs are unchanged, so inertia asks for them unless the user already set
 * TF_ENABLE_ONEDNN_OPTS. The variable is read by the C library when it loads.
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

/** The command that sets up the native backend in the project inertia is installed in. */
export const SETUP_COMMAND = 'npx inertia setup';

/** What sets up the native backend, as every message about a missing one says it. */
export const NATIVE_HELP = `run \`${SETUP_COMMAND}\` (or \`npm install-scripts approve inertia && npm rebuild inertia\`)`;

/** The end of the fallback's warning: the fix, and how to choose the cpu backend without the warning. */
const FALLBACK_HELP = `${NATIVE_HELP}, or set INERTIA_BACKEND=cpu to use the cpu backend without this line`;

/** How much slower the cpu fallback trains, as the warnings say it. */
const CPU_SLOWDOWN = '20 to 50 times slower';

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

/** The folder of the tfjs-node package inertia would load, or why there is none. */
function tfjsNodeFolder(): { dir: string } | { error: string } {
  try {
    return { dir: path.dirname(require.resolve('@tensorflow/tfjs-node/package.json')) };
  } catch {
    return { error: '@tensorflow/tfjs-node is not installed' };
  }
}

function loadNative(): NativeModule {
  if (process.env.INERTIA_BACKEND === 'cpu') {
    return { tf: null, error: 'INERTIA_BACKEND=cpu was set' };
  }
  const folder = tfjsNodeFolder();
  if ('error' in folder) return { tf: null, error: folder.error };
  try {
    // A damaged library would not throw here but kill the process (SIGBUS): check the files first.
    const damaged = damagedNativeFile(folder.dir);
    if (damaged !== null) return { tf: null, error: `a native file is damaged: ${damaged}` };
    return { tf: quietLoad(() => require('@tensorflow/tfjs-node')), error: null };
  } catch (err) {
    return { tf: null, error: firstLine(err) };
  }
}

/** What loading found: the namespace, and why the native backend is missing (null when it loaded). */
interface LoadedBackend {
  tf: typeof TF;
  nativeLoadError: string | null;
  oneDnn: OneDnnSetting;
}

let loaded: LoadedBackend | null = null;

/**
 * Loads TensorFlow.js once: gives TF_CPP_MIN_LOG_LEVEL and TF_ENABLE_ONEDNN_OPTS their
 * defaults, loads tfjs-node (which makes `tensorflow` the backend) or else `@tensorflow/tfjs`,
 * and points {@link tf} at the loaded namespace.
 */
function loadBackend(): LoadedBackend {
  if (loaded !== null) return loaded;
  // absl/TF print INFO lines on stderr when the library loads; keep user-facing output clean
  // unless the user asked for them.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  const oneDnn = applyOneDnnDefault();
  const native = loadNative();
  const namespace: typeof TF = native.tf ?? require('@tensorflow/tfjs');
  // Skip tfjs's debug-only checks and its "install the node backend" banner: the choice
  // and the warning are made here.
  namespace.env().set('PROD', true);
  loaded = { tf: namespace, nativeLoadError: native.error, oneDnn };
  tf = namespace;
  return loaded;
}

let chosen = false;

/**
 * Loads the backend and switches to the default one ({@link defaultBackendName}) the first
 * time; throws when `tensorflow` is forced and its binding did not load. Both backends
 * initialise synchronously, so the first use of {@link tf} needs no `await`.
 */
function ensureBackend(): LoadedBackend {
  const state = loadBackend();
  if (!chosen) {
    const name = checkedBackend(defaultBackendName());
    switchNow(state.tf, name);
    chosen = true;
  }
  return state;
}

/** Switches tfjs to `name` now: setBackend finishes synchronously for backends without async init. */
function switchNow(namespace: typeof TF, name: BackendName): void {
  if (namespace.getBackend() === name) return;
  namespace.setBackend(name).catch(() => undefined);
  if (namespace.getBackend() !== name) throw new Error(`tfjs could not initialise the ${name} backend`);
}

/**
 * A stand-in for the namespace until the backend loads: reading any property of it loads the
 * backend. Afterwards {@link tf} is the loaded namespace itself (importers of `tf` see the
 * new value; a copy of the stand-in kept elsewhere goes on forwarding to it).
 */
const lazyNamespace = new Proxy({} as typeof TF, {
  get: (_target, key) => Reflect.get(ensureBackend().tf, key),
  has: (_target, key) => Reflect.has(ensureBackend().tf, key),
});

/**
 * The TensorFlow.js namespace every module of inertia's main entry uses. Its first use loads
 * the backend (see the module comment).
 */
export let tf: typeof TF = lazyNamespace;

/**
 * Loads the backend now (native when it loads, else cpu, as {@link defaultBackendName} says)
 * and waits until it is ready; returns its name. Optional: the first use of {@link tf} does
 * the same synchronously.
 */
export async function ready(): Promise<BackendName> {
  const state = ensureBackend();
  await state.tf.ready();
  return currentBackend();
}

/**
 * Loads the backend now, synchronously (see {@link ready}); returns its name. For code that
 * makes tensors through tfjs-core before touching {@link tf}: tf.train's optimizers make their
 * learning-rate scalar when built, and tfjs-core alone has no backend to make it on.
 */
export function loadBackendNow(): BackendName {
  return parseBackendName(ensureBackend().tf.getBackend(), 'tfjs');
}

/** Why the native backend is not available (null when it is). Loads the backend. */
export function nativeLoadError(): string | null {
  return loadBackend().nativeLoadError;
}

/** Whether tfjs-node's binding loaded. Loads the backend. */
export function isNativeAvailable(): boolean {
  return loadBackend().nativeLoadError === null;
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

/** Writes the fallback's one warning line (once per process). */
function warnOnce(message: string): void {
  if (warned) return;
  warned = true;
  process.stderr.write(`${message}\n`);
}

/**
 * `name` checked against what loaded: throws when `tensorflow` is asked for and its binding did
 * not load; prints the fallback's one warning line when `cpu` is used for want of the native
 * backend (not when INERTIA_BACKEND=cpu chose it).
 */
function checkedBackend(name: BackendName): BackendName {
  name = parseBackendName(name, 'the backend option');
  const error = nativeLoadError();
  if (name === 'tensorflow' && error !== null) {
    throw new UserError(
      `The tensorflow backend was requested but its native binding does not load (${error}); ${NATIVE_HELP}`,
    );
  }
  if (name === 'cpu' && error !== null && process.env.INERTIA_BACKEND !== 'cpu') {
    // The one line the fallback is allowed: the user must know why training is slow.
    warnOnce(
      `inertia: warning: running on the pure-JS cpu backend (${CPU_SLOWDOWN}) because TensorFlow's native backend does not load (${error}); ${FALLBACK_HELP}`,
    );
  }
  return name;
}

/**
 * Switches tfjs to `name` (default: {@link defaultBackendName}), loading the backend first.
 * Throws when `tensorflow` is asked for and its binding did not load.
 */
export async function useBackend(name: BackendName = defaultBackendName()): Promise<BackendName> {
  const namespace = loadBackend().tf;
  name = checkedBackend(name);
  chosen = true;
  if (namespace.getBackend() !== name) {
    const ok = await namespace.setBackend(name);
    if (!ok) throw new Error(`tfjs could not initialise the ${name} backend`);
  }
  await namespace.ready();
  return name;
}

/** The backend tfjs runs on. Loads the backend. */
export function currentBackend(): BackendName {
  return loadBackendNow();
}

/** Version of TensorFlow's C library behind the native backend, or null on `cpu`. Loads the backend. */
export function tensorflowVersion(): string | null {
  const state = ensureBackend();
  if (state.nativeLoadError !== null) return null;
  const backend = state.tf.findBackend('tensorflow') as unknown as { binding?: { TF_Version?: string } } | null;
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

/** The backend's facts. Loads the backend. */
export function backendInfo(): BackendInfo {
  const state = ensureBackend();
  return {
    backend: currentBackend(),
    tensorflowVersion: tensorflowVersion(),
    tfjsVersions: { ...(state.tf.version as unknown as Record<string, string>) },
    nativeLoadError: state.nativeLoadError,
    oneDnn: { ...state.oneDnn },
  };
}

/**
 * Why the native backend will not load, from its files alone (loads nothing): tfjs-node is
 * not installed, its binding is not built, or TensorFlow's libraries are missing; null when
 * they are in place (whether they load is only known when they do).
 */
export function missingNativeFiles(): string | null {
  const folder = tfjsNodeFolder();
  if ('error' in folder) return folder.error;
  const lib = path.join(folder.dir, 'lib');
  const bindings = fs.existsSync(lib)
    ? fs.readdirSync(lib).filter((name) => fs.existsSync(path.join(lib, name, 'tfjs_binding.node')))
    : [];
  if (bindings.length === 0)
    return `@tensorflow/tfjs-node's binding (${path.join(lib, 'napi-v*', 'tfjs_binding.node')}) is not built`;
  const library = path.join(folder.dir, 'deps', 'lib', 'libtensorflow.so');
  if (!fs.existsSync(library)) return `TensorFlow's C library (${library}) is missing`;
  return null;
}

/**
 * The one warning line for a process that imports inertia where the native backend is not set
 * up, from a look at its files (nothing is loaded); silent when INERTIA_BACKEND=cpu chose the
 * cpu backend.
 */
export function warnIfNativeMissing(): void {
  const forced = process.env.INERTIA_BACKEND;
  if (forced === 'cpu' || warned) return;
  const missing = missingNativeFiles();
  if (missing === null) return;
  warnOnce(
    `inertia: warning: TensorFlow's native backend is not set up (${missing}), so training runs on the pure-JS cpu backend (${CPU_SLOWDOWN}); ${FALLBACK_HELP}`,
  );
}
