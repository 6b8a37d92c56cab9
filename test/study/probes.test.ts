import { describe, expect, it } from 'vitest';
import { currentBackend, tf } from '../../src/backend.js';
import { train } from '../../src/train/train.js';
import { lambdaMaxAtInit, rayAccuracies, velocityLineSearch } from '../../src/study/probes.js';
import { UNTUNED, type AnalysisInputs } from '../../src/study/experiment.js';
import { analyse as analyseD } from '../../src/study/experiments/eDNeededStep.js';
import { getPreset } from '../../src/study/presets.js';
import { launches } from '../helpers/launches.js';
import { shortRuns } from '../helpers/runs.js';

const native = currentBackend() === 'tensorflow';

/** `fn`'s result and the eager kernel launches it made (0 off the native backend). */
function withLaunches<T>(fn: () => T): { result: T; launches: number } {
  if (!native) return { result: fn(), launches: 0 };
  let result!: T;
  const count = launches(() => {
    result = fn();
  });
  return { result, launches: count };
}

const { dataset, root, config } = await shortRuns('inertia-probes-', {
  optimizer: { kind: 'ema-momentum', learningRate: 0.1, momentum: 0.9 },
  epochs: 1,
  normEvery: 0,
});

describe('lambdaMaxAtInit', () => {
  it('is positive, converges, depends only on the seed, and frees its tensors', () => {
    const before = tf.memory().numTensors;
    const a = lambdaMaxAtInit(dataset, config({ seed: 3 }), 256);
    const b = lambdaMaxAtInit(dataset, config({ seed: 3, lossScale: 100 }), 256);
    expect(tf.memory().numTensors).toBe(before);
    expect(a.converged).toBe(true);
    expect(a.eigenvalue).toBeGreaterThan(0);
    // The loss scale multiplies the Hessian only in the run; the probe measures the unscaled loss.
    expect(b.eigenvalue).toBeCloseTo(a.eigenvalue, 6);
  });
});

describe('rayAccuracies', () => {
  it('holds every weight vector pure momentum (k = 1) visits: the run ends where the ray predicts', async () => {
    // w_T = w0 - alpha * s * g0 * (1 - mu^T) / (1 - mu) with T = 8 steps (512 / 64).
    const alpha = 0.05;
    const mu = 0.9;
    const s = 2;
    const run = config({
      optimizer: { kind: 'pure-momentum', learningRate: alpha, momentum: mu, gradientSteps: 1 },
      lossScale: s,
      seed: 5,
    });
    const result = await train(run, { outRoot: root, runId: 'ray', dataset, plot: false, tensorboard: false });
    const t = (alpha * s * (1 - mu ** result.steps)) / (1 - mu);
    const before = tf.memory().numTensors;
    const [atZero, atRun] = rayAccuracies(dataset, run, [0, t]);
    expect(tf.memory().numTensors).toBe(before);
    expect(atZero.testAccuracy).toBeCloseTo(result.initial.test.accuracy, 6);
    expect(Math.abs(atRun.testAccuracy - result.final.test.accuracy)).toBeLessThanOrEqual(1 / 256);
  });
});

describe('velocityLineSearch', () => {
  it('finds a step c* with c* s the same at two loss scales (alpha s held constant)', () => {
    const at = (s: number) =>
      velocityLineSearch(
        dataset,
        config({ optimizer: { kind: 'ema-momentum', learningRate: 0.1 / s, momentum: 0.9 }, lossScale: s, seed: 2 }),
        0.1 / s,
        [1, 5],
        128,
      );
    const one = at(1);
    const eight = at(8);
    expect(one.map((m) => m.step)).toEqual([1, 5]);
    one.forEach((m, i) => {
      expect(m.bestStep).toBeGreaterThan(0);
      expect(eight[i].bestStep * 8).toBeCloseTo(m.bestStep, 2);
      expect(eight[i].appliedStep).toBeCloseTo(0.1 / 8, 10);
    });
  });
});

describe('compiled probes', () => {
  // The same numbers bit for bit with compiled steps (auto) as eagerly (off); toEqual compares
  // numbers with Object.is. Compiled, most of the kernels run inside graph functions.
  it('lambdaMaxAtInit gives the eager estimate', () => {
    const eager = withLaunches(() => lambdaMaxAtInit(dataset, config({ seed: 4 }), 256, 'off'));
    const before = tf.memory().numTensors;
    const compiled = withLaunches(() => lambdaMaxAtInit(dataset, config({ seed: 4 }), 256, 'auto'));
    expect(tf.memory().numTensors).toBe(before);
    expect(compiled.result).toEqual(eager.result);
    expect(eager.result.iterations).toBeGreaterThan(3);
    if (native) expect(compiled.launches).toBeLessThan(eager.launches / 2);
  });

  it('velocityLineSearch gives the eager steps', () => {
    const run = config({ seed: 6 });
    const eager = withLaunches(() => velocityLineSearch(dataset, run, 0.1, [1, 3, 6], 128, 'off'));
    const before = tf.memory().numTensors;
    const compiled = withLaunches(() => velocityLineSearch(dataset, run, 0.1, [1, 3, 6], 128, 'auto'));
    expect(tf.memory().numTensors).toBe(before);
    expect(compiled.result).toEqual(eager.result);
    if (native) expect(compiled.launches).toBeLessThan(eager.launches / 3);
  });
});

describe("the study's compile mode", () => {
  // The study hands --compile to its probes in the analysis inputs, not through $INERTIA_COMPILE:
  // under whatever the variable says, `off` runs experiment D's line searches eagerly and `auto`
  // compiled, to the same numbers. With the smoke preset's batch as the training set, each run
  // is one step long: one checkpoint, three loss scales, one seed.
  it('reaches the probes of experiment D through AnalysisInputs.compile', () => {
    const preset = { ...getPreset('smoke'), seeds: 1 };
    const inputs = (compile: AnalysisInputs['compile']): AnalysisInputs => ({
      preset,
      plan: { trainCount: preset.batchSize, tuned: UNTUNED },
      dataset,
      compile,
    });
    const eager = withLaunches(() => analyseD([], inputs('off')));
    const compiled = withLaunches(() => analyseD([], inputs('auto')));
    expect(compiled.result).toEqual(eager.result);
    expect(eager.result.measurements).toHaveLength(3);
    if (native) expect(compiled.launches).toBeLessThan(eager.launches / 3);
  });
});
