/**
 * Proves the native backend works: loads @tensorflow/tfjs-node (resolved from the project
 * root), runs a matmul and one training step with tf.train.sgd, and checks both results
 * against numbers worked out by hand, and (patched bindings) builds and calls one graph function.
 * Prints one JSON line {tensorflow, tfjsNode, graphFunctions, graphPatch} (the graph
 * functions' version and the hash of the patch they were built from, or null) and
 * exits 0, or prints the reason on stderr and exits 1. Run as a child process by
 * install.mjs, so a crashing library cannot take the installer down with it.
 */
process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';

function check(condition, message) {
  if (!condition) throw new Error(message);
}

function close(actual, expected, what) {
  const ok = actual.length === expected.length && actual.every((v, i) => Math.abs(v - expected[i]) <= 1e-5);
  check(ok, `${what}: got [${Array.from(actual)}], expected [${expected}]`);
}

/**
 * The patched binding's graph functions: f(x) = x * x + 1 built as a TensorFlow function and
 * called once, x = [1, 2] -> [2, 5]. Returns the patch's version number.
 */
function checkGraphFunction(tf, binding) {
  const float = { name: 'T', type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT };
  const nodes = [
    {
      op: 'Placeholder',
      attrs: [
        { name: 'dtype', type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT },
        { name: 'shape', type: binding.TF_ATTR_SHAPE, value: [2] },
      ],
      inputs: [],
    },
    {
      op: 'Const',
      attrs: [{ name: 'dtype', type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT }],
      inputs: [],
      value: { dtype: binding.TF_FLOAT, shape: [], data: new Float32Array([1]) },
    },
    { op: 'Mul', attrs: [float], inputs: [0, 0, 0, 0] },
    { op: 'AddV2', attrs: [float], inputs: [2, 0, 1, 0] },
  ];
  binding.buildFunction('inertia_verify', nodes, [0, 0], [3, 0]);
  const x = tf.tensor1d([1, 2]);
  const [out] = binding.executeOp('inertia_verify', [], tf.backend().getInputTensorIds([x]), 1);
  close(binding.tensorDataSync(out.id), [2, 5], 'graph function');
  binding.deleteTensor(out.id);
  binding.removeFunction('inertia_verify');
  return binding.graphFunctionsVersion;
}

try {
  const tf = require('@tensorflow/tfjs-node');
  check(tf.getBackend() === 'tensorflow', `tfjs-node loaded but the backend is ${tf.getBackend()}`);

  // [[1, 2], [3, 4]] x [[5, 6], [7, 8]] = [[19, 22], [43, 50]]
  const product = tf.matMul(
    tf.tensor2d([
      [1, 2],
      [3, 4],
    ]),
    tf.tensor2d([
      [5, 6],
      [7, 8],
    ]),
  );
  close(product.dataSync(), [19, 22, 43, 50], 'matmul');

  // One sgd step on loss(w) = mean((w*x - y)^2) with x = [1, 2], y = [2, 4], w = 1:
  // dloss/dw = mean(2 (w x - y) x) = (2*(-1)*1 + 2*(-2)*2) / 2 = -5, so w = 1 - 0.1 * -5 = 1.5.
  const w = tf.variable(tf.scalar(1));
  const x = tf.tensor1d([1, 2]);
  const y = tf.tensor1d([2, 4]);
  tf.train.sgd(0.1).minimize(() => tf.mean(tf.square(tf.sub(tf.mul(w, x), y))));
  close(w.dataSync(), [1.5], 'sgd step');

  const binding = tf.backend().binding;
  const graphFunctions = typeof binding.buildFunction === 'function' ? checkGraphFunction(tf, binding) : null;
  process.stdout.write(
    JSON.stringify({
      tensorflow: binding.TF_Version,
      tfjsNode: tf.version['tfjs-node'],
      graphFunctions,
      graphPatch: graphFunctions === null ? null : (binding.graphFunctionsPatch ?? null),
    }) + '\n',
  );
} catch (error) {
  process.stderr.write(`verify: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}\n`);
  process.exit(1);
}
