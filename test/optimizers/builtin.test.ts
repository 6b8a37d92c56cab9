/**
 * sgd / heavy-ball / nesterov against TF.js's own tf.train.sgd / tf.train.momentum, step for
 * step for 100 steps on a small dense model (8 -> 16 relu -> 3, mean squared error), and
 * the cost of a step in kernel launches.
 */
import { describe, expect, it } from 'vitest';
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../../src/backend.js';
import {
  BUILTIN_OPTIMIZER_KINDS,
  createBuiltinOptimizer,
  createOptimizer,
  type OptimizerSpec,
} from '../../src/optimizers/index.js';
import { uniquePrefix } from './helpers.js';

/** Two copies of the same small dense model, and its loss on a fixed batch. */
function twinModels(): {
  a: TF.Variable[];
  b: TF.Variable[];
  loss: (w: TF.Variable[]) => () => TF.Scalar;
  dispose: () => void;
} {
  const x = tf.randomNormal([32, 8], 0, 1, 'float32', 1);
  const y = tf.randomNormal([32, 3], 0, 1, 'float32', 2);
  const initial = [
    tf.randomNormal([8, 16], 0, 0.4, 'float32', 3),
    tf.randomNormal([16], 0, 0.1, 'float32', 4),
    tf.randomNormal([16, 3], 0, 0.4, 'float32', 5),
    tf.randomNormal([3], 0, 0.1, 'float32', 6),
  ];
  const names = ['dense1/kernel', 'dense1/bias', 'dense2/kernel', 'dense2/bias'];
  const pa = uniquePrefix('ours');
  const pb = uniquePrefix('builtin');
  const a = initial.map((t, i) => tf.variable(t, true, `${pa}/${names[i]}`));
  const b = initial.map((t, i) => tf.variable(t, true, `${pb}/${names[i]}`));
  const loss = (w: TF.Variable[]) => (): TF.Scalar =>
    tf.tidy(() => {
      const hidden = tf.relu(tf.add(tf.matMul(x, w[0]), w[1]));
      return tf.losses.meanSquaredError(y, tf.add(tf.matMul(hidden, w[2]), w[3])) as TF.Scalar;
    });
  return { a, b, loss, dispose: () => tf.dispose([x, y, ...initial, ...a, ...b]) };
}

const pairs: [OptimizerSpec, () => TF.Optimizer][] = [
  [{ kind: 'sgd', learningRate: 0.05 }, () => tf.train.sgd(0.05)],
  [{ kind: 'heavy-ball', learningRate: 0.05, momentum: 0.9 }, () => tf.train.momentum(0.05, 0.9)],
  [{ kind: 'nesterov', learningRate: 0.05, momentum: 0.9 }, () => tf.train.momentum(0.05, 0.9, true)],
];

describe('against tf.train', () => {
  it.each(pairs.map(([spec, builtin]) => [spec.kind, spec, builtin] as const))(
    '%s matches step for step for 100 steps within 1e-6',
    (_, spec, makeBuiltin) => {
      const { a, b, loss, dispose } = twinModels();
      const ours = createOptimizer(spec);
      const theirs = makeBuiltin();
      let worst = 0;
      let firstLoss = 0;
      let lastLoss = 0;
      for (let t = 0; t < 100; t++) {
        const value = ours.minimize(loss(a), true, a)!;
        if (t === 0) firstLoss = value.dataSync()[0];
        lastLoss = value.dataSync()[0];
        value.dispose();
        theirs.minimize(loss(b), false, b);
        const diff = tf.tidy(() => tf.max(tf.stack(a.map((v, i) => tf.max(tf.abs(tf.sub(v, b[i])))))).dataSync()[0]);
        worst = Math.max(worst, diff);
      }
      expect(worst).toBeLessThan(1e-6);
      expect(lastLoss).toBeLessThan(0.8 * firstLoss); // it trained, so the match is not trivial
      ours.dispose();
      theirs.dispose();
      dispose();
    },
  );

  it('launches no more kernels per step than tf.train.momentum (heavy-ball, nesterov, sgd)', async () => {
    const { a, b, loss, dispose } = twinModels();
    const counts: Record<string, [number, number]> = {};
    for (const [spec, makeBuiltin] of pairs) {
      const ours = createOptimizer(spec);
      const theirs = makeBuiltin();
      const gradsA = tf.variableGrads(loss(a), a);
      const gradsB = tf.variableGrads(loss(b), b);
      // First step allocates the buffers; count the second.
      ours.applyGradients(gradsA.grads);
      theirs.applyGradients(gradsB.grads);
      const oursProfile = await tf.profile(() => ours.applyGradients(gradsA.grads));
      const theirsProfile = await tf.profile(() => theirs.applyGradients(gradsB.grads));
      counts[spec.kind] = [oursProfile.kernels.length, theirsProfile.kernels.length];
      expect(oursProfile.newTensors).toBe(0);
      tf.dispose([gradsA.value, gradsB.value, gradsA.grads, gradsB.grads]);
      ours.dispose();
      theirs.dispose();
    }
    // 4 variables: sgd 2 kernels each (mul, sub), heavy-ball 4 (mul, add, mul, sub), nesterov 6.
    expect(counts).toEqual({ sgd: [8, 8], 'heavy-ball': [16, 16], nesterov: [24, 24] });
    dispose();
  });
});

describe('createBuiltinOptimizer', () => {
  it('returns tf.train.sgd / tf.train.momentum with the given hyperparameters', () => {
    const sgd = createBuiltinOptimizer({ kind: 'builtin-sgd', learningRate: 0.3 });
    const momentum = createBuiltinOptimizer({ kind: 'builtin-momentum', learningRate: 0.1, momentum: 0.8 });
    const nesterov = createBuiltinOptimizer({ kind: 'builtin-nesterov', learningRate: 0.1, momentum: 0.7 });
    expect(BUILTIN_OPTIMIZER_KINDS).toEqual(['builtin-sgd', 'builtin-momentum', 'builtin-nesterov']);
    expect([sgd.getClassName(), sgd.getConfig()]).toEqual(['SGD', { learningRate: 0.3 }]);
    expect([momentum.getClassName(), momentum.getConfig()]).toEqual([
      'Momentum',
      { learningRate: 0.1, momentum: 0.8, useNesterov: false },
    ]);
    expect(nesterov.getConfig()).toEqual({ learningRate: 0.1, momentum: 0.7, useNesterov: true });
    [sgd, momentum, nesterov].forEach((o) => o.dispose());
  });

  it.each([
    [
      { kind: 'builtin-adam', learningRate: 0.1 },
      'Invalid kind value: "builtin-adam" (expected one of: builtin-sgd, builtin-momentum, builtin-nesterov)',
    ],
    [
      { kind: 'builtin-sgd', learningRate: 0 },
      'Invalid learningRate value: 0 (expected a finite number > 0 for builtin-sgd; the built-ins take no schedule)',
    ],
    [
      { kind: 'builtin-sgd', learningRate: 0.1, momentum: 0.9 },
      'Invalid momentum value: 0.9 (builtin-sgd takes no momentum)',
    ],
    [
      { kind: 'builtin-momentum', learningRate: 0.1 },
      'Invalid momentum value: undefined (expected 0 <= momentum < 1 for builtin-momentum)',
    ],
  ])('rejects %j', (spec, message) => {
    expect(() => createBuiltinOptimizer(spec as never)).toThrow(message);
  });
});
