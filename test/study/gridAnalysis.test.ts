/**
 * Experiment 3's numbers on synthetic grids whose best learning rate is known: the validation
 * loss is a parabola in log10(alpha) around alpha*(mu), so the interpolated best is exact.
 */
import { describe, expect, it } from 'vitest';
import {
  DIVERGED_GREY,
  analyseCells,
  grid,
  interpolatedBest,
  noiseFloorOf,
  toCell,
  tuned,
} from '../../src/study/experiments/e3Grid.js';
import { PRESETS } from '../../src/study/presets.js';
import { renderSvg } from '../../src/plot/chart.js';
import { relativeLuminance, textColourOn } from '../../src/plot/palette.js';
import { withTextColours } from '../../src/study/experiments/e3Grid.js';
import type { RunOutcome } from '../../src/exec/runBatch.js';
import { syntheticOutcome } from './syntheticOutcomes.js';

const preset = PRESETS.default;
type Optimum = (optimizer: string, momentum: number) => number;

/** Heavy-ball's optimum moves like (1 - mu), the EMA form's stays put; EMA losses 1% above heavy-ball's. */
const THEORY: Optimum = (optimizer, mu) => (optimizer === 'heavy-ball' ? 0.3 * (1 - mu) : 0.3);

function synthetic(optimum: Optimum, emaOffset = 0.01): RunOutcome[] {
  return grid.plan(preset, { trainCount: 7000, tuned: { learningRate: () => 1, noiseFloor: NaN } }).map((run) => {
    const spec = run.config.optimizer as { kind: string; learningRate: number; momentum: number };
    const distance = Math.log10(spec.learningRate) - Math.log10(optimum(spec.kind, spec.momentum));
    const factor = (1 + 0.02 * run.config.seed) * (spec.kind === 'ema-momentum' ? 1 + emaOffset : 1);
    return syntheticOutcome(run, {
      heldOutLoss: [2.3 * factor, 0.1 * Math.exp(distance ** 2) * factor],
      heldOutAccuracy: [0.1, 0.9 - distance ** 2 / 10],
    });
  });
}

const outcomesOf = (optimum: Optimum) => analyseCells(synthetic(optimum).map(toCell), preset);

describe('experiment 3 analysis', () => {
  it('recovers slope 1 for heavy-ball and 0 for the EMA form, with intervals over seeds', () => {
    const n = outcomesOf(THEORY);
    const [heavy, ema] = n.movement;
    // Exact but for the grid's 3-digit rounding, which makes the half-decade spacing slightly uneven.
    expect(heavy.bests[0]).toBeCloseTo(0.3, 3);
    expect(heavy.bests[2]).toBeCloseTo(0.003, 5);
    expect(heavy.slope).toBeCloseTo(1, 2);
    expect(heavy.slopeInterval.low).toBeCloseTo(1, 2);
    expect(heavy.slopeInterval.n).toBe(preset.seeds);
    expect(ema.slope).toBeCloseTo(0, 2);
    const verdicts = Object.fromEntries(grid.verdicts(n).map((v) => [v.id, v.outcome]));
    expect(verdicts).toEqual({
      'e3.heavy-ball-slope': 'supported',
      'e3.heavy-ball-slope:control': 'not supported',
      'e3.ema-flat': 'supported',
    });
  });

  it('comes out not supported when the optima do the opposite of the theory', () => {
    const n = outcomesOf((optimizer, mu) => (optimizer === 'heavy-ball' ? 0.3 : 0.3 * (1 - mu)));
    const verdicts = Object.fromEntries(grid.verdicts(n).map((v) => [v.id, v.outcome]));
    expect(verdicts['e3.heavy-ball-slope']).toBe('not supported');
    expect(verdicts['e3.ema-flat']).toBe('not supported');
  });

  it('measures the noise floor on heavy-ball(alpha, mu) vs ema-momentum(alpha / (1 - mu), mu) pairs', () => {
    const floor = noiseFloorOf(synthetic(THEORY, 0.01).map(toCell));
    // Pairs exist at mu = 0.9 (alpha x 10, two half-decades) and mu = 0.99 (x 100), per seed.
    expect(floor.pairs).toBeGreaterThan(0);
    expect(floor.value).toBeCloseTo(0.01, 10);
    expect(noiseFloorOf(synthetic(THEORY, 0).map(toCell)).value).toBeCloseTo(0, 12);
  });

  it('chooses on the validation split only: test metrics cannot change the choice', () => {
    const clean = synthetic(THEORY);
    // Test rows that favour the smallest learning rate everywhere, as a selection on test would pick.
    const poisoned = clean.map((o) => {
      const alpha = (o.run.config.optimizer as { learningRate: number }).learningRate;
      const testLoss = alpha === preset.gridLearningRates[0] ? 1e-6 : 10;
      return {
        ...o,
        finalTestLoss: testLoss,
        finalTestAccuracy: testLoss < 1 ? 1 : 0,
        rows: [...o.rows, { step: 10, epoch: 1, split: 'test' as const, metric: 'loss', value: testLoss }],
      };
    });
    const before = tuned(analyseCells(clean.map(toCell), preset));
    const after = tuned(analyseCells(poisoned.map(toCell), preset));
    for (const mu of preset.gridMomenta) {
      expect(after.learningRate('heavy-ball', mu)).toBe(before.learningRate('heavy-ball', mu));
      expect(after.learningRate('ema-momentum', mu)).toBe(before.learningRate('ema-momentum', mu));
    }
    expect(before.learningRate('sgd', 0)).toBe(0.316);
    // A cell carries no test field at all.
    expect(Object.keys(toCell(poisoned[0])).some((key) => /test/i.test(key))).toBe(false);
  });

  it('ranks a setting that diverged on any seed last', () => {
    const outcomes = synthetic(THEORY).map((o) => {
      const spec = o.run.config.optimizer as { kind: string; learningRate: number; momentum: number };
      const best = spec.kind === 'heavy-ball' && spec.momentum === 0 && spec.learningRate === 0.316;
      return best && o.run.config.seed === 2 ? { ...o, status: 'diverged' as const, divergedAtStep: 3 } : o;
    });
    expect(tuned(analyseCells(outcomes.map(toCell), preset)).learningRate('sgd', 0)).not.toBe(0.316);
  });
});

describe('experiment 3 heatmap', () => {
  it('draws the cells of a setting that diverged grey, the others in colour', async () => {
    const outcomes = synthetic(THEORY).map((o) =>
      (o.run.config.optimizer as { learningRate: number }).learningRate === 3.16
        ? { ...o, status: 'diverged' as const, divergedAtStep: 3 }
        : o,
    );
    const [heatmap] = grid.figures(analyseCells(outcomes.map(toCell), preset));
    const svg = await renderSvg(heatmap.spec);
    // One grey rect per diverged setting: 2 optimizers x 3 momenta at alpha = 3.16.
    expect(svg.match(new RegExp(`fill="${DIVERGED_GREY}"`, 'g'))).toHaveLength(6);
    // Dark cells (the highest losses) get white text, light ones black.
    expect(svg).toMatch(/<text[^>]*fill="white"/);
    expect(svg).toMatch(/<text[^>]*fill="black"/);
  });

  it('writes white text on dark cells and black on light ones, by the fill luminance', () => {
    // Reversed viridis on a log scale from 0.1 to 10: loss 10 is viridis(0) = rgb(68, 1, 84)
    // (luminance 0.0189: contrast 1.38 with black, 15.2 with white); 1 is viridis(0.5) =
    // rgb(33, 145, 141) (0.225: 5.5 with black, 3.8 with white); 0.1 is viridis(1), yellow.
    const rows = [10, 1, 0.1].map((loss) => ({ validation_loss: loss, diverged: false }));
    const colours = withTextColours([...rows, { validation_loss: 50, diverged: true }]).map((row) => row.text_colour);
    expect(colours).toEqual(['white', 'black', 'black', 'black']);
    expect(relativeLuminance('rgb(68, 1, 84)')).toBeCloseTo(0.0189, 4);
    expect(relativeLuminance('rgb(33, 145, 141)')).toBeCloseTo(0.225, 3);
    expect(textColourOn('#000000')).toBe('white');
    expect(textColourOn('#ffffff')).toBe('black');
  });
});

describe('interpolatedBest', () => {
  const rates = [0.001, 0.01, 0.1, 1, 10];
  it('finds the vertex of a parabola in log(alpha) between grid points', () => {
    // log(loss) = (log10(alpha) - log10(0.05))^2 + 0.1: minimum at alpha = 0.05.
    const losses = rates.map((a) => Math.exp((Math.log10(a) - Math.log10(0.05)) ** 2 + 0.1));
    expect(interpolatedBest(rates, losses)).toBeCloseTo(0.05, 10);
  });
  it('returns the best grid point at an edge or next to a diverged cell', () => {
    expect(interpolatedBest(rates, [0.5, 1, 2, 3, 4])).toBe(0.001);
    expect(interpolatedBest(rates, [3, 2, 1, Infinity, Infinity])).toBe(0.1);
  });
});
