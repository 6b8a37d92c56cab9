/**
 * Native vs pure-JS throughput: trains the same MLP (the project's `mlp`, 784-256-128-10, from
 * buildModel; heavy-ball momentum through tf.train.momentum, softmax cross-entropy on its logits)
 * on the same seeded random data on each backend and reports training samples per second.
 * Returns numbers; printing is the caller's job.
 */
import type * as TF from '@tensorflow/tfjs';
import { BACKEND_NAMES, currentBackend, isNativeAvailable, tf, useBackend, type BackendName } from '../backend.js';
import { buildModel } from '../models/index.js';
import { crossEntropy } from '../train/losses.js';
import { seededRandom } from '../util/random.js';
import { UserError } from '../util/errors.js';

export interface BackendBenchOptions {
  /** Backends to measure, in order (default: tensorflow when its binding loads, then cpu). */
  backends?: readonly BackendName[];
  /** Training samples per epoch (default 4096). */
  samples?: number;
  batchSize?: number;
  /** Keep training whole epochs until at least this many seconds passed (default 2). */
  minSeconds?: number;
  learningRate?: number;
  momentum?: number;
  seed?: number;
}

export interface BackendBenchResult {
  backend: BackendName;
  samplesPerSecond: number;
  /** Samples trained in the timed part (whole epochs, after one warm-up batch). */
  samples: number;
  seconds: number;
  epochs: number;
  batchSize: number;
  /** Training loss of the last timed epoch: the runs train the same model on the same data. */
  finalLoss: number;
}

const IMAGE_SHAPE: [28, 28, 1] = [28, 28, 1];
const INPUTS = 28 * 28;
const CLASSES = 10;

interface BenchData {
  x: Float32Array;
  labels: Int32Array;
}

function randomData(samples: number, seed: number): BenchData {
  const random = seededRandom(seed);
  const x = new Float32Array(samples * INPUTS);
  for (let i = 0; i < x.length; i++) x[i] = random();
  const labels = new Int32Array(samples);
  for (let i = 0; i < samples; i++) labels[i] = Math.floor(random() * CLASSES);
  return { x, labels };
}

async function benchOne(
  backend: BackendName,
  data: BenchData,
  options: Required<Omit<BackendBenchOptions, 'backends'>>,
): Promise<BackendBenchResult> {
  await useBackend(backend);
  const { samples, batchSize, minSeconds, learningRate, momentum, seed } = options;
  const x = tf.tensor4d(data.x, [samples, ...IMAGE_SHAPE]);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(data.labels, 'int32'), CLASSES).toFloat());
  const model = buildModel({ kind: 'mlp', seed }, IMAGE_SHAPE, CLASSES);
  const optimizer = tf.train.momentum(learningRate, momentum);
  model.compile({ optimizer, loss: (labels: TF.Tensor, logits: TF.Tensor) => crossEntropy(labels, logits) });
  try {
    // Warm-up: the first batch allocates the weights' gradients and optimizer state.
    const warmX = x.slice(0, batchSize);
    const warmY = y.slice(0, batchSize);
    await model.trainOnBatch(warmX, warmY);
    tf.dispose([warmX, warmY]);

    let epochs = 0;
    let finalLoss = Number.NaN;
    const start = performance.now();
    do {
      const history = await model.fit(x, y, { batchSize, epochs: 1, shuffle: false, verbose: 0 });
      finalLoss = history.history.loss[0] as number;
      epochs += 1;
    } while ((performance.now() - start) / 1000 < minSeconds);
    const seconds = (performance.now() - start) / 1000;
    return {
      backend,
      samplesPerSecond: (epochs * samples) / seconds,
      samples: epochs * samples,
      seconds,
      epochs,
      batchSize,
      finalLoss,
    };
  } finally {
    model.dispose();
    optimizer.dispose();
    tf.dispose([x, y]);
  }
}

/**
 * Measures MLP training throughput on each backend in one process. The backend that was
 * active before is restored afterwards.
 */
export async function benchBackends(options: BackendBenchOptions = {}): Promise<BackendBenchResult[]> {
  const settings = {
    samples: options.samples ?? 4096,
    batchSize: options.batchSize ?? 128,
    minSeconds: options.minSeconds ?? 2,
    learningRate: options.learningRate ?? 0.01,
    momentum: options.momentum ?? 0.9,
    seed: options.seed ?? 1,
  };
  if (
    !Number.isInteger(settings.samples) ||
    !Number.isInteger(settings.batchSize) ||
    settings.batchSize < 1 ||
    settings.samples < settings.batchSize
  ) {
    throw new UserError(
      `Invalid bench size: samples ${settings.samples}, batchSize ${settings.batchSize} (expected integers with samples >= batchSize >= 1)`,
    );
  }
  const backends = options.backends ?? BACKEND_NAMES.filter((name) => name !== 'tensorflow' || isNativeAvailable());
  const data = randomData(settings.samples, settings.seed);
  const previous = currentBackend();
  const results: BackendBenchResult[] = [];
  try {
    for (const backend of backends) results.push(await benchOne(backend, data, settings));
  } finally {
    await useBackend(previous);
  }
  return results;
}
