import { describe, expect, it } from 'vitest';
import type * as TF from '@tensorflow/tfjs';
import { isNativeAvailable, tf, useBackend } from '../../src/backend.js';
import { buildModel, type ModelSpec } from '../../src/models/index.js';
import { mlpParameterCount, resolveModelSpec } from '../../src/models/buildModel.js';

/** The initial weights of a freshly built model, by variable name; the model is disposed. */
function initialWeights(spec: ModelSpec): Map<string, Float32Array> {
  const model = buildModel(spec);
  const weights = new Map(model.weights.map((w) => [w.name, w.read().dataSync() as Float32Array]));
  model.dispose();
  return weights;
}

/** The bytes of a typed array (dataSync may return a view into a larger buffer). */
function bytes(values: Float32Array): Buffer {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
}

function sameBits(a: Map<string, Float32Array>, b: Map<string, Float32Array>): boolean {
  if ([...a.keys()].join() !== [...b.keys()].join()) return false;
  return [...a.keys()].every((name) => bytes(a.get(name)!).equals(bytes(b.get(name)!)));
}

describe('buildModel', () => {
  it.each([
    // 784*10 + 10
    [{ kind: 'logreg', seed: 1 }, 7850],
    // (784*256 + 256) + (256*128 + 128) + (128*10 + 10) = 200960 + 32896 + 1290
    [{ kind: 'mlp', seed: 1 }, 235146],
    // (784*32 + 32) + (32*10 + 10) = 25120 + 330
    [{ kind: 'mlp', hidden: [32], seed: 1 }, 25450],
    // conv1 5*5*1*16+16 = 416, conv2 5*5*16*32+32 = 12832, dense1 (4*4*32)*128+128 = 65664, dense2 1290
    [{ kind: 'cnn', seed: 1 }, 80202],
    // (784*256 + 256) + 7 * (256*256 + 256) + (256*10 + 10) = 200960 + 460544 + 2570
    [{ kind: 'deep-mlp', seed: 1 }, 664074],
    // (784*2048 + 2048) + (2048*1024 + 1024) + (1024*10 + 10) = 1607680 + 2098176 + 10250
    [{ kind: 'wide-mlp', seed: 1 }, 3716106],
    // the cnn's kernels without the biases of conv1, conv2, dense1 (400 + 12800 + 65536), dense2 1290,
    // and 4 x (16 + 32 + 128) = 704 for bn1..bn3 (gamma, beta, moving mean, moving variance)
    [{ kind: 'cnn-bn', seed: 1 }, 80730],
    // dense1 200960 + 2 blocks x (LN 512 + 2 x 65792) + LN 512 + dense2 2570
    [{ kind: 'res-mlp', seed: 1 }, 468234],
  ] as [ModelSpec, number][])('%o has %i parameters and maps [3,28,28,1] to [3,10] logits', (spec, parameters) => {
    const model = buildModel(spec);
    expect(model.countParams()).toBe(parameters);
    const logits = tf.tidy(() => model.predict(tf.ones([3, 28, 28, 1])) as TF.Tensor);
    expect(logits.shape).toEqual([3, 10]);
    // logits, not probabilities: no softmax on the last layer
    const last = model.layers[model.layers.length - 1].getConfig();
    expect(last.activation).toBe('linear');
    tf.dispose(logits);
    model.dispose();
  });

  it('names layers and variables the same way every time, even after earlier models', () => {
    for (let round = 0; round < 2; round++) {
      const model = buildModel({ kind: 'cnn', seed: 3 });
      try {
        expect(model.layers.map((l) => l.name)).toEqual([
          'input',
          'conv1',
          'pool1',
          'conv2',
          'pool2',
          'flatten',
          'dense1',
          'dense2',
        ]);
        expect(model.weights.map((w) => w.name)).toEqual([
          'conv1/kernel',
          'conv1/bias',
          'conv2/kernel',
          'conv2/bias',
          'dense1/kernel',
          'dense1/bias',
          'dense2/kernel',
          'dense2/bias',
        ]);
        expect(model.weights.map((w) => (w.read() as TF.Variable).name)).toEqual(model.weights.map((w) => w.name));
      } finally {
        model.dispose();
      }
    }
    const mlp = buildModel({ kind: 'mlp', seed: 3 });
    expect(mlp.weights.map((w) => w.name)).toEqual([
      'dense1/kernel',
      'dense1/bias',
      'dense2/kernel',
      'dense2/bias',
      'dense3/kernel',
      'dense3/bias',
    ]);
    mlp.dispose();
  });

  it('keeps tfjs suffixes only while another live model holds the names', () => {
    const first = buildModel({ kind: 'logreg', seed: 1 });
    const second = buildModel({ kind: 'logreg', seed: 1 });
    expect(first.weights[0].name).toBe('dense1/kernel');
    expect(second.weights[0].name).toMatch(/^dense1\/kernel_\d+$/);
    first.dispose();
    second.dispose();
    const third = buildModel({ kind: 'logreg', seed: 1 });
    expect(third.weights[0].name).toBe('dense1/kernel');
    third.dispose();
  });

  it('trains through model.fit and tf.variableGrads with the renamed variables', async () => {
    const model = buildModel({ kind: 'logreg', seed: 2 });
    const x = tf.ones([4, 28, 28, 1]);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 10);
    const before = model.weights[0].read().dataSync().slice();
    model.compile({
      optimizer: tf.train.sgd(0.1),
      loss: (t: TF.Tensor, p: TF.Tensor) => tf.losses.softmaxCrossEntropy(t, p),
    });
    await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
    const after = model.weights[0].read().dataSync();
    expect(after[0]).not.toBe(before[0]);
    const { grads } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(y, model.apply(x) as TF.Tensor) as TF.Scalar,
    );
    expect(Object.keys(grads).sort()).toEqual(['dense1/bias', 'dense1/kernel']);
    tf.dispose([x, y, grads]);
    model.optimizer.dispose();
    model.dispose();
  });

  it('frees its variables on dispose (no tensors left behind)', () => {
    const before = tf.memory().numTensors;
    buildModel({ kind: 'cnn', seed: 1 }).dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each(['logreg', 'mlp', 'cnn'] as const)(
    '%s: same seed gives bit-identical weights, another seed different ones',
    (kind) => {
      const a = initialWeights({ kind, seed: 42 });
      const b = initialWeights({ kind, seed: 42 });
      const c = initialWeights({ kind, seed: 43 });
      expect(sameBits(a, b)).toBe(true);
      const kernel = kind === 'cnn' ? 'conv1/kernel' : 'dense1/kernel';
      expect(a.get(kernel)![0]).not.toBe(c.get(kernel)![0]);
      expect(sameBits(a, c)).toBe(false);
      // biases start at zero; kernels are Glorot-uniform within +-sqrt(6 / (fanIn + fanOut))
      expect(a.get('dense1/bias')!.every((v) => v === 0)).toBe(true);
    },
  );

  it('draws each layer from its own seed (dense1 and dense2 of a 128-128 mlp differ)', () => {
    const w = initialWeights({ kind: 'mlp', hidden: [128, 128], seed: 5 });
    const limit = Math.sqrt(6 / (128 + 128));
    expect(w.get('dense2/kernel')!.every((v) => Math.abs(v) <= limit)).toBe(true);
    expect(w.get('dense2/kernel')!.slice(0, 5)).not.toEqual(w.get('dense1/kernel')!.slice(0, 5));
  });

  it.skipIf(!isNativeAvailable())(
    'gives bit-identical initial weights on the cpu and tensorflow backends',
    async () => {
      const initial = tf.getBackend();
      try {
        await useBackend('cpu');
        const onCpu = initialWeights({ kind: 'cnn', seed: 9 });
        await useBackend('tensorflow');
        const onNative = initialWeights({ kind: 'cnn', seed: 9 });
        expect(sameBits(onCpu, onNative)).toBe(true);
      } finally {
        await useBackend(initial as 'cpu' | 'tensorflow');
      }
    },
  );

  it('builds deep-mlp and wide-mlp as the mlp with their hidden sizes, weight for weight', () => {
    const deep = initialWeights({ kind: 'deep-mlp', seed: 4 });
    expect(sameBits(deep, initialWeights({ kind: 'mlp', hidden: Array(8).fill(256), seed: 4 }))).toBe(true);
    expect(deep.size).toBe(18);
    const wide = initialWeights({ kind: 'wide-mlp', seed: 4 });
    expect(sameBits(wide, initialWeights({ kind: 'mlp', hidden: [2048, 1024], seed: 4 }))).toBe(true);
  });

  it('names the normalisation weights <layer>/<weight>; only BatchNormalization has moving statistics', () => {
    const cnn = buildModel({ kind: 'cnn-bn', seed: 3 });
    expect(cnn.weights.filter((w) => !w.trainable).map((w) => w.name)).toEqual([
      'bn1/moving_mean',
      'bn1/moving_variance',
      'bn2/moving_mean',
      'bn2/moving_variance',
      'bn3/moving_mean',
      'bn3/moving_variance',
    ]);
    expect(cnn.weights.map((w) => w.name)).not.toContain('conv1/bias');
    cnn.dispose();
    const res = buildModel({ kind: 'res-mlp', seed: 3 });
    expect(res.weights.every((w) => w.trainable)).toBe(true);
    expect(res.weights.map((w) => w.name)).toEqual([
      'dense1/kernel',
      'dense1/bias',
      'block1_norm/gamma',
      'block1_norm/beta',
      'block1_dense1/kernel',
      'block1_dense1/bias',
      'block1_dense2/kernel',
      'block1_dense2/bias',
      'block2_norm/gamma',
      'block2_norm/beta',
      'block2_dense1/kernel',
      'block2_dense1/bias',
      'block2_dense2/kernel',
      'block2_dense2/bias',
      'norm/gamma',
      'norm/beta',
      'dense2/kernel',
      'dense2/bias',
    ]);
    res.dispose();
  });

  it('adds each residual block to its input: res-mlp is x + f(x), not f(x)', () => {
    const model = buildModel({ kind: 'res-mlp', seed: 6 });
    // With block1_dense2's kernel and bias at zero, block 1 is the identity: the logits do not
    // change when block 1's first dense layer is scaled.
    const zero = (name: string) =>
      model.getLayer(name).setWeights(
        model
          .getLayer(name)
          .getWeights()
          .map((w) => tf.zerosLike(w)),
      );
    zero('block1_dense2');
    const x = tf.randomUniform([4, 28, 28, 1], 0, 1, 'float32', 8);
    const before = tf.tidy(() => Array.from((model.predict(x) as TF.Tensor).dataSync()));
    const inner = model.getLayer('block1_dense1');
    inner.setWeights(inner.getWeights().map((w) => tf.mul(w, 3)));
    const after = tf.tidy(() => Array.from((model.predict(x) as TF.Tensor).dataSync()));
    expect(after).toEqual(before);
    expect(before.some((v) => v !== 0)).toBe(true);
    tf.dispose(x);
    model.dispose();
  });

  it('initialises as --init says, from the same seeds: glorot by default, he with variance 2 / fan_in, glorot x 0.1', () => {
    const glorot = initialWeights({ kind: 'cnn', seed: 7 });
    expect(sameBits(initialWeights({ kind: 'cnn', seed: 7, init: 'glorot' }), glorot)).toBe(true);
    const small = initialWeights({ kind: 'cnn', seed: 7, init: 'glorot-0.1' });
    for (const [name, values] of glorot) {
      const scaled = small.get(name)!;
      const worst = Math.max(...values.map((v, i) => Math.abs(scaled[i] - 0.1 * v) / (1 + Math.abs(v))));
      expect(worst, name).toBeLessThanOrEqual(1e-7);
    }
    // He-uniform: U(-sqrt(6 / fan_in), +sqrt(6 / fan_in)), variance 2 / fan_in. The variance of n
    // samples estimates it with relative sd sqrt(0.8 / n) (uniform: E x^4 = 1.8 sigma^4), so the
    // tolerances below are 5 sd or more.
    const he = initialWeights({ kind: 'cnn', seed: 7, init: 'he' });
    const cases: [string, number, number][] = [
      ['conv2/kernel', 5 * 5 * 16, 0.04], // 12,800 samples: sd 0.8%
      ['dense1/kernel', 4 * 4 * 32, 0.02], // 65,536 samples: sd 0.35%
    ];
    for (const [name, fanIn, tolerance] of cases) {
      const values = he.get(name)!;
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      const variance = values.reduce((a, b) => a + b * b, 0) / values.length;
      expect(Math.abs(variance / (2 / fanIn) - 1)).toBeLessThan(tolerance);
      expect(Math.abs(mean)).toBeLessThan(5 * Math.sqrt(2 / fanIn / values.length));
      expect(values.every((v) => Math.abs(v) <= Math.sqrt(6 / fanIn))).toBe(true);
    }
    expect(he.get('conv1/kernel')![0]).not.toBe(glorot.get('conv1/kernel')![0]);
    expect(he.get('dense1/bias')!.every((v) => v === 0)).toBe(true);
    expect(() => buildModel({ kind: 'mlp', seed: 1, init: 'lecun' as never })).toThrow(
      'Invalid init: "lecun" (expected one of: glorot, he, glorot-0.1)',
    );
  });

  it('rejects bad specs with messages that say the fix', () => {
    expect(() => buildModel({ kind: 'rnn' as never, seed: 1 })).toThrow(
      'Unknown model "rnn" (expected one of: logreg, mlp, cnn, deep-mlp, wide-mlp, cnn-bn, res-mlp)',
    );
    expect(() => buildModel({ kind: 'mlp', hidden: [256, 0], seed: 1 })).toThrow(
      'Invalid hidden sizes: [256,0] (expected one or more positive integers, e.g. 256,128)',
    );
    expect(() => buildModel({ kind: 'cnn', hidden: [64], seed: 1 })).toThrow(
      'Hidden sizes apply to the mlp model only; drop --hidden for cnn',
    );
    expect(() => buildModel({ kind: 'wide-mlp', hidden: [64], seed: 1 })).toThrow(
      'Hidden sizes apply to the mlp model only; drop --hidden for wide-mlp (it has hidden sizes 2048,1024; or use --model mlp --hidden ...)',
    );
    expect(() => buildModel({ kind: 'logreg', seed: -1 })).toThrow(
      'Invalid seed value: -1 (expected an integer from 0 to 4294967295; pick one in that range)',
    );
  });

  it("counts an mlp's parameters: (784+1)x256 + (256+1)x128 + (128+1)x10 = 235,146 for the default", () => {
    expect(mlpParameterCount([256, 128])).toBe(235_146);
    expect(mlpParameterCount([4])).toBe(785 * 4 + 5 * 10);
  });

  it('refuses a model too large to train before TensorFlow allocates it, in one line', () => {
    // (784+1) x 1e8 + (1e8+1) x 10 = 7.95e10 parameters, about 1.7 TiB in six float32 copies.
    expect(() => resolveModelSpec({ kind: 'mlp', hidden: [100_000_000], seed: 1 })).toThrow(
      /^The mlp with hidden sizes 100000000 has 7\.95e\+10 parameters and needs about 1\.74 TiB to train \(at most 50,000,000 parameters, and no more than this machine's .*\); choose smaller --hidden sizes$/,
    );
    expect(() => resolveModelSpec({ kind: 'mlp', hidden: [70_000], seed: 1 })).toThrow(
      /has 55,650,010 parameters and needs about 1\.24 GiB to train/,
    );
    expect(resolveModelSpec({ kind: 'mlp', hidden: [4096, 4096], seed: 1 }).hidden).toEqual([4096, 4096]);
  });
});
