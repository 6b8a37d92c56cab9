/**
 * Reproduces every case of test/fixtures/optimizer-trajectories.json (computed with PyTorch's
 * torch.optim.SGD and float64 closed forms; the file's `generator` field names them):
 * open-loop trajectories within 1e-5 absolute, closed-loop losses and final weights within
 * 1e-4 relative. Each case builds its optimizer through the public entry point,
 * createOptimizer({ kind, ...hyperparameters }).
 */
import { describe, expect, it } from 'vitest';
import { tf } from '../../src/backend.js';
import { createOptimizer, type OptimizerSpec } from '../../src/optimizers/index.js';
import {
  loadFixture,
  makeVariables,
  maxAbsDiff,
  maxRelDiff,
  namedGradients,
  testStepper,
  trainClosedCase,
  uniquePrefix,
  caseLabel as label,
  disposedAfterEach,
  type ClosedCase,
  type OpenCase,
} from './helpers.js';

const fixture = loadFixture();
const openCases = fixture.cases.filter((c): c is OpenCase => c.mode === 'open');
const closedCases = fixture.cases.filter((c): c is ClosedCase => c.mode === 'closed');
const owned = disposedAfterEach();

describe('reference trajectories', () => {
  it('has the cases this suite expects', () => {
    expect(openCases.length).toBeGreaterThanOrEqual(6);
    expect(closedCases.length).toBeGreaterThanOrEqual(2);
  });

  it.each(openCases.map((c) => [label(c), c] as const))('open loop: %s', (_, c) => {
    const prefix = uniquePrefix('open');
    const variables = makeVariables(prefix, c.initial);
    const optimizer = createOptimizer({ kind: c.kind, ...c.hyperparameters } as OptimizerSpec);
    owned.push(Object.values(variables));
    const names = Object.keys(c.initial).map((name) => `${prefix}/${name}`);
    // The gradients are the step's inputs, so a compiled step takes each step's own.
    const stepper = testStepper(optimizer, (inputs) => {
      optimizer.applyGradients(Object.fromEntries(names.map((name, i) => [name, inputs[i]])));
      return [];
    });
    let worst = 0;
    for (let t = 0; t < c.steps; t++) {
      const gradients = namedGradients(prefix, c.gradients[t]);
      stepper.run(names.map((name) => gradients[name]));
      tf.dispose(gradients);
      for (const name of Object.keys(c.initial))
        worst = Math.max(worst, maxAbsDiff(variables[name], c.trajectory[t][name]));
    }
    expect(worst).toBeLessThan(1e-5);
    expect(optimizer.iterations).toBe(c.steps);
    stepper.dispose();
    optimizer.dispose();
  });

  it.each(closedCases.map((c) => [label(c), c] as const))('closed loop (two-layer net): %s', (_, c) => {
    const { losses, weights: w } = trainClosedCase(c, uniquePrefix('closed'));
    owned.push(Object.values(w));
    expect(maxRelDiff(losses, c.losses)).toBeLessThan(1e-4);
    for (const name of Object.keys(c.final)) expect(maxRelDiff(w[name], c.final[name]), name).toBeLessThan(1e-4);
    // The loss must actually have moved, or the comparison says nothing.
    expect(c.losses[c.losses.length - 1]).toBeLessThan(c.losses[0] * 0.95);
  });
});
