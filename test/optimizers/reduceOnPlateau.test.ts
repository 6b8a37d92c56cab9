/**
 * reduceOnPlateau against a sequence worked by hand, and against Optax's own trajectories
 * (../fixtures/optax-reduce-on-plateau.json, written by
 * scripts/reference/optax_reduce_on_plateau.py: `optax.chain(optax.sgd(0.1),
 * optax.contrib.reduce_on_plateau(...))` in float32, open loop, a loss value per step). The
 * steps run compiled unless INERTIA_COMPILE=off (CI runs both): the loss is a step input.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tf } from '../../src/backend.js';
import { ChainOptimizer, chain, reduceOnPlateau, scaleByLearningRate } from '../../src/optimizers/index.js';
import { chainFromStageList } from '../../src/optimizers/stageList.js';
import { stageFromConfig } from '../../src/optimizers/registry.js';
import type { StageConfig } from '../../src/optimizers/types.js';
import { defaultCompileMode } from '../../src/graph/compileMode.js';
import { makeTrainConfig, type TrainConfigOverrides } from '../../src/train/config.js';
import { trainInMemory } from '../../src/train/train.js';
import {
  disposedAfterEach,
  makeVariables,
  namedGradients,
  testStepper,
  TrajectoryErrors,
  uniquePrefix,
  type Nested,
} from './helpers.js';

const owned = disposedAfterEach();

const SLOTS = ['scale', 'bestValue', 'plateauCount', 'cooldownCount', 'count', 'averageValue'] as const;
type PlateauState = Record<(typeof SLOTS)[number], number>;

/**
 * The stage's global state, read through getWeights (`#global/<index>.reduceOnPlateau.<slot>`;
 * the state tensors themselves, never disposed here, and a new `iter` scalar, disposed).
 */
async function plateauState(optimizer: ChainOptimizer): Promise<PlateauState> {
  const weights = await optimizer.getWeights();
  const state: Partial<PlateauState> = {};
  for (const slot of SLOTS) {
    const weight = weights.find((w) => w.name.startsWith('#global/') && w.name.endsWith(`reduceOnPlateau.${slot}`));
    state[slot] = weight!.tensor.dataSync()[0];
  }
  weights[0].tensor.dispose();
  return state as PlateauState;
}

/** One variable `x` = 0 under chain(scaleByLearningRate(1), stage) with gradient 1 and the given losses. */
function stepper(stage: ReturnType<typeof reduceOnPlateau>) {
  const prefix = uniquePrefix('plateau');
  const variables = makeVariables(prefix, { x: [0] });
  owned.push(Object.values(variables));
  const optimizer = new ChainOptimizer(chain(scaleByLearningRate(1), stage));
  const name = `${prefix}/x`;
  const step = testStepper(optimizer, ([gradient, loss]) => {
    optimizer.applyGradients({ [name]: gradient }, { loss });
    return [];
  });
  return {
    optimizer,
    x: variables.x,
    run(loss: number) {
      const inputs = [tf.ones([1]), tf.scalar(loss)];
      step.run(inputs);
      tf.dispose(inputs);
    },
    dispose() {
      step.dispose();
      optimizer.dispose();
    },
  };
}

describe('reduceOnPlateau', () => {
  it('halves the scale after two evaluations without improvement, then waits out its cooldown', async () => {
    // factor 0.5, patience 2, cooldown 1, rtol 0.1 (an improvement is a < 0.9 best), gradient 1, rate 1:
    //   step  loss  improved?            best  plateau  cooldown  scale  x (x -= scale)
    //   1     1.0   yes (< inf)          1.0   0        0         1      -1
    //   2     0.95  no  (not < 0.9)      1.0   1        0         1      -2
    //   3     0.95  no                   1.0   2 -> 0   0 -> 1    0.5    -2.5
    //   4     0.95  no, in cooldown      1.0   0        0         0.5    -3
    //   5     0.8   yes                  0.8   0        0         0.5    -3.5
    //   6     0.8   no                   0.8   1        0         0.5    -4
    //   7     0.8   no                   0.8   2 -> 0   1         0.25   -4.25
    const run = stepper(reduceOnPlateau({ factor: 0.5, patience: 2, cooldown: 1, rtol: 0.1 }));
    const expected: [number, PlateauState][] = [
      [-1, { scale: 1, bestValue: 1, plateauCount: 0, cooldownCount: 0, count: 0, averageValue: 0 }],
      [-2, { scale: 1, bestValue: 1, plateauCount: 1, cooldownCount: 0, count: 0, averageValue: 0 }],
      [-2.5, { scale: 0.5, bestValue: 1, plateauCount: 0, cooldownCount: 1, count: 0, averageValue: 0 }],
      [-3, { scale: 0.5, bestValue: 1, plateauCount: 0, cooldownCount: 0, count: 0, averageValue: 0 }],
      [-3.5, { scale: 0.5, bestValue: Math.fround(0.8), plateauCount: 0, cooldownCount: 0, count: 0, averageValue: 0 }],
      [-4, { scale: 0.5, bestValue: Math.fround(0.8), plateauCount: 1, cooldownCount: 0, count: 0, averageValue: 0 }],
      [
        -4.25,
        { scale: 0.25, bestValue: Math.fround(0.8), plateauCount: 0, cooldownCount: 1, count: 0, averageValue: 0 },
      ],
    ];
    const losses = [1, 0.95, 0.95, 0.95, 0.8, 0.8, 0.8];
    for (let t = 0; t < losses.length; t++) {
      run.run(losses[t]);
      expect(run.x.dataSync()[0], `x after step ${t + 1}`).toBe(expected[t][0]);
      expect(await plateauState(run.optimizer), `state after step ${t + 1}`).toEqual(expected[t][1]);
    }
    run.dispose();
  });

  it('averages accumulationSize losses into one evaluation', async () => {
    // accumulationSize 2: steps 1-2 average (1 + 0.5) / 2 = 0.75 (evaluated: best 0.75); step 3
    // holds count 1 and average 0.9 until step 4 evaluates (0.9 + 0.8) / 2 = 0.85 (no improvement).
    const run = stepper(reduceOnPlateau({ factor: 0.5, patience: 1, accumulationSize: 2 }));
    for (const loss of [1, 0.5, 0.9]) run.run(loss);
    expect(await plateauState(run.optimizer)).toMatchObject({ count: 1, averageValue: Math.fround(0.9), scale: 1 });
    run.run(0.8);
    expect(await plateauState(run.optimizer)).toMatchObject({
      count: 0,
      averageValue: 0,
      bestValue: 0.75,
      scale: 0.5,
      plateauCount: 0,
    });
    run.dispose();
  });

  it('needs the loss value, and checks its fields with messages that name them', () => {
    const prefix = uniquePrefix('plateauNoLoss');
    const variables = makeVariables(prefix, { x: [0] });
    owned.push(Object.values(variables));
    const optimizer = new ChainOptimizer(reduceOnPlateau());
    expect(() => optimizer.applyGradients({ [`${prefix}/x`]: tf.ones([1]) })).toThrow(
      'reduceOnPlateau needs the loss value of each step',
    );
    optimizer.dispose();
    const config = (fields: Record<string, number>): StageConfig => ({ name: 'reduceOnPlateau', ...fields });
    expect(() => stageFromConfig(config({ factor: 1 }))).toThrow(
      'Invalid factor value: 1 (expected 0 < factor < 1 for reduceOnPlateau)',
    );
    expect(() => stageFromConfig(config({ patience: 0 }))).toThrow(
      'Invalid patience value: 0 (expected a positive integer for reduceOnPlateau)',
    );
    expect(() => stageFromConfig(config({ cooldown: 1.5 }))).toThrow(
      'Invalid cooldown value: 1.5 (expected an integer >= 0 for reduceOnPlateau)',
    );
    expect(() => stageFromConfig(config({ rtol: 0, atol: 0 }))).toThrow(
      'Invalid reduceOnPlateau config: rtol and atol are both 0',
    );
  });

  it('round-trips through getConfig and the stage registry', () => {
    const stage = reduceOnPlateau({ factor: 0.3, patience: 4, cooldown: 2, accumulationSize: 5, minScale: 0.01 });
    expect(stageFromConfig(stage.config).config).toEqual(stage.config);
  });
});

interface PlateauCase {
  name: string;
  stages: StageConfig[];
  initial: Record<string, Nested>;
  losses: number[];
  /** bestValue is the string "Infinity" before the first evaluation (JSON has no infinity). */
  steps: { params: Record<string, Nested>; state: Omit<PlateauState, 'bestValue'> & { bestValue: number | string } }[];
}

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/optax-reduce-on-plateau.json', import.meta.url), 'utf8'),
) as { optax: string; gradients: Record<string, Nested>[]; cases: PlateauCase[] };

describe('Optax reference: reduce_on_plateau', () => {
  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const prefix = uniquePrefix('optaxPlateau');
    const variables = makeVariables(prefix, c.initial);
    owned.push(Object.values(variables));
    const optimizer = new ChainOptimizer(chainFromStageList(c.stages));
    const names = Object.keys(c.initial).map((name) => `${prefix}/${name}`);
    const stepper = testStepper(optimizer, (inputs) => {
      optimizer.applyGradients(Object.fromEntries(names.map((name, i) => [name, inputs[i]])), {
        loss: inputs[names.length],
      });
      return [];
    });
    const errors = new TrajectoryErrors(c.initial);
    for (let t = 0; t < c.steps.length; t++) {
      const gradients = namedGradients(prefix, fixture.gradients[t]);
      const loss = tf.scalar(c.losses[t]);
      stepper.run([...names.map((name) => gradients[name]), loss]);
      tf.dispose([gradients, loss]);
      errors.add(variables, c.steps[t].params);
      // The state is exact: the same float32 operations in the same order.
      const state = c.steps[t].state;
      expect(await plateauState(optimizer), `${c.name} step ${t + 1}`).toEqual({
        ...state,
        bestValue: Number(state.bestValue),
      });
    }
    expect(errors.worst).toBeLessThan(1e-6);
    stepper.dispose();
    optimizer.dispose();
  });
});

describe('reduceOnPlateau in a training run', () => {
  it('gets each step the minibatch loss, with compiled steps unless they are off', async () => {
    const stages = [
      { name: 'trace', momentum: 0.9 },
      { name: 'scaleByLearningRate', learningRate: 0.05 },
      { name: 'reduceOnPlateau', factor: 0.5, patience: 1, accumulationSize: 8 },
    ];
    const config = makeTrainConfig({
      dataset: 'synthetic',
      trainLimit: 512,
      testLimit: 128,
      hidden: [32],
      optimizer: { kind: 'chain', stages } as TrainConfigOverrides['optimizer'],
      epochs: 2,
      batchSize: 64,
    });
    const result = await trainInMemory(config);
    // Its best value is +inf until the 8th step: the compiled step's check, made before, agrees all the same.
    expect(result.stepMode).toMatchObject({ compiled: defaultCompileMode() !== 'off', fallback: null });
    expect(result.steps).toBe(16);
    expect(result.final.test.loss).toBeLessThan(result.initial.test.loss);
  });
});
