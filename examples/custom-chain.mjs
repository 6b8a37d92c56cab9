/**
 * A custom optimizer chain trained with Keras's model.fit: the Keras momentum convention (the
 * learning rate inside the velocity) built from two stages, on the synthetic dataset.
 *
 *   node examples/custom-chain.mjs [epochs]
 */
import { ChainOptimizer, buildModel, chain, loadDataset, scaleByLearningRate, tf, trace } from 'inertia';

const epochs = Number(process.argv[2] ?? 3);
const data = await loadDataset('synthetic', { trainLimit: 512, testLimit: 256 });
const images = (split) => tf.tensor4d(split.images, [split.count, 28, 28, 1]);
const oneHot = (split) => tf.oneHot(tf.tensor1d(split.labels, 'int32'), 10);

// v = 0.9 v + 0.05 g; w -= v: the rate scales the gradient before it enters the velocity.
const optimizer = new ChainOptimizer(chain(scaleByLearningRate(0.05), trace(0.9)));
const model = buildModel({ kind: 'mlp', hidden: [32], seed: 1 });
// The model outputs logits: softmax cross-entropy on logits, accuracy from their argmax.
const loss = (labels, logits) => tf.losses.softmaxCrossEntropy(labels, logits);
model.compile({ optimizer, loss, metrics: ['accuracy'] });

const [xTrain, yTrain, xTest, yTest] = [images(data.train), oneHot(data.train), images(data.test), oneHot(data.test)];
await model.fit(xTrain, yTrain, { epochs, batchSize: 64, shuffle: false, verbose: 0 });
const [testLoss, testAccuracy] = model.evaluate(xTest, yTest).map((tensor) => tensor.dataSync()[0]);
console.log(JSON.stringify({ epochs, testLoss, testAccuracy }));
tf.dispose([xTrain, yTrain, xTest, yTest]);
model.dispose();
optimizer.dispose();
