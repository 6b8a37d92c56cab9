/**
 * Native vs pure-JS throughput: trains the same MLP (784-256-128-10, heavy-ball momentum
 * through tf.train.momentum) on the same seeded random data on each backend and reports
 * training samples per second. Returns numbers; printing is the caller's job.
 */
import { BACKEND_NAMES, currentBackend, isNativeAvailable, tf, useBackend, type BackendName } from '../backend.js';
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

const INPUTS = 784;
const CLASSES = 10;
const HIDDEN = [256, 128] as const;

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

function buildMlp(seed: number): TfLayersModel {
  const model = tf.sequential();
  HIDDEN.forEach((units, i) => {
    model.add(
      tf.layers.dense({
        units,
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed + i }),
        ...(i === 0 ? { inputShape: [INPUTS] } : {}),
      }),
    );
  });
  model.add(
    tf.layers.dense({
      units: CLASSES,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + HIDDEN.length }),
    }),
  );
  return model;
}

type TfLayersModel = ReturnType<typeof tf.sequential>;

async function benchOne(
  backend: BackendName,
  data: BenchData,
  options: Required<Omit<BackendBenchOptions, 'backends'>>,
): Promise<BackendBenchResult> {
  await useBackend(backend);
  const { samples, batchSize, minSeconds, learningRate, momentum, seed } = options;
  const x = tf.tensor2d(data.x, [samples, INPUTS]);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(data.labels, 'int32'), CLASSES).toFloat());
  const model = buildMlp(seed);
  const optimizer = tf.train.momentum(learningRate, momentum);
  model.compile({ optimizer, loss: 'categoricalCrossentropy' });
  try {
    // Warm-up: the first batch allocates the weights' gradients and optimizer state.
    const warmX = x.slice([0, 0], [batchSize, INPUTS]);
    const warmY = y.slice([0, 0], [batchSize, CLASSES]);
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
