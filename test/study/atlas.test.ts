/**
 * The atlas (experiments G0 and G) on synthetic outcomes: its measures (time to target, the
 * performance profiles), its decision rules (close/far per setting, shares, ties and chance),
 * and each verdict driven to "supported" and to "not supported" with accuracies made up per
 * setting and method.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  accuracyProfile,
  closeness,
  medianTime,
  performanceProfile,
  shareOutcome,
  timeToTarget,
} from '../../src/study/atlasAnalysis.js';
import { ATLAS } from '../../src/study/atlasPreset.js';
import { ATLAS_METHODS } from '../../src/study/atlasMethods.js';
import { atlasEvalEvery, atlasSettingsOf, settingOfRunId } from '../../src/study/atlasRuns.js';
import { UNTUNED, type AnalysisInputs } from '../../src/study/experiment.js';
import { atlas, plan as planG, profiles, sameOutcome } from '../../src/study/experiments/eGAtlas.js';
import { atlasTuning, plan as planG0, spanRange } from '../../src/study/experiments/eG0AtlasTuning.js';
import { experimentsFor } from '../../src/study/experiments/index.js';
import { PRESETS } from '../../src/study/presets.js';
import { plannedRuns } from '../../src/study/study.js';
import type { RunOutcome, StudyRun } from '../../src/exec/runBatch.js';
import type { Interval } from '../../src/util/intervals.js';
import { syntheticOutcome } from './syntheticOutcomes.js';

const interval = (low: number, high: number): Interval => ({
  estimate: (low + high) / 2,
  low,
  high,
  n: 5,
  method: 't',
});

describe('atlas measures', () => {
  it('time to target is the first evaluated step at or above the target, or never', () => {
    const series = [
      { step: 0, value: 0.1 },
      { step: 20, value: 0.7 },
      { step: 10, value: 0.5 },
      { step: 30, value: 0.69 },
    ];
    expect(timeToTarget(series, 0.5)).toBe(10);
    expect(timeToTarget(series, 0.7)).toBe(20);
    expect(timeToTarget(series, 0.71)).toBeNull();
    // A run that never reaches it is infinitely slow: the median of 5 seeds is never when 3 never reach it.
    expect(medianTime([10, 20, null, null, 30])).toBe(30);
    expect(medianTime([10, null, null, null, 30])).toBe(Infinity);
    expect(medianTime([10, 20])).toBe(15);
  });

  it('the time profile counts settings within a factor tau of the fastest; a setting nobody solves counts for none', () => {
    // Setting 0: a 100, b 200. Setting 1: a never, b 50. Setting 2: nobody.
    const p = performanceProfile({ a: [100, Infinity, Infinity], b: [200, 50, Infinity] }, [1, 2, 4]);
    expect(p.a).toEqual([1 / 3, 1 / 3, 1 / 3]);
    expect(p.b).toEqual([1 / 3, 2 / 3, 2 / 3]);
  });

  it('the accuracy profile counts settings within d of the best mean accuracy', () => {
    const p = accuracyProfile({ a: [0.9, 0.8], b: [0.88, 0.85] }, [0, 0.02, 0.05]);
    expect(p.a).toEqual([0.5, 0.5, 1]);
    expect(p.b).toEqual([0.5, 1, 1]);
  });
});

describe('atlas decision rules', () => {
  const learned = { reference: 0.85, method: 0.84 };
  it('a setting is close only when the whole interval is within the margin, far when wholly beyond', () => {
    expect(closeness(interval(-0.01, 0.015), learned, 0.02, 0.05)).toBe('close');
    expect(closeness(interval(0.025, 0.04), learned, 0.02, 0.05)).toBe('far');
    expect(closeness(interval(0.01, 0.03), learned, 0.02, 0.05)).toBe('undecided');
  });

  it('at chance is a failure; both at chance is a tie that decides nothing', () => {
    // A method at chance is far even if the interval looks close (e.g. one seed recovered).
    expect(closeness(interval(-0.01, 0.01), { reference: 0.85, method: 0.12 }, 0.02, 0.05)).toBe('far');
    expect(closeness(interval(-0.01, 0.01), { reference: 0.11, method: 0.1 }, 0.02, 0.05)).toBe('undecided');
    expect(sameOutcome(interval(-0.01, 0.01), { reference: 0.11, method: 0.1 }, 0.02, 0.05)).toBe('undecided');
    expect(sameOutcome(interval(-0.01, 0.01), { reference: 0.85, method: 0.1 }, 0.02, 0.05)).toBe('far');
    expect(sameOutcome(interval(-0.03, -0.025), learned, 0.02, 0.05)).toBe('far');
    expect(sameOutcome(interval(-0.015, 0.01), learned, 0.02, 0.05)).toBe('close');
  });

  it('a share is supported when reached, refuted when out of reach, inconclusive in between', () => {
    // 20 settings, two thirds: 14 needed.
    expect(shareOutcome(14, 0, 20, 2 / 3)).toBe('supported');
    expect(shareOutcome(13, 6, 20, 2 / 3)).toBe('inconclusive');
    expect(shareOutcome(10, 7, 20, 2 / 3)).toBe('not supported');
    expect(shareOutcome(0, 0, 0, 2 / 3)).toBe('inconclusive');
  });

  it('reads the setting of a run id by the longest name, so sum-batch32 is not sum and standardized-he not standardized', () => {
    const names = ATLAS.atlas!.settings;
    expect(settingOfRunId('g-sum-batch32-adam-lr0.001-seed101', 'g', names)).toBe('sum-batch32');
    expect(settingOfRunId('g-sum-adam-lr0.001-seed101', 'g', names)).toBe('sum');
    expect(settingOfRunId('g0-standardized-heavy-ball-lr0.01-seed1', 'g0', names)).toBe('standardized');
    expect(settingOfRunId('g0-standardized-he-heavy-ball-lr0.01-seed1', 'g0', names)).toBe('standardized-he');
    expect(settingOfRunId('g-cnn-bn-dog-seed101', 'g', names)).toBe('cnn-bn');
    expect(settingOfRunId('g-cnn-dog-seed101', 'g', names)).toBe('cnn');
  });

  it('the span of best alphas counts each tied range: smallest and largest over every choice', () => {
    expect(spanRange([[0.316], [0.01]])).toEqual({ smallest: 31.6, largest: 31.6 });
    const tied = spanRange([
      [0.1, 0.316],
      [0.01, 0.0316],
    ]);
    expect(tied.smallest).toBeCloseTo(0.1 / 0.0316, 6);
    expect(tied.largest).toBeCloseTo(31.6, 6);
    expect(spanRange([[0.1, 1], [0.316]]).smallest).toBe(1);
  });
});

// Synthetic atlas: the default preset's slice widened to three settings (npm start runs one),
// so the rules that compare settings have some to compare.
vi.mock('../../src/study/atlasPreset.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/study/atlasPreset.js')>();
  const slice = { ...original.ATLAS.default!, settings: ['default', 'sum', 'raw'] };
  return { ...original, ATLAS: { ...original.ATLAS, default: slice } };
});
const preset = PRESETS.default;
const trainCount = 8000;
const chosen: Record<string, number> = { 'ema-momentum': 1, 'heavy-ball': 0.1, adam: 1e-3, sgd: 0.316 };

/** A run whose held-out accuracy rises linearly from chance to `accuracy` over 6 evaluations, `evalEvery` steps apart. */
function outcome(run: StudyRun, accuracy: number): RunOutcome {
  return syntheticOutcome(run, {
    heldOutLoss: Array.from({ length: 7 }, (_, i) => 2.3 - (2 * i) / 6),
    heldOutAccuracy: Array.from({ length: 7 }, (_, i) => 0.1 + ((accuracy - 0.1) * i) / 6),
    stepsPerEpoch: run.config.evalEvery ?? 10,
  });
}

const wobble = (run: StudyRun) => 0.002 * (run.config.seed % 3);
const settingOf = (run: StudyRun) => run.id.split('-')[1];
function inputs(): AnalysisInputs {
  return {
    preset,
    plan: { trainCount, tuned: { ...UNTUNED, settingRate: (_setting, kind) => chosen[kind] } },
    dataset: undefined as never,
  };
}

function atlasVerdicts(accuracy: (setting: string, method: string) => number) {
  const runs = planG(preset, inputs().plan);
  const name = (run: StudyRun) =>
    ATLAS_METHODS.map((m) => m.name)
      .filter(
        (m) => run.id.startsWith(`g-${settingOf(run)}-${m}-seed`) || run.id.startsWith(`g-${settingOf(run)}-${m}-lr`),
      )
      .sort((a, b) => b.length - a.length)[0];
  const numbers = atlas.analyse(
    runs.map((r) => outcome(r, accuracy(settingOf(r), name(r)) + wobble(r))),
    inputs(),
  ) as Parameters<typeof atlas.verdicts>[0];
  return { numbers, verdicts: Object.fromEntries(atlas.verdicts(numbers).map((v) => [v.id, v])) };
}

describe('experiment G (synthetic)', () => {
  it('plans every method in every setting on fresh seeds, the tuned ones at their chosen rate, evaluated often', () => {
    const runs = planG(preset, inputs().plan);
    expect(runs).toHaveLength(ATLAS.default!.settings.length * ATLAS_METHODS.length * preset.seeds);
    expect(runs.every((r) => r.config.seed > 100 && r.config.validation?.evaluate === 'test')).toBe(true);
    const ema = runs.find((r) => r.id.startsWith('g-default-ema-momentum'))!;
    expect(ema.config.optimizer).toEqual({ kind: 'ema-momentum', learningRate: 1, momentum: 0.9 });
    for (const setting of atlasSettingsOf(preset))
      expect(runs.find((r) => r.id.startsWith(`g-${setting.name}-`))!.config.evalEvery).toBe(
        atlasEvalEvery(preset, trainCount, setting),
      );
    // Run counts do not depend on the choice, so the planned total is known before any run.
    expect(plannedRuns(preset, experimentsFor(preset), trainCount)).toBe(
      plannedRuns(preset, experimentsFor(preset).slice(0, -2), trainCount) +
        planG0(preset, trainCount).length +
        runs.length,
    );
    expect(experimentsFor(PRESETS.atlas).map((e) => e.id)).toEqual([atlasTuning.id, atlas.id]);
    expect(experimentsFor(PRESETS.full).map((e) => e.id)).not.toContain(atlas.id);
  });

  it('the proposal near tuned ema-momentum everywhere: supported; far in most settings: not supported', () => {
    const near = atlasVerdicts((_s, m) => (m === 'no-lr-momentum' ? 0.845 : 0.85));
    expect(near.verdicts['eG.proposal-near-tuned'].outcome).toBe('supported');
    expect(near.verdicts['eG.proposal-breaks'].outcome).toBe('not supported');
    expect(near.verdicts['eG.proposal-reaches-target'].outcome).toBe('supported');
    const far = atlasVerdicts((s, m) => (m === 'no-lr-momentum' ? (s === 'default' ? 0.85 : 0.1) : 0.85));
    expect(far.verdicts['eG.proposal-near-tuned'].outcome).toBe('not supported');
    expect(far.verdicts['eG.proposal-breaks'].outcome).toBe('supported');
    expect(far.verdicts['eG.proposal-breaks'].measured).toMatch(/sum/);
    expect(far.verdicts['eG.proposal-reaches-target'].outcome).toBe('not supported');
  });

  it('a tie at chance decides nothing: every method at chance everywhere is inconclusive, never a winner', () => {
    const nothing = atlasVerdicts(() => 0.1);
    for (const id of ['eG.proposal-near-tuned', 'eG.parameter-free-near-heavy-ball', 'eG.bias-correction-same'])
      expect(nothing.verdicts[id].outcome).toBe('inconclusive');
  });

  it('names the parameter-free methods within 2 points of heavy-ball, and judges adadelta and bias correction', () => {
    const parameterFree = (m: string) => ATLAS_METHODS.find((x) => x.name === m)!.parameterFree;
    const accuracy = (_s: string, m: string) =>
      m === 'prodigy'
        ? 0.845
        : m === 'adadelta'
          ? 0.6
          : parameterFree(m) || m === 'ema-debiased' || m === 'adam-1e-3'
            ? 0.7
            : 0.85;
    const { verdicts } = atlasVerdicts(accuracy);
    expect(verdicts['eG.parameter-free-near-heavy-ball'].outcome).toBe('supported');
    expect(verdicts['eG.parameter-free-near-heavy-ball'].measured).toMatch(/qualify: prodigy;/);
    expect(verdicts['eG.adadelta-lags'].outcome).toBe('supported');
    expect(verdicts['eG.bias-correction-same'].outcome).toBe('not supported');
    expect(verdicts['eG.adam-default-near-tuned'].outcome).toBe('not supported');
    const none = atlasVerdicts((_s, m) => (parameterFree(m) ? 0.7 : 0.85));
    expect(none.verdicts['eG.parameter-free-near-heavy-ball'].outcome).toBe('not supported');
    expect(none.verdicts['eG.adadelta-lags'].outcome).toBe('supported');
    expect(none.verdicts['eG.bias-correction-same'].outcome).toBe('supported');
  });

  it('a report of finished runs only leaves out a setting with unfinished runs, and says so in every verdict', () => {
    const runs = planG(preset, inputs().plan).filter((r) => !(settingOf(r) === 'raw' && r.config.seed === 103));
    const numbers = atlas.analyse(
      runs.map((r) => outcome(r, 0.85 + wobble(r))),
      inputs(),
    ) as Parameters<typeof atlas.verdicts>[0];
    expect(numbers.unfinished).toEqual(['raw']);
    expect(numbers.settings.map((s) => s.name)).toEqual(['default', 'sum']);
    for (const v of atlas.verdicts(numbers))
      expect(v.measured).toMatch(/^PARTIAL: judged on the 2 of 3 settings whose runs had finished \(left out: raw\)/);
    expect(atlas.section(numbers).text[0]).toMatch(/^\*\*Partial\.\*\*/);
  });

  it('profiles: the fastest method is at 1 from tau = 1, one that never reaches the target stays at 0', () => {
    // adadelta ends below the target everywhere; the rest rise alike, so they tie at tau = 1.
    const { numbers } = atlasVerdicts((_s, m) => (m === 'adadelta' ? 0.5 : 0.85));
    const p = profiles(numbers);
    expect(p.time['heavy-ball'][0]).toBe(1);
    expect(p.time.adadelta.every((f) => f === 0)).toBe(true);
    expect(p.accuracy.adadelta.at(-1)).toBe(0);
    expect(atlas.figures(numbers).map((f) => f.name)).toEqual([
      'experiment-g-atlas-time-profile',
      'experiment-g-atlas-accuracy-profile',
      'experiment-g-atlas-proposal-gap',
    ]);
  });
});

describe('experiment G0 (synthetic)', () => {
  // The atlas preset's grid: seven half-decades per kind (ema-momentum 0.00316 ... 3.16).
  const full = PRESETS.atlas;
  const runs = planG0(full, 2500);
  const rate = (run: StudyRun) => (run.config.optimizer as { learningRate: number }).learningRate;
  const settingName = (run: StudyRun) => atlasSettingsOf(full).find((s) => run.id.startsWith(`g0-${s.name}-`))!.name;
  const verdictOf = (best: (run: StudyRun) => boolean) => {
    const numbers = atlasTuning.analyse(
      runs.map((r) => outcome(r, (best(r) ? 0.85 : 0.6) + wobble(r))),
      { ...inputs(), preset: full },
    );
    return { numbers, verdict: atlasTuning.verdicts(numbers)[0] };
  };

  it('tunes every kind on the validation split with the same budget, and hands the choice on by setting', () => {
    const grid = ATLAS.atlas!;
    const budget = grid.tunedRates['ema-momentum'].length;
    for (const rates of Object.values(grid.tunedRates)) expect(rates).toHaveLength(budget);
    expect(runs).toHaveLength(grid.settings.length * 4 * budget * grid.selectionSeeds);
    expect(runs.every((r) => r.config.validation?.evaluate === 'validation' && r.config.seed <= 2)).toBe(true);
    const { numbers } = verdictOf((r) => (settingName(r) === 'sum' ? rate(r) === 0.01 : rate(r) === 0.316));
    const tuning = atlasTuning.tuned!(numbers);
    expect(tuning.settingRate!('sum', 'ema-momentum')).toBe(0.01);
    expect(tuning.settingRate!('default', 'ema-momentum')).toBe(0.316);
    expect(() => tuning.settingRate!('nowhere', 'sgd')).toThrow(/no sgd in setting nowhere/);
  });

  it('the best alpha spans a factor 30 only when no choice within the ties closes the gap', () => {
    // sum at 0.00316 (a grid edge), every other setting at 0.316: a span of 100.
    const moving = verdictOf((r) => (settingName(r) === 'sum' ? rate(r) === 0.00316 : rate(r) === 0.316));
    expect(moving.verdict.outcome).toBe('supported');
    expect(moving.verdict.measured).toMatch(/sum 0.00316 \(grid edge\)/);
    // The same, but 0.0316 ties with 0.00316 in sum: the smallest span is 10, and an edge forbids "not supported".
    const tied = verdictOf((r) =>
      settingName(r) === 'sum' ? rate(r) === 0.00316 || rate(r) === 0.0316 : rate(r) === 0.316,
    );
    expect(tied.verdict.outcome).toBe('inconclusive');
    // Every setting at 0.1 or 0.316 (inside the grid): at most a factor 3.16, not supported.
    const flat = verdictOf((r) => (settingName(r) === 'sum' ? rate(r) === 0.1 : rate(r) === 0.316));
    expect(flat.verdict.outcome).toBe('not supported');
  });
});
