/**
 * The measured training step (src/train/trainingStep.ts): the gradient, update and velocity
 * norms it returns are the eager measurement's, whether it runs eagerly or as its own compiled
 * function; and a run's norm rows are the same (to float32 tolerance) with compiled steps as
 * with eager ones.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type * as TF from '@tensorflow/tfjs';
import { currentBackend, tf } from '../../src/backend.js';
import { loadDataset, type Dataset } from '../../src/data/index.js';
import { buildModel } from '../../src/models/index.js';
import { makeOptimizer, makeTrainConfig, type TrainOptimizerSpec } from '../../src/train/config.js';
import { stepSeedTensor } from '../../src/graph/compile.js';
import { splitTensors } from '../../src/train/deviceData.js';
import { crossEntropy, globalNorm } from '../../src/train/losses.js';
import { MEASURED_NORMS, measuredStep, verifiedTrainingStep, velocityOf } from '../../src/train/trainingStep.js';
import { trainInMemory } from '../../src/train/train.js';

const native = currentBackend() === 'tensorflow';
let dataset: Dataset;

beforeAll(async () => {
  dataset = await loadDataset('synthetic', { trainLimit: 256, testLimit: 64 });
});

/** The norms measured the plain way: the gradient, then the step, then the weights' change and the velocity. */
function eagerNorms(
  variables: TF.Variable[],
  optimizer: TF.Optimizer,
  objective: () => TF.Scalar,
): { loss: number; norms: number[] } {
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(objective, variables);
    const before = variables.map((v) => v.clone());
    const gradNorm = globalNorm(Object.values(grads));
    optimizer.applyGradients(grads);
    const updateNorm = globalNorm(variables.map((v, i) => tf.sub(v, before[i])));
    const velocity = velocityOf(optimizer, variables);
    const norms = [gradNorm, updateNorm, ...(velocity ? [globalNorm(velocity)] : [])];
    return { loss: value.dataSync()[0], norms: norms.map((n) => n.dataSync()[0]) };
  });
}

/** Six steps on the same batches: measured by hand (eager) and by the measured step in `mode`. */
function sixSteps(spec: TrainOptimizerSpec, mode: 'on' | 'off') {
  const whole = splitTensors(dataset.train, dataset.imageShape, dataset.numClasses);
  const run = () => {
    const model = buildModel({ kind: 'mlp', hidden: [16], seed: 3 }, dataset.imageShape, dataset.numClasses);
    const variables = model.trainableWeights.map((w) => w.read() as TF.Variable);
    return { model, variables, optimizer: makeOptimizer(spec) };
  };
  const reference = run();
  const measured = run();
  const objectiveOf = (model: TF.LayersModel) => (x: TF.Tensor, y: TF.Tensor) =>
    crossEntropy(y, model.apply(x, { training: true }) as TF.Tensor);
  const step = verifiedTrainingStep(
    measuredStep({ ...measured, objective: objectiveOf(measured.model) }),
    measured.optimizer,
    mode,
  );
  const results = Array.from({ length: 6 }, (_, i) => {
    const rows = tf.tensor1d(
      Int32Array.from({ length: 32 }, (_, k) => (i * 32 + k) % dataset.train.count),
      'int32',
    );
    const [x, y] = [tf.gather(whole.x, rows), tf.gather(whole.oneHot, rows)];
    const expected = eagerNorms(reference.variables, reference.optimizer, () => objectiveOf(reference.model)(x, y));
    const got = tf.tidy(() =>
      step.run([rows, whole.x, whole.oneHot, stepSeedTensor(1, i)]).map((t) => t.dataSync()[0]),
    );
    tf.dispose([rows, x, y]);
    return { expected, got };
  });
  const { compiledCalls } = step;
  const iterations = measured.optimizer.iterations;
  step.dispose();
  for (const r of [reference, measured]) {
    r.optimizer.dispose();
    r.model.dispose();
  }
  tf.dispose([whole.x, whole.labels, whole.oneHot]);
  return { results, compiledCalls, iterations };
}

describe('measured step', () => {
  const kinds: TrainOptimizerSpec[] = [
    { kind: 'heavy-ball', learningRate: 0.05, momentum: 0.9 },
    { kind: 'adam', learningRate: 0.01 },
    { kind: 'builtin-momentum', learningRate: 0.05, momentum: 0.9 },
  ];
  for (const spec of kinds) {
    for (const mode of ['off', 'on'] as const) {
      it.skipIf(mode === 'on' && !native)(
        `${spec.kind}, compiled ${mode}: the eager measurement's loss and norms`,
        () => {
          const { results, compiledCalls, iterations } = sixSteps(spec, mode);
          // Call 1 eager (state allocated), call 2 traced, calls 3-6 one function call each.
          expect(compiledCalls).toBe(mode === 'on' ? 4 : 0);
          expect(iterations).toBe(6);
          for (const { expected, got } of results) {
            // heavy-ball has a velocity slot; adam's first moment is not one; tf.train's slots are private.
            expect(got).toHaveLength(1 + (spec.kind === 'heavy-ball' ? 3 : 2));
            [expected.loss, ...expected.norms].forEach((value, i) => expect(got[i]).toBeCloseTo(value, 4));
          }
        },
      );
    }
  }
});

describe('norm rows of a run', () => {
  it.skipIf(!native)('are the same with compiled steps as with eager ones', async () => {
    const config = makeTrainConfig({
      dataset: 'synthetic',
      model: 'mlp',
      hidden: [16],
      optimizer: { kind: 'heavy-ball', learningRate: 0.05, momentum: 0.9 },
      epochs: 2,
      batchSize: 32,
      normEvery: 2,
      logEvery: 4,
    });
    const rows = async (compile: 'on' | 'off') =>
      (await trainInMemory(config, { dataset, compile })).rows.filter((r) =>
        (MEASURED_NORMS as readonly string[]).includes(r.metric),
      );
    const [compiled, eager] = [await rows('on'), await rows('off')];
    // Steps 1, 2, 4, ..., 16: three norms each.
    expect(eager).toHaveLength(9 * 3);
    expect(compiled.map((r) => [r.step, r.metric])).toEqual(eager.map((r) => [r.step, r.metric]));
    compiled.forEach((r, i) => expect(r.value).toBeCloseTo(eager[i].value, 4));
  });
});
