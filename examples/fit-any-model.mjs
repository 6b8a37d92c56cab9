/**
 * `fit(model, x, y, options)` trains your own tfjs model with model.fit's options, each step one
 * compiled TensorFlow call. Three models, each trained twice from the same initial weights, with
 * inertia's `fit` and with tfjs-node's `model.fit`, printing both times:
 *
 * - tfjs-examples' mnist-node CNN (conv 8 5x5, pool, conv 16 5x5, pool, dense 10, sgd 0.15);
 * - a CNN with BatchNormalization and Dropout;
 * - an LSTM on sequences of 32 steps (is the first half's sum larger than the second's?).
 *
 *   node examples/fit-any-model.mjs [examples] [epochs]     (default 2048 examples, 2 epochs)
 *
 * The images are inertia's synthetic digits (28x28, ten classes); the last line is JSON. Both
 * trainings visit the examples in order (shuffle: false), so where the model draws no random
 * numbers (no Dropout) they give the same losses; `fit` shuffles with a seed by default.
 */
import { fit, loadDataset, tf } from 'inertia';

const count = Number(process.argv[2] ?? 2048);
const epochs = Number(process.argv[3] ?? 2);

function mnistNodeCnn() {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 5, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
      tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
}

function batchNormDropoutCnn() {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 3, activation: 'relu' }),
      tf.layers.batchNormalization(),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.dropout({ rate: 0.25 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 64, activation: 'relu' }),
      tf.layers.dropout({ rate: 0.5 }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
}

function lstm() {
  return tf.sequential({
    layers: [tf.layers.lstm({ inputShape: [32, 1], units: 32 }), tf.layers.dense({ units: 1, activation: 'sigmoid' })],
  });
}

const digits = await loadDataset('synthetic', { trainLimit: count, testLimit: 16 });
const images = tf.tensor4d(digits.train.images, [digits.train.count, 28, 28, 1]);
const labels = tf.oneHot(tf.tensor1d(digits.train.labels, 'int32'), 10);
const sequences = tf.randomUniform([count, 32, 1], 0, 1, 'float32', 7);
const halves = tf.tidy(() => {
  const [first, second] = tf.split(sequences, 2, 1);
  return tf.cast(tf.greater(tf.sum(first, [1, 2]), tf.sum(second, [1, 2])), 'float32').reshape([-1, 1]);
});

const models = [
  {
    name: 'mnist-node CNN',
    build: mnistNodeCnn,
    optimizer: () => tf.train.sgd(0.15),
    loss: 'categoricalCrossentropy',
    x: images,
    y: labels,
  },
  {
    name: 'BatchNorm + Dropout CNN',
    build: batchNormDropoutCnn,
    optimizer: () => tf.train.adam(1e-3),
    loss: 'categoricalCrossentropy',
    x: images,
    y: labels,
  },
  {
    name: 'LSTM (32 steps)',
    build: lstm,
    optimizer: () => tf.train.adam(1e-2),
    loss: 'binaryCrossentropy',
    x: sequences,
    y: halves,
  },
];

const results = [];
for (const { name, build, optimizer, loss, x, y } of models) {
  const ours = build();
  const theirs = build();
  theirs.setWeights(ours.getWeights());
  ours.compile({ optimizer: optimizer(), loss, metrics: ['accuracy'] });
  theirs.compile({ optimizer: optimizer(), loss, metrics: ['accuracy'] });

  let start = performance.now();
  const history = await fit(ours, x, y, { epochs, batchSize: 64, validationSplit: 0.1, shuffle: false, verbose: 0 });
  const fitSeconds = (performance.now() - start) / 1000;
  start = performance.now();
  const tfjsHistory = await theirs.fit(x, y, {
    epochs,
    batchSize: 64,
    validationSplit: 0.1,
    shuffle: false,
    verbose: 0,
  });
  const modelFitSeconds = (performance.now() - start) / 1000;

  const steps = history.stepMode.compiled ? 'compiled steps' : `eager steps: ${history.stepMode.fallback}`;
  console.log(
    `${name}: inertia fit ${fitSeconds.toFixed(2)} s (${steps}), tfjs model.fit ${modelFitSeconds.toFixed(2)} s; ` +
      `validation accuracy ${history.history.val_acc.at(-1).toFixed(3)} and ${tfjsHistory.history.val_acc.at(-1).toFixed(3)}`,
  );
  results.push({
    model: name,
    compiled: history.stepMode.compiled,
    fitSeconds,
    modelFitSeconds,
    loss: history.history.loss,
    modelFitLoss: tfjsHistory.history.loss,
    valAccuracy: history.history.val_acc.at(-1),
  });
  ours.dispose();
  theirs.dispose();
}
console.log(JSON.stringify({ count, epochs, results }));
tf.dispose([images, labels, sequences, halves]);
