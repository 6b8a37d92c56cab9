/**
 * Experiments 1, 2, 5 and 6: their numbers and verdicts on synthetic outcomes, each verdict
 * once where it must hold and once where it must come out "not supported".
 */
import { describe, expect, it } from 'vitest';
import type { PlanInputs } from '../../src/study/experiment.js';
import { momentumAlone, type Role } from '../../src/study/experiments/e1MomentumAlone.js';
import { noLearningRate } from '../../src/study/experiments/e2NoLearningRate.js';
import { nextFloat32, parity, type Numbers as ParityNumbers } from '../../src/study/experiments/e5Parity.js';
import { schedule } from '../../src/study/experiments/e6Schedule.js';
import { quadratic, type Numbers as QuadraticNumbers } from '../../src/study/experiments/e4Quadratic.js';
import { PRESETS } from '../../src/study/presets.js';
import type { Verdict } from '../../src/study/verdict.js';
import { syntheticOutcome, type SyntheticRun } from './syntheticOutcomes.js';

const preset = PRESETS.default;
const inputs: PlanInputs = { trainCount: 7000, tuned: { learningRate: () => 0.1, noiseFloor: 0.01 } };
const analysis = { preset, plan: inputs };
const outcomesOf = (verdicts: Verdict[]) => Object.fromEntries(verdicts.map((v) => [v.id, v.outcome]));

describe('experiment 1 analysis', () => {
  const roleOf = (kind: string, k?: number): Role =>
    kind === 'pure-momentum' ? (k === 1 ? 'pure-k1' : 'pure-k10') : (kind as Role);
  function synthetic(accuracy: Record<Role, number>, lossChange: Record<Role, number>) {
    return momentumAlone.plan(preset, inputs).map((run, i) => {
      const spec = run.config.optimizer as { kind: string; gradientSteps?: number; learningRate: number };
      const role = roleOf(spec.kind, spec.gradientSteps);
      const jitter = 0.005 * (i % 3);
      // k = 1: one gradient step of size alpha |g0|, then mu^t: closed form alpha |g0| (1 - mu^T) / (1 - mu).
      const steps = 30;
      const closed = (spec.learningRate * 2 * (1 - 0.9 ** steps)) / 0.1;
      return syntheticOutcome(run, {
        stepsPerEpoch: 10,
        heldOutLoss: [2.3, 1, 0.8, 0.7],
        heldOutAccuracy: [0.1, 0.5, 0.7, accuracy[role] + jitter],
        trainLoss: [2.3, 1, 0.8, 0.8 * (1 + lossChange[role])],
        displacement: role === 'pure-k1' ? [0, closed, closed, closed] : [0, 1, 2, 2 * (1 - lossChange[role])],
        perStep: { grad_norm: [2, ...Array.from({ length: steps - 1 }, () => 1)] },
      });
    });
  }
  const learners = { sgd: 0.94, 'heavy-ball': 0.95, 'pure-k1': 0.1, 'pure-k10': 0.3 };
  const stops = { sgd: -0.05, 'heavy-ball': -0.04, 'pure-k1': 0, 'pure-k10': 1e-5 };

  it('supports the stall, the stop and the closed form, with controls that fail', () => {
    const n = momentumAlone.analyse(synthetic(learners, stops), analysis);
    expect(n.runs).toHaveLength(4 * preset.seeds);
    const pure = n.runs.filter((r) => r.role === 'pure-k1');
    expect(pure[0].lastEpochLossChange).toBeCloseTo(0, 12);
    expect(n.runs.find((r) => r.role === 'sgd')!.lastEpochLossChange).toBeCloseTo(-0.05, 10);
    expect(outcomesOf(momentumAlone.verdicts(n))).toEqual({
      'e1.momentum-alone-stalls': 'supported',
      'e1.momentum-alone-stalls:control': 'not supported',
      'e1.weights-stop': 'supported',
      'e1.weights-stop:control': 'not supported',
      'e1.closed-form-displacement': 'supported',
    });
  });

  it('comes out not supported when pure momentum learns and keeps moving', () => {
    const n = momentumAlone.analyse(
      synthetic({ ...learners, 'pure-k1': 0.88, 'pure-k10': 0.89 }, { ...stops, 'pure-k1': -0.03, 'pure-k10': -0.03 }),
      analysis,
    );
    const verdicts = outcomesOf(momentumAlone.verdicts(n));
    expect(verdicts['e1.momentum-alone-stalls']).toBe('not supported');
    expect(verdicts['e1.weights-stop']).toBe('not supported');
    expect(verdicts['e1.closed-form-displacement']).toBe('supported');
  });

  it('a rising loss is reported with its sign', () => {
    const n = momentumAlone.analyse(synthetic(learners, { ...stops, sgd: 0.0511 }), analysis);
    const control = momentumAlone.verdicts(n).find((v) => v.id === 'e1.weights-stop:control')!;
    expect(control.measured).toContain('+5.110%');
  });
});

// Each experiment's cases list its verdicts in full, every claim beside its control.
describe('experiment 2 analysis', () => {
  interface Case {
    noLrAccuracy: (s: number) => number;
    noLrDiverges: (s: number) => number | undefined;
    emaAccuracy: (s: number) => number;
  }
  function synthetic(c: Case) {
    return noLearningRate.plan(preset, inputs).map((run, i) => {
      const s = run.config.lossScale;
      const noLr = run.config.optimizer.kind === 'no-lr-momentum';
      const diverged = noLr ? c.noLrDiverges(s) : undefined;
      const steps = diverged === undefined ? 60 : diverged - 1;
      const accuracy = noLr ? c.noLrAccuracy(s) : c.emaAccuracy(s);
      const jitter = 0.002 * (i % 3);
      const data: SyntheticRun = {
        stepsPerEpoch: 20,
        heldOutLoss: [2.3, 1, 0.8, 1 - accuracy],
        heldOutAccuracy: [0.1, 0.5, 0.7, accuracy + jitter],
        divergedAtStep: diverged,
        // |g| follows s; the no-lr velocity is a third of it; the EMA step with alpha / s does not follow s.
        perStep: {
          grad_norm: Array.from({ length: steps }, () => 3 * s),
          velocity_norm: Array.from({ length: steps }, () => s),
          update_norm: Array.from({ length: steps }, () => (noLr ? s : 0.01)),
        },
      };
      return syntheticOutcome(run, data);
    });
  }

  it('supports the dependence, the same curve and the velocity, with controls that fail', () => {
    const n = noLearningRate.analyse(
      synthetic({
        noLrAccuracy: (s) => (s < 1 ? 0.5 : 0.9),
        noLrDiverges: (s) => (s > 1 ? 2 : undefined),
        emaAccuracy: () => 0.9,
      }),
      analysis,
    );
    expect(n.runs.filter((r) => r.diverged)).toHaveLength(preset.seeds);
    // A run that diverged at step 2 has one measured step: too few for a median of the dynamics.
    expect(n.runs.find((r) => r.diverged)!.norms.steps).toBe(1);
    expect(outcomesOf(noLearningRate.verdicts(n))).toEqual({
      'e2.scale-dependence': 'supported',
      'e2.scale-dependence:control': 'not supported',
      'e2.same-curve': 'supported',
      'e2.same-curve:control': 'not supported',
      'e2.velocity-follows-gradient': 'supported',
      'e2.velocity-follows-gradient:control': 'not supported',
    });
  });

  it('draws one legend entry per scale in numeric order, and names a divergence in the caption', () => {
    const n = noLearningRate.analyse(
      synthetic({
        noLrAccuracy: () => 0.9,
        noLrDiverges: (s) => (s > 1 ? 5 : undefined),
        emaAccuracy: () => 0.9,
      }),
      analysis,
    );
    const norms = noLearningRate.figures(n).find((f) => f.name.endsWith('-norms'))!;
    const spec = norms.spec as { encoding: { color: { sort: string[] } }; data: { values: { scale: string }[] } };
    const labels = [...new Set(spec.data.values.map((v) => v.scale))];
    const order = spec.encoding.color.sort;
    expect([...labels].sort()).toEqual([...order].sort());
    expect(order.map((label) => Number(label.replace('s = 2^', '')))).toEqual(
      [...preset.lossScales].sort((a, b) => a - b).map(Math.log2),
    );
    expect(norms.caption).toMatch(/no-lr-momentum \(alpha = 1\) at s = 2\^7, step 5/);
  });

  it('comes out not supported when no scale matters and the EMA curves differ', () => {
    const n = noLearningRate.analyse(
      synthetic({
        noLrAccuracy: () => 0.9,
        noLrDiverges: () => undefined,
        emaAccuracy: (s) => 0.9 - (0.05 * Math.log2(s)) / 7,
      }),
      analysis,
    );
    const verdicts = outcomesOf(noLearningRate.verdicts(n));
    expect(verdicts['e2.scale-dependence']).toBe('not supported');
    expect(verdicts['e2.same-curve']).toBe('not supported');
  });
});

describe('experiment 6 analysis', () => {
  function synthetic(insideAfter: number, insideLater: number) {
    const boundary = Math.ceil(7000 / preset.batchSize);
    return schedule.plan(preset, inputs).map((run) => {
      const inside = run.config.optimizer.kind === 'keras-momentum';
      const norms = Array.from({ length: boundary + 60 }, (_, i) => {
        const step = i + 1;
        if (step <= boundary) return 1;
        if (!inside) return 0.5;
        return step <= boundary + 10 ? insideAfter : insideLater;
      });
      return syntheticOutcome(run, { heldOutAccuracy: [0.1, 0.9], perStep: { update_norm: norms } });
    });
  }
  it('supports the two conventions when the data show them, and not otherwise', () => {
    const gradual = outcomesOf(schedule.verdicts(schedule.analyse(synthetic(0.9, 0.5), analysis)));
    expect(gradual).toEqual({ 'e6.outside-halves': 'supported', 'e6.inside-gradual': 'supported' });
    const same = outcomesOf(schedule.verdicts(schedule.analyse(synthetic(0.5, 0.5), analysis)));
    expect(same['e6.inside-gradual']).toBe('not supported');
  });
});

describe('experiments 4 and 5: verdicts on their numbers', () => {
  it('parity fails beyond its own ulp-twin noise floor and a slow custom step fails the cost criterion', () => {
    const pair = (lossDifference: number, ratio: number, noiseFloor = 0.01) => ({
      name: 'sgd',
      lossDifference,
      noiseFloor,
      customAccuracy: 0.9,
      builtinAccuracy: 0.9,
      customSecondsPerStep: 1,
      builtinSecondsPerStep: 1,
      step: {
        custom: ratio,
        builtin: 1,
        ratio: { estimate: ratio, low: ratio - 0.01, high: ratio + 0.01, n: 60, method: 'bootstrap' as const },
      },
      curves: { custom: [], builtin: [] },
    });
    const good: ParityNumbers = { stepSamples: 60, gridNoiseFloor: 0.5, pairs: [pair(0, 1)] };
    const bad: ParityNumbers = { stepSamples: 60, gridNoiseFloor: 0.5, pairs: [pair(0.05, 1.2)] };
    expect(outcomesOf(parity.verdicts(good))).toEqual({ 'e5.parity': 'supported', 'e5.step-cost': 'supported' });
    // A loose floor from another experiment (0.5) no longer hides a difference beyond the pair's own (0.01).
    expect(outcomesOf(parity.verdicts(bad))).toEqual({ 'e5.parity': 'not supported', 'e5.step-cost': 'not supported' });
    expect(nextFloat32(0.5)).toBe(0.5 + 2 ** -24);
  });

  it('the quadratic checks fail on numbers off the closed form', () => {
    const trajectory = { steps: [1], displacement: [1], stepNorm: [1], norm: [1], loss: [1] };
    const pure = (momentum: number, firstStep: number, relativeError: number) => ({
      momentum,
      learningRate: 0.001,
      trajectory,
      firstStep,
      predicted: 1,
      measured: 1 + relativeError,
      relativeError,
      lastStepRatio: 1 + relativeError,
      finalLoss: 1,
    });
    const numbers = (error: number): QuadraticNumbers => ({
      steps: 100,
      T: 100,
      pure: [pure(0.9, 0.5, error), pure(1, 0.5, error), pure(1, 2, error)],
      stability: [{ momentum: 0.9, measured: 0.038 * (1 + error), theory: 0.038, ratio: 1 + error }],
    });
    const verdicts = (error: number) => Object.values(outcomesOf(quadratic.verdicts(numbers(error))));
    expect(verdicts(1e-6)).toEqual(['supported', 'supported', 'supported']);
    expect(verdicts(0.05)).toEqual(['not supported', 'not supported', 'not supported']);
  });
});
