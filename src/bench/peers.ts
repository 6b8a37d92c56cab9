/**
 * Section 4: Keras and PyTorch on the same machine, model, batch size, optimizer, data and
 * thread count. The peers are Python scripts in scripts/peers/ run in the venv that
 * `scripts/peers/setup.sh` makes; this module exports the data and the model for them,
 * runs them and reads the one JSON line each prints.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type * as TF from '@tensorflow/tfjs';
import type { Split } from '../data/index.js';

export const PEER_NAMES = ['keras', 'pytorch'] as const;
export type PeerName = (typeof PEER_NAMES)[number];

const PEER_SCRIPTS: Record<PeerName, { script: string; module: string }> = {
  keras: { script: 'keras_train.py', module: 'keras' },
  pytorch: { script: 'torch_train.py', module: 'torch' },
};

export const PEERS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../scripts/peers');
export const SETUP_COMMAND = 'bash scripts/peers/setup.sh';

export function inertiaCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.INERTIA_CACHE_DIR) return env.INERTIA_CACHE_DIR;
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'inertia');
}

export function peersVenvPython(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(inertiaCacheDir(env), 'peers-venv', 'bin', 'python');
}

/** Where a peer can run: a Python with its framework, or why not (with the fix). */
export type PeerAvailability =
  { available: true; python: string; version: string } | { available: false; reason: string };

function importVersion(python: string, module: string): string | null {
  const probe = spawnSync(python, ['-c', `import ${module}, numpy; print(${module}.__version__)`], {
    encoding: 'utf8',
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' },
    timeout: 120_000,
  });
  return probe.status === 0 ? (probe.stdout.trim().split('\n').at(-1) ?? null) : null;
}

/**
 * The venv's Python if it imports the peer's framework; for PyTorch also Debian's
 * `python3-torch` under /usr/bin/python3 (the fallback setup.sh installs).
 */
export function findPeer(peer: PeerName, env: NodeJS.ProcessEnv = process.env): PeerAvailability {
  const venvPython = peersVenvPython(env);
  const candidates = [venvPython, ...(peer === 'pytorch' ? ['/usr/bin/python3'] : [])].filter((p) => fs.existsSync(p));
  for (const python of candidates) {
    const version = importVersion(python, PEER_SCRIPTS[peer].module);
    if (version) return { available: true, python, version };
  }
  const where = fs.existsSync(venvPython)
    ? `${venvPython} cannot import ${PEER_SCRIPTS[peer].module}`
    : `no peers venv at ${path.dirname(path.dirname(venvPython))}`;
  return {
    available: false,
    reason: `${where}; set it up with \`${SETUP_COMMAND}\` (about 2 GB, not part of npm install)`,
  };
}

/** Writes a split pair as header.json + raw little-endian float32/int32 arrays (see scripts/peers/common.py). */
export function exportDataset(dir: string, dataset: string, train: Split, test: Split): void {
  fs.mkdirSync(dir, { recursive: true });
  const write = (name: string, array: Float32Array | Int32Array) =>
    fs.writeFileSync(path.join(dir, name), new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
  for (const [split, data] of [
    ['train', train],
    ['test', test],
  ] as const) {
    write(`${split}-images.f32`, data.images.subarray(0, data.count * 784));
    write(`${split}-labels.i32`, data.labels.subarray(0, data.count));
  }
  if (os.endianness() !== 'LE')
    throw new Error('exportDataset writes native byte order; the peers expect little-endian');
  const header = {
    dataset,
    format: 'raw little-endian; images float32 [count, 784] in [0, 1], labels int32',
    train: { count: train.count },
    test: { count: test.count },
  };
  fs.writeFileSync(path.join(dir, 'header.json'), `${JSON.stringify(header, null, 2)}\n`);
}

export interface PeerLayer {
  type: string;
  [key: string]: unknown;
}

export interface PeerModelSpec {
  name: string;
  input_shape: number[];
  layers: PeerLayer[];
  parameters: number;
  /** Whether the model's outputs are logits (else softmax probabilities). */
  from_logits: boolean;
}

const pair = (value: unknown): number[] =>
  Array.isArray(value) ? (value as number[]) : [value as number, value as number];

/** The layer list of an inertia model, in the form the peer scripts build from. */
export function peerModelSpec(name: string, model: TF.LayersModel): PeerModelSpec {
  const inputShape = model.inputs[0].shape.slice(1) as number[];
  const layers = model.layers
    .filter((layer) => layer.getClassName() !== 'InputLayer')
    .map((layer): PeerLayer => {
      const config = layer.getConfig() as Record<string, unknown>;
      const activation = (config.activation as string | undefined) ?? 'linear';
      switch (layer.getClassName()) {
        case 'Dense':
          return { type: 'dense', units: config.units, activation };
        case 'Conv2D':
          return {
            type: 'conv2d',
            filters: config.filters,
            kernel_size: pair(config.kernelSize),
            strides: pair(config.strides),
            padding: config.padding,
            activation,
          };
        case 'MaxPooling2D':
          return {
            type: 'max_pooling2d',
            pool_size: pair(config.poolSize),
            strides: pair(config.strides ?? config.poolSize),
            padding: config.padding,
          };
        case 'Flatten':
          return { type: 'flatten' };
        case 'Reshape':
          return { type: 'reshape', target_shape: config.targetShape as number[] };
        case 'Dropout':
          return { type: 'dropout', rate: config.rate };
        case 'BatchNormalization':
          return { type: 'batch_normalization', momentum: config.momentum, epsilon: config.epsilon };
        default:
          throw new Error(
            `The peers cannot mirror layer ${layer.name} (${layer.getClassName()}); add it to scripts/peers/*.py and peerModelSpec`,
          );
      }
    });
  for (const layer of model.layers) {
    const config = layer.getConfig() as Record<string, unknown>;
    if (config.useBias === false) throw new Error(`The peers assume biases; layer ${layer.name} has useBias false`);
    if (config.dataFormat !== undefined && config.dataFormat !== 'channelsLast')
      throw new Error(`The peers assume channelsLast; layer ${layer.name} is ${config.dataFormat}`);
  }
  // A model ending in softmax gives probabilities: the peers' loss then takes them as such.
  const fromLogits = layers.at(-1)?.activation !== 'softmax';
  return { name, input_shape: inputShape, layers, parameters: model.countParams(), from_logits: fromLogits };
}

export interface PeerRunOptions {
  python: string;
  dataDir: string;
  modelFile: string;
  batchSize: number;
  learningRate: number;
  momentum: number;
  epochs: number;
  threads: number;
  interOp: number;
  seed: number;
  timeoutSeconds: number;
}

/** The JSON line a peer script prints (scripts/peers/common.py `summarize`). */
export interface PeerResult {
  framework: string;
  versions: Record<string, string>;
  python: string;
  model: string;
  dataset: string;
  train_count: number;
  test_count: number;
  batch_size: number;
  threads: { intra_op: number; inter_op: number };
  parameters: number;
  warmup_seconds: number;
  epoch_seconds: number[];
  seconds_per_epoch: number;
  samples_per_second: number;
  test_accuracy: number;
  [key: string]: unknown;
}

export function peerCommand(peer: PeerName, options: PeerRunOptions): string[] {
  return [
    options.python,
    path.join(PEERS_DIR, PEER_SCRIPTS[peer].script),
    '--data',
    options.dataDir,
    '--model',
    options.modelFile,
    '--batch-size',
    String(options.batchSize),
    '--lr',
    String(options.learningRate),
    '--momentum',
    String(options.momentum),
    '--epochs',
    String(options.epochs),
    '--threads',
    String(options.threads),
    '--inter-op',
    String(options.interOp),
    '--seed',
    String(options.seed),
  ];
}

/** Runs one peer; throws with the script's last stderr lines when it fails. */
export function runPeer(peer: PeerName, options: PeerRunOptions): PeerResult {
  const [command, ...args] = peerCommand(peer, options);
  const threads = String(options.threads);
  const child = spawnSync(command, args, {
    encoding: 'utf8',
    timeout: options.timeoutSeconds * 1000,
    maxBuffer: 64 * 1024 * 1024,
    // Thread pools that read the environment (OpenMP, OpenBLAS, MKL, TensorFlow) get the same count.
    env: {
      ...process.env,
      TF_CPP_MIN_LOG_LEVEL: '2',
      OMP_NUM_THREADS: threads,
      OPENBLAS_NUM_THREADS: threads,
      MKL_NUM_THREADS: threads,
      TF_NUM_INTRAOP_THREADS: threads,
      TF_NUM_INTEROP_THREADS: String(options.interOp),
    },
  });
  const line = child.stdout
    ?.split('\n')
    .filter((l) => l.startsWith('{'))
    .at(-1);
  if (child.status !== 0 || !line) {
    const why = child.error ? child.error.message : `exit ${child.status ?? child.signal}`;
    const tail = (child.stderr ?? '').trim().split('\n').slice(-3).join(' / ');
    throw new Error(`${peer} peer failed (${why}): ${tail}`);
  }
  return JSON.parse(line) as PeerResult;
}
