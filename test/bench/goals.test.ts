import { describe, expect, it } from 'vitest';
import { benchGoals, goalsMarkdown, judge } from '../../src/bench/goals.js';
import { interleavedOrder } from '../../src/bench/oneDnnSettings.js';
import type { BenchRow } from '../../src/bench/report.js';
import { oneDnnChoices } from '../../src/commands/bench.js';

const context = { backend: 'tensorflow', versions: 'v', threads: 't', machine: 'm' };

function rate(section: BenchRow['section'], workload: string, system: string, value: number): BenchRow {
  return { section, workload, system, metric: 'samples_per_second', value, unit: 'samples/s', ...context };
}

function stepRatio(workload: string, system: string, value: number): BenchRow {
  return { section: 'optimizer', workload, system, metric: 'ratio_median_step', value, unit: 'ratio', ...context };
}

const rows: BenchRow[] = [
  rate('training', 'mnist-digits/mlp (8000 train samples)', 'inertia custom loop (compiled) + heavy-ball', 60000),
  rate('training', 'mnist-digits/mlp (8000 train samples)', 'inertia custom loop (eager) + heavy-ball', 20000),
  rate(
    'training',
    'mnist-digits/mlp (8000 train samples)',
    'inertia custom loop (compiled) + heavy-ball (norms every 10)',
    1,
  ),
  rate('peers', 'mnist-digits/mlp (8000 train samples)', 'keras', 30000),
  rate('peers', 'mnist-digits/mlp (8000 train samples)', 'pytorch', 80000),
  rate('training', 'mnist-digits/cnn (8000 train samples)', 'inertia custom loop (eager) + heavy-ball', 3000),
  stepRatio('mlp 784-256-128-10 (235,146 params), compiled', 'custom sgd / tf.train.sgd', 0.97),
  stepRatio('mlp 784-256-128-10 (235,146 params), compiled', 'custom heavy-ball / tf.train.momentum', 1.02),
  stepRatio('mlp 784-256-128-10 (235,146 params)', 'custom heavy-ball / tf.train.momentum', 1.1),
  stepRatio('large (10,006,000 params), compiled', 'custom sgd / tf.train.sgd', 5),
];

describe('bench goals', () => {
  const goals = benchGoals('mnist-digits');
  const measured = Object.fromEntries(goals.map((g) => [g.cell, g.ratio(rows)]));

  it('compares the compiled custom loop (no norms) with the peer of the same dataset and model', () => {
    expect(measured['MLP custom loop / Keras fit']).toMatchObject({ value: 2 });
    expect(measured['MLP custom loop / PyTorch']).toMatchObject({ value: 0.75 });
  });

  it('prices the norm measurements: the compiled MLP loop with norms every 10 steps over the same loop without', () => {
    expect(measured['MLP custom loop, norms every 10 / norms off']).toMatchObject({ value: 1 / 60000 });
    expect(judge(goals.at(-1)!, 0.95)).toBe('met');
    expect(judge(goals.at(-1)!, 0.94)).toBe('missed');
  });

  it('says what is missing instead of a number', () => {
    expect(measured['CNN custom loop / Keras fit']).toEqual({ missing: 'keras did not run' });
  });

  it("judges the optimizer step by the worst pair on the MLP's variables, per path", () => {
    expect(measured["custom optimizer step / tf.train's (compiled)"]).toMatchObject({ value: 1.02 });
    expect(measured["custom optimizer step / tf.train's (eager, no goal)"]).toMatchObject({ value: 1.1 });
  });

  it('marks met and missed against the bound, inclusive', () => {
    const [keras, torch, , , step] = goals;
    expect(judge(keras, 1.5)).toBe('met');
    expect(judge(torch, 0.75)).toBe('missed');
    expect(judge(step, 1.0)).toBe('met');
    expect(judge(step, 1.02)).toBe('missed');
    const table = goalsMarkdown('mnist-digits', [{ setting: 'on', rows }], { loadAverage: [0, 0, 0] });
    expect(table).toContain(
      '| MLP custom loop / Keras fit | >= 1.50 | 2.00 (60000 / 30000 samples/s (compiled)) | **met** |',
    );
    expect(table).toContain('| MLP custom loop / PyTorch | >= 0.80 | 0.75');
  });

  it('judges no goal of a smoke run: its ratios are shown, marked not judged', () => {
    const table = goalsMarkdown('mnist-digits', [{ setting: 'on', rows }], { loadAverage: [0, 0, 0] }, { smoke: true });
    expect(table).toContain(
      '| MLP custom loop / PyTorch | >= 0.80 | 0.75 (60000 / 80000 samples/s (compiled)) | not judged (smoke) |',
    );
    expect(table).toContain('no goal is judged');
    expect(table).not.toMatch(/\*\*(met|missed)\*\*/);
  });
});

describe('oneDNN settings of a bench', () => {
  it('alternates which setting runs first', () => {
    expect([0, 1, 2].map((i) => interleavedOrder(['on', 'off'], i))).toEqual([
      ['on', 'off'],
      ['off', 'on'],
      ['on', 'off'],
    ]);
  });

  it("measures both unless the flag or the user's TF_ENABLE_ONEDNN_OPTS chooses", () => {
    expect(oneDnnChoices(undefined, {})).toEqual(['on', 'off']);
    expect(oneDnnChoices(undefined, { TF_ENABLE_ONEDNN_OPTS: '0' })).toEqual(['off']);
    expect(oneDnnChoices(undefined, { TF_ENABLE_ONEDNN_OPTS: '1' })).toEqual(['on']);
    expect(oneDnnChoices('off,on', { TF_ENABLE_ONEDNN_OPTS: '1' })).toEqual(['off', 'on']);
    expect(() => oneDnnChoices('maybe')).toThrow('Invalid --onednn value "maybe" (expected on, off or on,off)');
  });
});
