import { describe, expect, it } from 'vitest';
import { CRITERIA, criteriaHash } from '../../src/study/criteria.js';
import { planningInputs } from '../../src/study/experiment.js';
import { ATLAS_EXPERIMENTS, EXPERIMENTS } from '../../src/study/experiments/index.js';
import { PRESETS } from '../../src/study/presets.js';
import { plannedRuns } from '../../src/study/study.js';

describe('the experiment registry', () => {
  it('has unique ids, and the planned run count is the sum of the plans', () => {
    const ids = EXPERIMENTS.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const preset of Object.values(PRESETS)) {
      const inputs = planningInputs(preset, 8000);
      const sum = EXPERIMENTS.reduce((total, e) => total + e.plan(preset, inputs).length, 0);
      expect(plannedRuns(preset, EXPERIMENTS, 8000)).toBe(sum);
    }
  });
  it('gives every run of a preset a unique id across experiments', () => {
    const inputs = planningInputs(PRESETS.default, 8000);
    const runIds = EXPERIMENTS.flatMap((e) => e.plan(PRESETS.default, inputs).map((r) => r.id));
    expect(new Set(runIds).size).toBe(runIds.length);
  });
});

describe('criteria', () => {
  it('have unique ids, each with its experiment registered, a reason and numeric bounds', () => {
    const ids = CRITERIA.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    const experiments = new Set([...EXPERIMENTS, ...ATLAS_EXPERIMENTS].map((e) => e.id));
    for (const c of CRITERIA) {
      expect(experiments.has(c.experiment), c.id).toBe(true);
      expect(c.why.length).toBeGreaterThan(20);
      for (const value of Object.values(c.bounds)) expect(Number.isFinite(value)).toBe(true);
    }
  });
  it('give every finding the outcome that could have contradicted it, and keep identities among the checks', () => {
    for (const c of CRITERIA) {
      if (c.kind === 'finding') expect(c.couldFail.length, c.id).toBeGreaterThan(40);
    }
    // Outcomes fixed by the update rule or by construction, and restatements of e3.heavy-ball-slope.
    const identities = [
      'e1.weights-stop',
      'e2.scale-dependence',
      'e2.velocity-follows-gradient',
      'e6.outside-halves',
      'eA.heavy-ball-partial',
      'eB.scale-dependence-adam',
      'eB.scale-dependence-rmsprop',
      'eC.lr-free-invariant',
      'eD.product-constant',
      'eF.zero-delta',
      'eF.rate-momentum-independent',
    ];
    for (const id of identities) expect(CRITERIA.find((c) => c.id === id)?.kind, id).toBe('check');
    // A report leads with its findings, ten or so: the study's and the atlas's (its own preset) each.
    const atlasIds = new Set(ATLAS_EXPERIMENTS.map((e) => e.id));
    const findings = CRITERIA.filter((c) => c.kind === 'finding');
    expect(findings.filter((c) => !atlasIds.has(c.experiment)).length).toBeLessThanOrEqual(12);
    expect(findings.filter((c) => atlasIds.has(c.experiment)).length).toBeLessThanOrEqual(10);
  });
  it('hash changes when any bound changes', () => {
    const changed = CRITERIA.map((c, i) => (i === 0 ? { ...c, bounds: { ...c.bounds, extra: 1 } } : c));
    expect(criteriaHash(changed)).not.toBe(criteriaHash());
    expect(criteriaHash()).toMatch(/^[0-9a-f]{64}$/);
  });
});
