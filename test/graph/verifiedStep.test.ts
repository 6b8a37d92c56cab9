/**
 * VerifiedStep (src/graph/verifiedStep.ts): a computation run as a graph function gives its eager
 * numbers (bit for bit under an exact check); its first calls are checked against eager runs
 * from the same state, the optimizer's step count rewound between them; mode off, a computation
 * that cannot be traced or a check that disagrees make it eager (with one warning line when
 * asked), and mode on makes that an error.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type * as TF from '@tensorflow/tfjs';
import { currentBackend, tf } from '../../src/backend.js';
import {
  EXACT_CHECKS,
  VerifiedStep,
  VERIFY_TOLERANCE,
  identical,
  type VerifiedStepOptions,
} from '../../src/graph/verifiedStep.js';
import { UserError } from '../../src/util/errors.js';
import { applyGradientsWithLoss } from '../../src/optimizers/index.js';
import { makeOptimizer } from '../../src/train/config.js';

const native = currentBackend() === 'tensorflow';
/** The study's probes' check: bit for bit, on the first EXACT_CHECKS calls of every step. */
const exact: VerifiedStepOptions = { check: 'exact', ownChecks: EXACT_CHECKS };
const live: TF.Tensor[] = [];
afterEach(() => tf.dispose(live.splice(0)));

/** w <- w - 0.1 * x^T (x w - y) / n, returning the squared error before the update. */
function regression() {
  const w = tf.variable(tf.tensor2d([[0.5], [-0.25], [1]]), true, `exact/w${live.length}`);
  const x = tf.tensor2d([
    [1, 2, 3],
    [0.5, -1, 2],
    [3, 0, -1],
    [1, 1, 1],
  ]);
  const y = tf.tensor2d([[1], [0], [2], [-1]]);
  live.push(w, x, y);
  const computation = ([a, b]: TF.Tensor[]) =>
    tf.tidy(() => {
      const error = tf.sub(tf.matMul(a, w), b);
      w.assign(tf.sub(w, tf.mul(tf.matMul(a, error, true), 0.1 / 4)));
      return [tf.sum(tf.square(error))];
    });
  return { w, x, y, computation };
}

/** The losses and final weights of `steps` calls. */
function runSteps(step: VerifiedStep, fixture: ReturnType<typeof regression>, steps: number) {
  const losses = Array.from({ length: steps }, () => tf.tidy(() => step.run([fixture.x, fixture.y])[0].dataSync()[0]));
  return { losses, weights: Array.from(fixture.w.dataSync()) };
}

/**
 * Four calls of x + increment * (number of earlier calls) on x = [1, 2]: the JavaScript number
 * is frozen into the graph when traced, so a function would keep adding the traced offset.
 */
function frozenOffset(increment: number, options: VerifiedStepOptions) {
  let offset = 0;
  const x = tf.tensor1d([1, 2]);
  live.push(x);
  const step = new VerifiedStep(([a]) => [tf.add(a, increment * offset++)], options);
  const values = Array.from({ length: 4 }, () => tf.tidy(() => Array.from(step.run([x])[0].dataSync())));
  return { step, values };
}

describe('identical', () => {
  it('compares dtype, shape and every element with Object.is', () => {
    const [a, b, c, d] = [
      tf.tensor1d([0, NaN]),
      tf.tensor1d([0, NaN]),
      tf.tensor1d([-0, NaN]),
      tf.tensor2d([[0, NaN]]),
    ];
    live.push(a, b, c, d);
    expect(identical([a], [b])).toBe(true);
    expect(identical([a], [c])).toBe(false);
    expect(identical([a], [d])).toBe(false);
    expect(identical([a], [])).toBe(false);
  });
});

describe('VerifiedStep, exact', () => {
  it('with mode off runs the computation eagerly and says so', () => {
    const fixture = regression();
    const step = new VerifiedStep(fixture.computation, { ...exact, mode: 'off' });
    runSteps(step, fixture, 3);
    expect(step.compiledCalls).toBe(0);
    expect(step.mode).toEqual({ compile: 'off', compiled: false, fallback: null });
    step.dispose();
  });

  it.skipIf(!native)('gives the eager numbers bit for bit, checking its first calls', () => {
    const eagerFixture = regression();
    const eager = runSteps(new VerifiedStep(eagerFixture.computation, { ...exact, mode: 'off' }), eagerFixture, 8);
    const fixture = regression();
    const before = tf.memory().numTensors;
    const step = new VerifiedStep(fixture.computation, { ...exact, mode: 'auto' });
    const compiled = runSteps(step, fixture, 8);
    step.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(step.mode.fallback).toBeNull();
    // Call 1 is the trace; every later one is a function call (the first EXACT_CHECKS checked).
    expect(step.compiledCalls).toBe(7);
    expect(EXACT_CHECKS).toBeLessThan(7);
    compiled.losses.forEach((loss, i) => expect(Object.is(loss, eager.losses[i])).toBe(true));
    expect(compiled.weights).toEqual(eager.weights);
  });

  it('falls back to eager when the computation cannot be traced (or compiled steps are unavailable)', () => {
    const eagerFixture = regression();
    const eager = runSteps(new VerifiedStep(eagerFixture.computation, { ...exact, mode: 'off' }), eagerFixture, 4);
    const fixture = regression();
    // Reading a value back inside the computation cannot be part of a graph.
    const reading = ([a, b]: TF.Tensor[]) => {
      fixture.w.dataSync();
      return fixture.computation([a, b]);
    };
    const step = new VerifiedStep(reading, { ...exact, mode: 'auto' });
    const result = runSteps(step, fixture, 4);
    expect(step.compiledCalls).toBe(0);
    expect(step.mode.fallback).not.toBeNull();
    expect(result).toEqual(eager);
  });

  it.skipIf(!native)('keeps the eager results and stays eager when a checked call disagrees', () => {
    const { step, values } = frozenOffset(1, { ...exact, mode: 'auto' });
    expect(values).toEqual([
      [1, 2],
      [2, 3],
      [3, 4],
      [4, 5],
    ]);
    expect(step.mode.fallback).toMatch(/disagreed/);
    step.dispose();
  });

  it.skipIf(!native)('with mode on, says why it cannot compile', () => {
    const fixture = regression();
    const reading = ([a, b]: TF.Tensor[]) => {
      fixture.w.dataSync();
      return fixture.computation([a, b]);
    };
    const step = new VerifiedStep(reading, { ...exact, mode: 'on' });
    expect(() => step.run([fixture.x, fixture.y])).toThrow(UserError);
  });
});

/** A training step of heavy-ball on the regression: inputs [x, y], output the mean squared error. */
function trainingFixture() {
  const fixture = regression();
  const optimizer = makeOptimizer({ kind: 'heavy-ball', learningRate: 0.05, momentum: 0.9 });
  const computation = ([x, y]: TF.Tensor[]) => {
    const { value, grads } = tf.variableGrads(
      () => tf.mean(tf.square(tf.sub(tf.matMul(x, fixture.w), y))) as TF.Scalar,
      [fixture.w],
    );
    applyGradientsWithLoss(optimizer, grads, value);
    tf.dispose(grads);
    return [value];
  };
  return { ...fixture, optimizer, computation };
}

const training: VerifiedStepOptions = { check: { tolerance: VERIFY_TOLERANCE }, eagerCalls: 1 };

describe('VerifiedStep, to a tolerance', () => {
  it.skipIf(!native)('trains like the eager step and counts every step once, checked ones included', () => {
    const eagerFixture = trainingFixture();
    const eagerStep = new VerifiedStep(eagerFixture.computation, {
      ...training,
      optimizer: eagerFixture.optimizer,
      mode: 'off',
    });
    const eager = runSteps(eagerStep, eagerFixture, 8);
    const fixture = trainingFixture();
    // Its own checks too: the registry may have verified this function in an earlier test.
    const step = new VerifiedStep(fixture.computation, {
      ...training,
      optimizer: fixture.optimizer,
      ownChecks: 2,
      mode: 'auto',
    });
    expect(step.mode.compiled).toBe(false);
    const compiled = runSteps(step, fixture, 8);
    // Call 1 eager (the optimizer allocates its velocity), call 2 the trace, calls 3-8 compiled.
    expect(step.compiledCalls).toBe(6);
    expect(step.mode).toEqual({ compile: 'auto', compiled: true, fallback: null });
    // The step count was put back before each check's eager run: one count per call.
    expect(fixture.optimizer.iterations).toBe(8);
    expect(eagerFixture.optimizer.iterations).toBe(8);
    compiled.losses.forEach((loss, i) => expect(loss).toBeCloseTo(eager.losses[i], 5));
    compiled.weights.forEach((w, i) => expect(w).toBeCloseTo(eager.weights[i], 5));
    step.dispose();
    fixture.optimizer.dispose();
    eagerFixture.optimizer.dispose();
  });

  it.skipIf(!native)('keeps the eager results and says by how much a checked call disagreed', () => {
    const { step, values } = frozenOffset(0.5, { ...training, ownChecks: 1, mode: 'auto' });
    expect(values).toEqual([
      [1, 2],
      [1.5, 2.5],
      [2, 3],
      [2.5, 3.5],
    ]);
    expect(step.mode).toMatchObject({ compiled: false });
    expect(step.mode.fallback).toMatch(/disagreed with the eager one \(relative difference .* > 0\.00001\)/);
    step.dispose();
  });

  it.skipIf(!native)('counts equal elements as agreeing, infinite ones too', () => {
    // inf - inf is NaN: a state that starts at +inf (reduceOnPlateau's best value) must still agree.
    const x = tf.tensor1d([1, Infinity, -Infinity]);
    live.push(x);
    const step = new VerifiedStep(([a]) => [tf.mul(a, 2)], { ...training, ownChecks: 2, mode: 'auto' });
    const values = Array.from({ length: 4 }, () => tf.tidy(() => Array.from(step.run([x])[0].dataSync())));
    expect(values).toEqual(Array.from({ length: 4 }, () => [2, Infinity, -Infinity]));
    expect(step.mode).toEqual({ compile: 'auto', compiled: true, fallback: null });
    step.dispose();
  });

  it.skipIf(!native)('measures a disagreement against the finite elements of the eager result', () => {
    // Divided by 1 + max |eager| over all elements, an infinite one would make any difference 0.
    let offset = 0;
    const x = tf.tensor1d([1, 2, Infinity]);
    live.push(x);
    const step = new VerifiedStep(([a]) => [tf.add(a, 0.5 * offset++)], { ...training, ownChecks: 1, mode: 'auto' });
    const values = Array.from({ length: 4 }, () => tf.tidy(() => Array.from(step.run([x])[0].dataSync())));
    expect(values.map((v) => v[1])).toEqual([2, 2.5, 3, 3.5]);
    expect(step.mode).toMatchObject({ compiled: false });
    // The checked third call: the function traced at offset 1 gives [1.5, 2.5, inf], the eager
    // run [2, 3, inf]: 0.5 / (1 + 3), where 1 + inf would have given 0.
    expect(step.mode.fallback).toMatch(/relative difference 1\.25e-1 > 0\.00001/);
    step.dispose();
  });

  it('announces a fallback with one warning line when asked, once per reason', () => {
    const fixture = trainingFixture();
    const reading = ([a, b]: TF.Tensor[]) => {
      fixture.w.dataSync();
      return fixture.computation([a, b]);
    };
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    let lines: string[];
    try {
      for (let i = 0; i < 2; i++) {
        const step = new VerifiedStep(reading, { ...training, optimizer: fixture.optimizer, warn: true, mode: 'auto' });
        runSteps(step, fixture, 3);
        expect(step.mode.fallback).not.toBeNull();
      }
      lines = write.mock.calls.map(([text]) => String(text));
    } finally {
      write.mockRestore();
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^inertia: warning: training with eager steps: /);
    // Every call counted once, the refused trace's included.
    expect(fixture.optimizer.iterations).toBe(6);
    fixture.optimizer.dispose();
  });
});
