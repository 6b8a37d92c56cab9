/**
 * The stages every optimizer library has (schedules, addDecayedWeights, clip, clipByGlobalNorm,
 * multiSteps, chains from a list of stage configs): steps worked by hand, compiled steps equal
 * to eager ones with the per-step numbers fed as inputs, a flat tensor count, save/load in the
 * middle of an accumulation, and the messages that refuse bad configs. The Optax trajectories
 * are in optaxStages.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type * as TF from '@tensorflow/tfjs';
import { tf, currentBackend } from '../../src/backend.js';
import {
  ChainOptimizer,
  addDecayedWeights,
  chain,
  clip,
  clipByGlobalNorm,
  learningRateAt,
  multiSteps,
  scaleByAdam,
  scaleByLearningRate,
  trace,
  type GradientTransformation,
  type StageConfig,
} from '../../src/optimizers/index.js';
import { chainFromStageList } from '../../src/optimizers/stageList.js';
import { compileStep, optimizerCompileOptions } from '../../src/graph/compile.js';
import { maxAbsDiff, savedInMemory, uniquePrefix } from './helpers.js';

/** w = [1, -2], b = [0.5]; the gradient at step t is fixed by t. */
function gradientsAt(t: number, names: [string, string]): TF.NamedTensorMap {
  return { [names[0]]: tf.tensor1d([t + 1, -3 + t]), [names[1]]: tf.tensor1d([Math.sin(t) * 4]) };
}

function variables(): { w: TF.Variable; b: TF.Variable; names: [string, string] } {
  const prefix = uniquePrefix('stages');
  const w = tf.variable(tf.tensor1d([1, -2]), true, `${prefix}/w`);
  const b = tf.variable(tf.tensor1d([0.5]), true, `${prefix}/b`);
  return { w, b, names: [w.name, b.name] };
}

/** The weights after `steps` steps of `transformation` from the start above. */
function run(transformation: GradientTransformation, steps: number): number[] {
  const { w, b, names } = variables();
  const optimizer = new ChainOptimizer(transformation);
  for (let t = 0; t < steps; t++) {
    const g = gradientsAt(t, names);
    optimizer.applyGradients(g);
    tf.dispose(g);
  }
  const values = [...w.dataSync(), ...b.dataSync()];
  tf.dispose([w, b]);
  optimizer.dispose();
  return values;
}

describe('stages worked by hand', () => {
  it('multiSteps applies the mean of every k micro-steps and holds the weights between', () => {
    // k = 2, u = 0.1 * mean. w[0]: g = 1, 2, 3, 4. Step 0: a = 1, u = 0 -> w = 1.
    // Step 1: a = 1 + (2 - 1) / 2 = 1.5, u = 0.15 -> w = 0.85, a = 0.
    // Step 2: a = 3, u = 0. Step 3: a = 3.5, u = 0.35 -> w = 0.5.
    const sgd = () => multiSteps(scaleByLearningRate(0.1), 2);
    expect(run(sgd(), 1)[0]).toBe(1);
    expect(run(sgd(), 2)[0]).toBeCloseTo(0.85, 6);
    expect(run(sgd(), 3)[0]).toBeCloseTo(0.85, 6);
    expect(run(sgd(), 4)[0]).toBeCloseTo(0.5, 6);
  });

  it('multiSteps gives the inner stage its own step count (applied updates)', () => {
    // Inner rate { values: [0.1, 0.01], boundaries: [1] }: 0.1 for the first applied update
    // (micro-steps 0-1), 0.01 afterwards. w[0]: 1 - 0.1 * 1.5 - 0.01 * 3.5 = 0.815.
    const scheduled = multiSteps(scaleByLearningRate({ values: [0.1, 0.01], boundaries: [1] }), 2);
    expect(run(scheduled, 4)[0]).toBeCloseTo(0.815, 6);
  });

  it('clipByGlobalNorm rescales by the norm over every variable; clip bounds each element', () => {
    // Step 0: g = w: [1, -3], b: [0]; norm sqrt(10) = 3.1623 > 1: u = g / 3.1623.
    // w = [1 - 0.3162, -2 + 0.9487] = [0.6838, -1.0513].
    const [w0, w1, b0] = run(chain(clipByGlobalNorm(1), scaleByLearningRate(1)), 1);
    expect(w0).toBeCloseTo(1 - 1 / Math.sqrt(10), 6);
    expect(w1).toBeCloseTo(-2 + 3 / Math.sqrt(10), 6);
    expect(b0).toBe(0.5);
    // Below the limit nothing changes: norm sqrt(10) < 4.
    expect(run(chain(clipByGlobalNorm(4), scaleByLearningRate(1)), 1)).toEqual(run(scaleByLearningRate(1), 1));
    // clip(0.5): u = [0.5, -0.5], [0]: w = [0.5, -1.5], b = 0.5.
    expect(run(clip(0.5), 1)).toEqual([0.5, -1.5, 0.5]);
  });

  it('addDecayedWeights adds lambda w before the learning rate (AdamW when after scaleByAdam)', () => {
    // u = 0.1 * (g + 0.5 w): w[0] = 1 - 0.1 * (1 + 0.5) = 0.85; b = 0.5 - 0.1 * (0 + 0.25) = 0.475.
    const [w0, , b0] = run(chain(addDecayedWeights(0.5), scaleByLearningRate(0.1)), 1);
    expect(w0).toBeCloseTo(0.85, 6);
    expect(b0).toBeCloseTo(0.475, 6);
    expect(run(chain(addDecayedWeights(0), scaleByLearningRate(0.1)), 3)).toEqual(run(scaleByLearningRate(0.1), 3));
  });

  it('schedules: warmup then cosine, step decay', () => {
    const warmupCosine = { schedule: 'warmup-cosine', peakValue: 0.1, warmupSteps: 10, decaySteps: 110 } as const;
    // Linear 0 -> 0.1 over 10 steps, then 0.1 * 0.5 (1 + cos(pi (t - 10) / 100)).
    expect(learningRateAt(warmupCosine, 0)).toBe(0);
    expect(learningRateAt(warmupCosine, 5)).toBeCloseTo(0.05, 12);
    expect(learningRateAt(warmupCosine, 10)).toBeCloseTo(0.1, 12);
    expect(learningRateAt(warmupCosine, 60)).toBeCloseTo(0.05, 12);
    expect(learningRateAt(warmupCosine, 500)).toBeCloseTo(0, 12);
    const step = {
      schedule: 'exponential-decay',
      initValue: 0.1,
      transitionSteps: 10,
      decayRate: 0.5,
      staircase: true,
    } as const;
    expect([0, 9, 10, 25].map((t) => learningRateAt(step, t))).toEqual([0.1, 0.1, 0.05, 0.025]);
  });
});

const CHAINS: [string, StageConfig[], number][] = [
  // Both kinds of micro-step make as many tensors here; only their scalars' names tell them apart.
  [
    'multiSteps (k=3) over identity',
    [
      { name: 'multiSteps', everyK: 3, inner: { name: 'identity' } },
      { name: 'scaleByLearningRate', learningRate: 0.1 },
    ],
    2,
  ],
  [
    'multiSteps (k=3) over adam, with clipping and decay',
    [
      { name: 'clipByGlobalNorm', maxNorm: 2 },
      {
        name: 'multiSteps',
        everyK: 3,
        inner: { name: 'chain', stages: [{ name: 'scaleByAdam' }, { name: 'addDecayedWeights', weightDecay: 0.01 }] },
      },
      {
        name: 'scaleByLearningRate',
        learningRate: { schedule: 'warmup-cosine', peakValue: 0.1, warmupSteps: 3, decaySteps: 9 },
      },
    ],
    2,
  ],
  [
    'cosine decay with clip',
    [
      { name: 'clip', maxDelta: 1.5 },
      { name: 'trace', momentum: 0.9 },
      { name: 'scaleByLearningRate', learningRate: { schedule: 'cosine-decay', initValue: 0.1, decaySteps: 6 } },
    ],
    1,
  ],
  [
    'multiSteps (k=2) over global-norm clipping, scheduled weight decay',
    [
      { name: 'multiSteps', everyK: 2, inner: { name: 'clipByGlobalNorm', maxNorm: 1 } },
      {
        name: 'addDecayedWeights',
        weightDecay: { schedule: 'linear', initValue: 0.1, endValue: 0, transitionSteps: 5 },
      },
      { name: 'scaleByLearningRate', learningRate: 0.1 },
    ],
    2,
  ],
];

describe.skipIf(currentBackend() !== 'tensorflow')('compiled steps', () => {
  it.each(CHAINS)('%s: equal to eager for 9 steps, per-step numbers fed as inputs', (_, stages, functions) => {
    const steps = 9;
    const eager = run(chainFromStageList(stages), steps);
    const { w, b, names } = variables();
    const optimizer = new ChainOptimizer(chainFromStageList(stages));
    const step = (inputs: TF.Tensor[]) => {
      optimizer.applyGradients({ [names[0]]: inputs[0], [names[1]]: inputs[1] });
      return [];
    };
    const compiled = compileStep(step, optimizerCompileOptions(optimizer));
    for (let t = 0; t < steps; t++) {
      const g = gradientsAt(t, names);
      const inputs = [g[names[0]], g[names[1]]];
      if (t === 0) step(inputs);
      else compiled.run(inputs);
      tf.dispose(g);
    }
    // One function per structure (multiSteps: accumulating and applying micro-steps); the
    // schedules' values change every step without a new trace.
    expect(compiled.traces).toBe(functions);
    expect(compiled.calls).toBe(steps - 1 - functions);
    expect(maxAbsDiff(tf.concat([w, b]), eager)).toBe(0);
    compiled.dispose();
    optimizer.dispose();
    tf.dispose([w, b]);
  });
});

describe('memory and state', () => {
  // After one accumulating and one applying micro-step: each kind asks for its own scalars once.
  it.each(CHAINS)('%s: the tensor count is flat once every kind of step was taken', (_, stages) => {
    const { w, b, names } = variables();
    const optimizer = new ChainOptimizer(chainFromStageList(stages));
    const stepAt = (t: number) => {
      const g = gradientsAt(t, names);
      optimizer.applyGradients(g);
      tf.dispose(g);
    };
    for (let t = 0; t < 3; t++) stepAt(t);
    const count = tf.memory().numTensors;
    for (let t = 3; t < 12; t++) stepAt(t);
    expect(tf.memory().numTensors).toBe(count);
    optimizer.dispose();
    tf.dispose([w, b]);
  });

  it('keys multiSteps state by variable name, inner slots under inner.', () => {
    const optimizer = new ChainOptimizer(chain(multiSteps(chain(trace(0.9), scaleByLearningRate(0.1)), 2)));
    expect(optimizer.stateSlots()).toEqual(['0.multiSteps.accumulated', '0.multiSteps.inner.0.trace.velocity']);
    optimizer.dispose();
  });

  it('round-trips through getConfig/fromConfig, and model.save/load mid-accumulation continues exactly', async () => {
    const stages = CHAINS[0][1];
    const make = () => new ChainOptimizer(chainFromStageList(stages));
    const config = JSON.parse(JSON.stringify(make().getConfig()));
    expect(config).toEqual({
      transformation: { name: 'chain', stages: JSON.parse(JSON.stringify(chainFromStageList(stages).config.stages)) },
    });
    const x = tf.randomNormal([20, 3], 0, 1, 'float32', 3);
    const y = tf.randomNormal([20, 1], 0, 1, 'float32', 4);
    const model = (optimizer: TF.Optimizer) => {
      const m = tf.sequential({
        layers: [
          tf.layers.dense({ inputShape: [3], units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
        ],
      });
      m.compile({ optimizer, loss: 'meanSquaredError' });
      return m;
    };
    const fit = { batchSize: 5, shuffle: false, verbose: 0 } as const;
    const straight = model(make());
    const losses = (await straight.fit(x, y, { ...fit, epochs: 4 })).history.loss;
    // 2 epochs of 4 batches: 8 micro-steps, so the save falls between applied updates (k = 3).
    const first = model(make());
    await first.fit(x, y, { ...fit, epochs: 2 });
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(await savedInMemory(first)));
    expect(loaded.optimizer).toBeInstanceOf(ChainOptimizer);
    const resumed = await loaded.fit(x, y, { ...fit, epochs: 2 });
    expect(resumed.history.loss).toEqual(losses.slice(2));
    expect(maxAbsDiff(loaded.getWeights()[0], Array.from(straight.getWeights()[0].dataSync()))).toBe(0);
    for (const m of [straight, first, loaded]) m.dispose();
    tf.dispose([x, y]);
  });
});

describe('validation', () => {
  it.each([
    [[], 'Invalid the optimizer spec: [] (expected a non-empty JSON list of stage configs'],
    [{ name: 'clip' }, 'Invalid the optimizer spec: {"name":"clip"} (expected a non-empty JSON list'],
    [
      [{ name: 'lion' }],
      'In stage 1 of the optimizer spec (lion): Unknown optimizer stage "lion" in config (expected one of:',
    ],
    [
      [{ maxNorm: 1 }],
      'Invalid stage 1 of the optimizer spec: {"maxNorm":1} (expected an object with a "name", one of:',
    ],
    [
      [{ name: 'clip', maxDelta: 0 }],
      'In stage 1 of the optimizer spec (clip): Invalid maxDelta value: 0 (expected a finite number > 0 for clip)',
    ],
    [
      [{ name: 'scaleByAdam', beta: 0.5 }],
      'In stage 1 of the optimizer spec: Unknown field "beta" in stage "scaleByAdam" (allowed: beta1, beta2, epsilon)',
    ],
    [
      [{ name: 'multiSteps', everyK: 2, inner: { name: 'trace', momentun: 0.9 } }],
      'In stage 1 of the optimizer spec (multiSteps): Invalid momentum value: undefined (expected a finite number >= 0 for trace)',
    ],
    [
      [{ name: 'multiSteps', everyK: 2, inner: { name: 'trace', momentum: 0.9, extra: 1 } }],
      'In stage 1 of the optimizer spec: Unknown field "extra" in stage "trace" (allowed: momentum, nesterov)',
    ],
    [
      [{ name: 'multiSteps', everyK: 2.5, inner: { name: 'identity' } }],
      'Invalid everyK value: 2.5 (expected a positive integer for multiSteps)',
    ],
    [
      [{ name: 'multiSteps', everyK: 2 }],
      'Invalid multiSteps config: inner is undefined (expected the stage config to accumulate for',
    ],
    [
      [{ name: 'addDecayedWeights', weightDecay: -1 }],
      'Invalid weightDecay value: -1 (expected a finite number >= 0 or a schedule, for addDecayedWeights)',
    ],
    [
      [{ name: 'scaleByLearningRate', learningRate: { schedule: 'cosine', initValue: 0.1 } }],
      'Invalid schedule name: "cosine" (expected one of: cosine-decay, linear, warmup-cosine, exponential-decay)',
    ],
    [
      [{ name: 'scaleByLearningRate', learningRate: { schedule: 'cosine-decay', initValue: 0.1 } }],
      'Missing decaySteps in the cosine-decay schedule (expected a positive integer; e.g. { "schedule": "cosine-decay", "initValue": 0.1, "decaySteps": 1000 })',
    ],
    [
      [
        {
          name: 'scaleByLearningRate',
          learningRate: { schedule: 'warmup-cosine', peakValue: 0.1, warmupSteps: 100, decaySteps: 100 },
        },
      ],
      'Invalid warmup-cosine schedule: decaySteps (100) must be larger than warmupSteps (100): decaySteps counts the warmup too',
    ],
    [
      [
        {
          name: 'scaleByLearningRate',
          learningRate: { schedule: 'linear', initValue: 0, endValue: 0.1, transitionSteps: 10, steps: 3 },
        },
      ],
      'Unknown field "steps" in the linear schedule (allowed: initValue, endValue, transitionSteps, transitionBegin;',
    ],
    [
      [
        {
          name: 'scaleByLearningRate',
          learningRate: {
            schedule: 'exponential-decay',
            initValue: 0.1,
            transitionSteps: 10,
            decayRate: 0.5,
            staircase: 1,
          },
        },
      ],
      'Invalid staircase value in the exponential-decay schedule: 1 (expected true or false)',
    ],
  ])('%j', (stages, message) => {
    expect(() => chainFromStageList(stages)).toThrow(message);
  });

  it('takes a schedule wherever a learning rate goes (adam, prodigy)', () => {
    const schedule = { schedule: 'cosine-decay', initValue: 0.01, decaySteps: 5 } as const;
    expect(run(chain(scaleByAdam(), scaleByLearningRate(schedule)), 3)).not.toEqual(
      run(chain(scaleByAdam(), scaleByLearningRate(0.01)), 3),
    );
  });
});
