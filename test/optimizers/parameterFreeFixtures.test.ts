/**
 * Reproduces the cases of ../fixtures/parameter-free-trajectories.json (Optax in float32; the
 * file's `generator` field names the version) whose kind is in KINDS: open-loop trajectories
 * within 1e-5 relative to max(1, |x|) after every step (and within a tenth of how far the
 * weights moved), closed-loop losses and final weights within 1e-4 relative as far as float32
 * determines them (see determinedSteps). Each case builds
 * its optimizer from the file alone, createOptimizer({ kind, ...hyperparameters }) from the
 * package entry, and takes its steps as the training loop does: compiled unless
 * INERTIA_COMPILE=off (see testStepper), with the gradients (and the loss value, for cases
 * that have `values`) as the step's inputs.
 */
import { describe, expect, it } from 'vitest';
import { tf } from '../../src/backend.js';
import {
  caseLabel as label,
  disposedAfterEach,
  itCoversEveryKind,
  maxRelDiff,
  openCaseStart,
  parameterFreeCases,
  PARAMETER_FREE_KINDS,
  stepOpenCase,
  trainClosedCase,
  uniquePrefix,
  type ClosedCase,
  type Nested,
} from './helpers.js';

/** The kinds whose cases this file runs. */
const KINDS = PARAMETER_FREE_KINDS;

const { open: openCases, closed: closedCases } = parameterFreeCases(KINDS);
const owned = disposedAfterEach();

/** `initial` with its entries moved by -1, 0 or +1 float32 ulp (a fixed pattern). */
function nudged(initial: Record<string, Nested>): Record<string, Nested> {
  let k = 0;
  const nudge = (value: Nested): Nested =>
    Array.isArray(value) ? value.map(nudge) : Math.fround(value * (1 + (((k++ * 7) % 3) - 1) * 2 ** -23));
  return Object.fromEntries(Object.entries(initial).map(([name, value]) => [name, nudge(value)]));
}

/**
 * How many steps of a closed-loop case float32 determines: the first step at which a run from
 * initial weights moved by one ulp differs from `losses` (the run from the case's own weights)
 * by more than 1e-5 relative, or all steps. Past it, rounding differences in the gradients
 * (TensorFlow's kernels are not XLA's) grow beyond the tolerance whatever the optimizer does:
 * COCOB's per-weight bets switch branches (max(R - g (x - x0), 0), max(G + L, alpha L)) on
 * differences of an ulp. Within it, a wrong order of operations shows.
 */
function determinedSteps(c: ClosedCase, losses: readonly number[]): number {
  const moved = trainClosedCase({ ...c, initial: nudged(c.initial) }, uniquePrefix('freeNudged'));
  tf.dispose(Object.values(moved.weights));
  const first = moved.losses.findIndex((loss, t) => Math.abs(loss - losses[t]) > 1e-5 * Math.abs(losses[t]));
  return first < 0 ? c.steps : first;
}

describe('parameter-free reference trajectories (Optax)', () => {
  itCoversEveryKind(openCases, closedCases, KINDS);

  it.each(openCases.map((c) => [label(c), c] as const))('open loop: %s', (_, c) => {
    const { prefix, variables, optimizer } = openCaseStart(c, 'free', owned);
    const trajectory = stepOpenCase(optimizer, prefix, variables, c);
    // Small steps (DoG starts at a distance of 1e-6 * (1 + |x0|)) would nearly pass an optimizer
    // that does nothing: the error must also stay below a tenth of the reference's displacement.
    expect(trajectory.worst).toBeLessThan(1e-5);
    expect(trajectory.worstAbsolute).toBeLessThan(0.1 * trajectory.motion);
    expect(optimizer.iterations).toBe(c.steps);
    optimizer.dispose();
  });

  it.each(closedCases.map((c) => [label(c), c] as const))('closed loop (two-layer net): %s', (_, c) => {
    const { losses, weights } = trainClosedCase(c, uniquePrefix('freeClosed'));
    owned.push(Object.values(weights));
    const determined = determinedSteps(c, losses);
    expect(determined).toBeGreaterThanOrEqual(c.steps / 2);
    expect(maxRelDiff(losses.slice(0, determined), c.losses.slice(0, determined))).toBeLessThan(1e-4);
    if (determined === c.steps) {
      for (const name of Object.keys(c.final))
        expect(maxRelDiff(weights[name], c.final[name]), name).toBeLessThan(1e-4);
    }
    // The loss must actually have moved, or the comparison says nothing.
    expect(c.losses[c.losses.length - 1]).toBeLessThan(c.losses[0] * 0.99);
  });
});
