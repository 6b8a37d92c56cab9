/**
 * getConfig/fromConfig, getWeights/setWeights, and a tf.LayersModel trained with
 * model.fit, saved with its optimizer, loaded and trained on: identical to never stopping.
 */
import { describe, expect, it } from 'vitest';
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../../src/backend.js';
import {
  ChainOptimizer,
  KIND_DEFAULTS,
  KIND_FIELDS,
  OPTIMIZER_KINDS,
  chain,
  createOptimizer,
  identity,
  registeredStageNames,
  mechanize,
  scaleByAdam,
  scaleByLearningRate,
  scheduleFree,
  trace,
  type OptimizerSpec,
} from '../../src/optimizers/index.js';
import { maxAbsDiff, PARAMETER_FREE_SPECS, savedInMemory, uniquePrefix } from './helpers.js';
import { seededDenseNet } from '../helpers/models.js';

const specs: OptimizerSpec[] = [
  { kind: 'sgd', learningRate: 0.1 },
  { kind: 'heavy-ball', learningRate: { values: [0.1, 0.05], boundaries: [2] }, momentum: 0.9 },
  { kind: 'nesterov', learningRate: 0.1, momentum: 0.8 },
  { kind: 'ema-momentum', learningRate: 0.1, momentum: 0.9 },
  { kind: 'no-lr-momentum', momentum: 0.7 },
  { kind: 'pure-momentum', learningRate: 0.1, momentum: 1.1, gradientSteps: 2 },
  { kind: 'keras-momentum', learningRate: 0.1, momentum: 0.9 },
  { kind: 'adam', learningRate: 0.1, beta1: 0.8 },
  { kind: 'rmsprop', decay: 0.5 },
  { kind: 'prodigy', d0: 0.01, learningRate: { values: [1, 0.5], boundaries: [2] } },
  { kind: 'ema-debiased', momentum: 0.8 },
  { kind: 'adadelta', rho: 0.8, learningRate: { values: [1, 0.5], boundaries: [2] } },
  { kind: 'rprop', learningRate: 0.05, etaPlus: 1.5, maxStep: 1 },
  { kind: 'dog', rEpsilon: 1e-4 },
  { kind: 'dowg', initSqDist: 0.01 },
  { kind: 'cocob', alpha: 50 },
  { kind: 'dadapt-adamw', d0: 0.01, learningRate: { values: [1, 0.5], boundaries: [2] } },
  // A wrapper: the base chain (heavy-ball) is serialized inside mechanize's config.
  { kind: 'mechanic', baseLearningRate: 0.1, sInit: 0.01, numBetas: 3 },
  { kind: 'mechanic', baseMomentum: 0 },
  { kind: 'schedule-free', learningRate: { values: [0.1, 0.05], boundaries: [2] }, beta: 0.8, weightLrPower: 1 },
];

/** Runs `steps` steps of fixed gradients on fresh variables and returns the final values. */
function run(optimizer: TF.Optimizer, steps: number): number[] {
  const prefix = uniquePrefix('run');
  const w = tf.variable(
    tf.tensor2d([
      [1, -1],
      [0.5, 2],
    ]),
    true,
    `${prefix}/w`,
  );
  const b = tf.variable(tf.tensor1d([0.1, -0.2]), true, `${prefix}/b`);
  for (let t = 0; t < steps; t++) {
    const grads = {
      [w.name]: tf.tensor2d([
        [t + 1, -1],
        [0.5, -t],
      ]),
      [b.name]: tf.tensor1d([1, Math.cos(t)]),
    };
    optimizer.applyGradients(grads);
    tf.dispose(grads);
  }
  const values = [...w.dataSync(), ...b.dataSync()];
  tf.dispose([w, b]);
  return values;
}

describe('config', () => {
  it('has a unique registered class name', () => {
    expect(ChainOptimizer.className).toBe('InertiaChainOptimizer');
    const registered = tf.serialization.SerializationMap.getMap().classNameMap.InertiaChainOptimizer;
    expect(registered?.[0]).toBe(ChainOptimizer);
  });

  it.each(specs.map((s) => [s.kind, s] as const))(
    '%s round-trips through getConfig/fromConfig (JSON and behaviour)',
    (_, spec) => {
      const original = createOptimizer(spec);
      const config = JSON.parse(JSON.stringify(original.getConfig()));
      const rebuilt = ChainOptimizer.fromConfig(ChainOptimizer, config) as ChainOptimizer;
      expect(rebuilt.getConfig()).toEqual(config);
      expect(run(rebuilt, 5)).toEqual(run(original, 5));
      original.dispose();
      rebuilt.dispose();
    },
  );

  it('round-trips mechanize over a chain a user composed (Adam), and schedule-free over it', () => {
    const overAdam = mechanize(chain(scaleByAdam({ beta1: 0.8 }), scaleByLearningRate(0.1)), { sInit: 0.01 });
    for (const transformation of [overAdam, scheduleFree(overAdam, { learningRate: 0.1 })]) {
      const optimizer = new ChainOptimizer(transformation);
      const config = JSON.parse(JSON.stringify(optimizer.getConfig()));
      const rebuilt = ChainOptimizer.fromConfig(ChainOptimizer, config) as ChainOptimizer;
      expect(rebuilt.getConfig()).toEqual(config);
      expect(rebuilt.stateSlots()).toEqual(optimizer.stateSlots());
      expect(run(rebuilt, 5)).toEqual(run(optimizer, 5));
      optimizer.dispose();
      rebuilt.dispose();
    }
    expect(overAdam.config).toEqual({
      name: 'mechanize',
      base: {
        name: 'chain',
        stages: [
          { name: 'scaleByAdam', beta1: 0.8, beta2: 0.999, epsilon: 1e-8 },
          { name: 'scaleByLearningRate', learningRate: 0.1 },
        ],
      },
      weightDecay: 0.01,
      epsilon: 1e-8,
      sInit: 0.01,
      numBetas: 6,
    });
    expect(() => ChainOptimizer.fromConfig(ChainOptimizer, { transformation: { name: 'mechanize' } })).toThrow(
      'Invalid mechanize config: {"name":"mechanize"} (expected { name: "mechanize", base: { name: ..., ... }, ... } with the wrapped optimizer\'s config as base)',
    );
  });

  it('describes the chain stage by stage', () => {
    const optimizer = createOptimizer({
      kind: 'heavy-ball',
      learningRate: { values: [0.1, 0.05], boundaries: [2] },
      momentum: 0.9,
    });
    expect(optimizer.getConfig()).toEqual({
      transformation: {
        name: 'chain',
        stages: [
          { name: 'trace', momentum: 0.9, nesterov: false },
          { name: 'scaleByLearningRate', learningRate: { values: [0.1, 0.05], boundaries: [2] } },
        ],
      },
    });
    expect(optimizer.stateSlots()).toEqual(['0.trace.velocity']);
    optimizer.dispose();
  });

  it('serializes a chain a user composed', () => {
    const optimizer = new ChainOptimizer(chain(identity(), chain(trace(0.5), scaleByLearningRate(0.2))));
    const rebuilt = ChainOptimizer.fromConfig(
      ChainOptimizer,
      JSON.parse(JSON.stringify(optimizer.getConfig())),
    ) as ChainOptimizer;
    // First entry of w: w0 = 1, gradients 1, 2, 3: v = 1, 0.5 + 2 = 2.5, 1.25 + 3 = 4.25;
    // w = 1 - 0.2 * (1 + 2.5 + 4.25) = -0.55
    const values = run(rebuilt, 3);
    expect(values).toEqual(run(optimizer, 3));
    expect(values[0]).toBeCloseTo(-0.55, 6);
    expect(() => ChainOptimizer.fromConfig(ChainOptimizer, { transformation: { name: 'lion' } })).toThrow(
      `Unknown optimizer stage "lion" in config (expected one of: ${registeredStageNames().join(', ')}; register custom stages with registerStage)`,
    );
    expect(registeredStageNames()).toEqual(expect.arrayContaining(['chain', 'scaleByLearningRate', 'trace']));
    optimizer.dispose();
    rebuilt.dispose();
  });
});

describe('weights', () => {
  it('lists iterations first, then the state ordered by variable name, and restores it', async () => {
    const prefix = uniquePrefix('weights');
    const names = ['z', 'a', 'm'].map((n) => `${prefix}/${n}`);
    const vars = names.map((name, i) => tf.variable(tf.fill([2], i + 1), true, name));
    const optimizer = createOptimizer({ kind: 'nesterov', learningRate: 0.1, momentum: 0.9 });
    const grads = () => Object.fromEntries(vars.map((v, i) => [v.name, tf.fill([2], i + 1)]));
    for (let t = 0; t < 3; t++) {
      const g = grads();
      optimizer.applyGradients(g);
      tf.dispose(g);
    }
    const weights = await optimizer.getWeights();
    expect(weights.map((w) => w.name)).toEqual([
      'iter',
      `${prefix}/a/0.trace.velocity`,
      `${prefix}/m/0.trace.velocity`,
      `${prefix}/z/0.trace.velocity`,
    ]);
    expect(weights[0].tensor.dataSync()[0]).toBe(3);
    // a got gradient 2 three times: v = 2, 0.9 * 2 + 2 = 3.8, 0.9 * 3.8 + 2 = 5.42
    expect(maxAbsDiff(weights[1].tensor, [5.42, 5.42])).toBeLessThan(1e-5);

    // A fresh optimizer restored from those weights, driving copies of the variables (state
    // renamed to the copies' names), continues exactly as the original.
    const twins = vars.map((v) => tf.variable(v.clone(), true, `${v.name}/twin`));
    const restored = createOptimizer({ kind: 'nesterov', learningRate: 0.1, momentum: 0.9 });
    await restored.setWeights(
      weights.map((w, i) => ({
        name: i === 0 ? w.name : w.name.replace('/0.trace', '/twin/0.trace'),
        tensor: w.tensor.clone(),
      })),
    );
    expect(restored.iterations).toBe(3);
    for (let t = 0; t < 2; t++) {
      const g = grads();
      optimizer.applyGradients(g);
      restored.applyGradients(Object.fromEntries(Object.entries(g).map(([name, tensor]) => [`${name}/twin`, tensor])));
      tf.dispose(g);
    }
    for (let i = 0; i < vars.length; i++)
      expect(Array.from(twins[i].dataSync())).toEqual(Array.from(vars[i].dataSync()));
    await expect(
      restored.setWeights([weights[0], { name: 'x/1.ema.velocity', tensor: weights[1].tensor }]),
    ).rejects.toThrow(
      'Cannot restore optimizer weight "x/1.ema.velocity": expected "<variable>/<slot>" with a slot of this optimizer (0.trace.velocity); was it saved by a different optimizer?',
    );
    optimizer.dispose();
    restored.dispose();
    tf.dispose([...vars, ...twins, weights[0].tensor]);
  });
});

describe('tf.LayersModel', () => {
  function dataset(): { x: TF.Tensor2D; y: TF.Tensor2D } {
    const x = tf.randomUniform([64, 4], -1, 1, 'float32', 11) as TF.Tensor2D;
    const y = tf.tidy(() => tf.sin(tf.matMul(x, tf.tensor2d([[1], [-2], [0.5], [1.5]])))) as TF.Tensor2D;
    return { x, y };
  }
  function model(optimizer: TF.Optimizer): TF.LayersModel {
    const m = seededDenseNet(4, 16, 1);
    m.compile({ optimizer, loss: 'meanSquaredError' });
    return m;
  }
  const fitOptions = { batchSize: 16, shuffle: false, verbose: 0 } as const;
  const resumeSpecs: OptimizerSpec[] = [
    { kind: 'heavy-ball', learningRate: { values: [0.05, 0.02], boundaries: [12] }, momentum: 0.9 },
    // Global state (the distance estimate and its numerator) and the initial parameters.
    { kind: 'prodigy' },
    { kind: 'adam', learningRate: 0.01 },
    // model.fit steps through minimize, which hands the loss to the polyak stage.
    { kind: 'polyak', maxLearningRate: 0.5 },
    ...PARAMETER_FREE_SPECS,
    // Global per-beta vectors, x0, and the base heavy-ball's velocity under `base.`.
    { kind: 'mechanic', baseLearningRate: 0.05 },
    { kind: 'dadapt-adamw' },
    // The loss from minimize, and global averages of the loss and of g . x.
    { kind: 'momo', learningRate: 0.5 },
    // z per variable and the global weight sum: y continues bit for bit.
    { kind: 'schedule-free', learningRate: 0.05 },
  ];

  it.each(resumeSpecs.map((s) => [JSON.stringify(s), s] as const))(
    '%s: trains with model.fit, and save + load + continue equals uninterrupted training',
    async (_, spec) => {
      const { x, y } = dataset();
      // Uninterrupted: 6 epochs of 4 batches (the rate halves after 12 steps, mid-run).
      const straight = model(createOptimizer(spec));
      const history = await straight.fit(x, y, { ...fitOptions, epochs: 6 });
      const losses = history.history.loss as number[];
      expect(losses[5]).toBeLessThan(losses[0]);

      // Interrupted: 3 epochs, save with the optimizer, load, 3 more epochs.
      const first = model(createOptimizer(spec));
      await first.fit(x, y, { ...fitOptions, epochs: 3 });
      const loaded = await tf.loadLayersModel(tf.io.fromMemory(await savedInMemory(first)));
      expect(loaded.optimizer).toBeInstanceOf(ChainOptimizer);
      expect(loaded.optimizer.iterations).toBe(12);
      const resumed = await loaded.fit(x, y, { ...fitOptions, epochs: 3 });
      expect(resumed.history.loss).toEqual(losses.slice(3));
      const expected = straight.getWeights();
      const actual = loaded.getWeights();
      for (let i = 0; i < expected.length; i++)
        expect(maxAbsDiff(actual[i], Array.from(expected[i].dataSync()))).toBe(0);
      expect((loaded.optimizer as ChainOptimizer).iterations).toBe(24);
      for (const m of [straight, first, loaded]) m.dispose();
      tf.dispose([x, y]);
    },
  );

  it('exposes the velocity by variable name for measurements', async () => {
    const { x, y } = dataset();
    const optimizer = createOptimizer({ kind: 'heavy-ball', learningRate: 0.05, momentum: 0.9 });
    const m = model(optimizer);
    await m.fit(x, y, { ...fitOptions, epochs: 1 });
    const velocity = optimizer.velocity()!;
    expect(Object.keys(velocity).sort()).toEqual(m.trainableWeights.map((w) => (w.read() as TF.Variable).name).sort());
    for (const w of m.trainableWeights) expect(velocity[(w.read() as TF.Variable).name].shape).toEqual(w.shape);
    m.dispose();
    tf.dispose([x, y]);
  });

  it('every kind trains a model with model.fit (loss drops)', async () => {
    const { x, y } = dataset();
    for (const kind of OPTIMIZER_KINDS) {
      const fields = KIND_FIELDS[kind];
      // Every kind at its defaults, plus the fields that have none.
      const kindSpec = {
        kind,
        ...(fields.includes('learningRate') && KIND_DEFAULTS[kind].learningRate === undefined
          ? { learningRate: kind === 'ema-momentum' ? 0.3 : 0.05 }
          : {}),
        ...(fields.includes('momentum') ? { momentum: kind === 'pure-momentum' ? 0.5 : 0.9 } : {}),
        ...(kind === 'pure-momentum' ? { gradientSteps: 1000 } : {}),
      } as OptimizerSpec;
      const m = model(createOptimizer(kindSpec));
      const losses = (await m.fit(x, y, { ...fitOptions, epochs: 5 })).history.loss as number[];
      expect(losses[4], kind).toBeLessThan(losses[0]);
      m.dispose();
    }
    tf.dispose([x, y]);
  });
});
