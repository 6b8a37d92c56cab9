/**
 * Reproduces every case of ../fixtures/adaptive-trajectories.json (open-loop Optax
 * trajectories in float32 for adam, rmsprop, polyak and prodigy; the file's `generator` field
 * names the library and version) within 1e-5 relative to max(1, |x|) after every
 * step, and within a tenth of how far the weights moved. Each case builds its optimizer
 * from the file alone: createOptimizer({ kind, ...hyperparameters }), and passes
 * `values[t]` as the step's loss when the case has them.
 */
import { describe, expect, it } from 'vitest';
import { tf } from '../../src/backend.js';
import {
  caseLabel as label,
  disposedAfterEach,
  loadFixture,
  namedGradients,
  openCaseStart,
  TrajectoryErrors,
  type OpenCase,
} from './helpers.js';

const fixture = loadFixture('adaptive-trajectories.json');
const cases = fixture.cases as OpenCase[];
const owned = disposedAfterEach();

describe('adaptive reference trajectories (Optax)', () => {
  it('covers every adaptive kind', () => {
    expect(new Set(cases.map((c) => c.kind))).toEqual(new Set(['adam', 'rmsprop', 'polyak', 'prodigy']));
    expect(cases.every((c) => c.mode === 'open')).toBe(true);
  });

  it.each(cases.map((c) => [label(c), c] as const))('%s', (_, c) => {
    const { prefix, variables, optimizer } = openCaseStart(c, 'adaptive', owned);
    const errors = new TrajectoryErrors(c.initial);
    for (let t = 0; t < c.steps; t++) {
      const gradients = namedGradients(prefix, c.gradients[t]);
      optimizer.applyGradients(gradients, c.values === undefined ? {} : { loss: c.values[t] });
      tf.dispose(gradients);
      errors.add(variables, c.trajectory[t]);
    }
    expect(errors.worst).toBeLessThan(1e-5);
    // Prodigy from d0 = 1e-6 moves the weights only about 1e-5 in 20 steps, so the tolerance
    // alone would nearly pass an optimizer that does nothing: the error must also stay
    // below a tenth of the reference's largest displacement from the start.
    expect(errors.worstAbsolute).toBeLessThan(0.1 * errors.motion);
    optimizer.dispose();
  });
});
