/**
 * ExactStep (src/graph/exactStep.ts): a computation run as a graph function gives its eager
 * numbers bit for bit; its first calls are checked against eager runs from the same state, and
 * mode off, a computation that cannot be traced or a check that disagrees make it eager.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type * as TF from '@tensorflow/tfjs';
import { currentBackend, tf } from '../../src/backend.js';
import { EXACT_CHECKS, ExactStep, identical } from '../../src/graph/exactStep.js';
import { UserError } from '../../src/util/errors.js';

const native = currentBackend() === 'tensorflow';
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
function runSteps(step: ExactStep, fixture: ReturnType<typeof regression>, steps: number) {
  const losses = Array.from({ length: steps }, () => tf.tidy(() => step.run([fixture.x, fixture.y])[0].dataSync()[0]));
  return { losses, weights: Array.from(fixture.w.dataSync()) };
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

describe('ExactStep', () => {
  it('with mode off runs the computation eagerly and says so', () => {
    const fixture = regression();
    const step = new ExactStep(fixture.computation, { mode: 'off' });
    runSteps(step, fixture, 3);
    expect(step.compiledCalls).toBe(0);
    expect(step.fallback).toBe('compiled steps are off');
    step.dispose();
  });

  it.skipIf(!native)('gives the eager numbers bit for bit, checking its first calls', () => {
    const eagerFixture = regression();
    const eager = runSteps(new ExactStep(eagerFixture.computation, { mode: 'off' }), eagerFixture, 8);
    const fixture = regression();
    const before = tf.memory().numTensors;
    const step = new ExactStep(fixture.computation, { mode: 'auto' });
    const compiled = runSteps(step, fixture, 8);
    step.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(step.fallback).toBeNull();
    // Call 1 is the trace; every later one is a function call (the first EXACT_CHECKS checked).
    expect(step.compiledCalls).toBe(7);
    expect(EXACT_CHECKS).toBeLessThan(7);
    compiled.losses.forEach((loss, i) => expect(Object.is(loss, eager.losses[i])).toBe(true));
    expect(compiled.weights).toEqual(eager.weights);
  });

  it('falls back to eager when the computation cannot be traced (or compiled steps are unavailable)', () => {
    const eagerFixture = regression();
    const eager = runSteps(new ExactStep(eagerFixture.computation, { mode: 'off' }), eagerFixture, 4);
    const fixture = regression();
    // Reading a value back inside the computation cannot be part of a graph.
    const reading = ([a, b]: TF.Tensor[]) => {
      fixture.w.dataSync();
      return fixture.computation([a, b]);
    };
    const step = new ExactStep(reading, { mode: 'auto' });
    const result = runSteps(step, fixture, 4);
    expect(step.compiledCalls).toBe(0);
    expect(step.fallback).not.toBeNull();
    expect(result).toEqual(eager);
  });

  it.skipIf(!native)('keeps the eager results and stays eager when a checked call disagrees', () => {
    // The JavaScript number is frozen into the graph when traced: the function keeps adding 0.
    let offset = 0;
    const x = tf.tensor1d([1, 2]);
    live.push(x);
    const step = new ExactStep(([a]) => [tf.add(a, offset++)], { mode: 'auto' });
    const values = Array.from({ length: 4 }, () => tf.tidy(() => Array.from(step.run([x])[0].dataSync())));
    expect(values).toEqual([
      [1, 2],
      [2, 3],
      [3, 4],
      [4, 5],
    ]);
    expect(step.fallback).toMatch(/disagreed/);
    step.dispose();
  });

  it.skipIf(!native)('with mode on, says why it cannot compile', () => {
    const fixture = regression();
    const reading = ([a, b]: TF.Tensor[]) => {
      fixture.w.dataSync();
      return fixture.computation([a, b]);
    };
    const step = new ExactStep(reading, { mode: 'on' });
    expect(() => step.run([fixture.x, fixture.y])).toThrow(UserError);
  });
});
