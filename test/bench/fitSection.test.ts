import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadDataset } from '../../src/data/index.js';
import { benchFit, type FitBenchOptions } from '../../src/bench/fitSection.js';
import { tempFolder } from '../helpers/runs.js';

const context = { backend: 'tensorflow', versions: 'tfjs 4.22.0', threads: '1', machine: 'test' };

afterEach(() => vi.unstubAllEnvs());

/** benchFit's options on `count` synthetic examples, batch 64, one timed epoch, one thread. */
async function fitOptions(count: number, more: Partial<FitBenchOptions>): Promise<FitBenchOptions> {
  const data = await loadDataset('synthetic', { trainLimit: count, testLimit: 32 });
  const base = { epochs: 1, batchSize: 64, seed: 1, threads: 1, interOp: 1, timeoutSeconds: 60, context };
  return { dataset: { name: 'synthetic', data }, ...base, ...more };
}

describe('bench section fit', () => {
  it('times inertia fit and model.fit on the same model, with ratio rows and a table; Keras unavailable without its venv', async () => {
    vi.stubEnv('INERTIA_CACHE_DIR', tempFolder('inertia-fit-bench-cache-'));
    const result = await benchFit(await fitOptions(256, { models: ['mnist-node CNN', 'LSTM (32 steps)'] }));
    expect(result.section).toBe('fit');
    const systems = (model: string, metric: string) =>
      result.rows.filter((r) => r.workload === model && r.metric === metric).map((r) => r.system);
    for (const model of ['mnist-node CNN', 'LSTM (32 steps)']) {
      expect(systems(model, 'samples_per_second')).toEqual(['inertia fit', 'tfjs-node model.fit']);
      expect(systems(model, 'ratio_samples_per_second')).toEqual(['inertia fit / tfjs-node model.fit']);
    }
    expect(result.rows.every((r) => Number.isFinite(r.value) && r.value > 0)).toBe(true);
    expect(result.markdown).toMatch(
      /\| mnist-node CNN \| [\d,.]+ \| [\d,.]+ \| n\/a \| [\d.]+ \((met|missed)\) \| n\/a \|/,
    );
    expect(result.markdown).toContain('**Keras: unavailable**');
  }, 240_000);

  it('with repeats, pairs fit and model.fit in alternating order and judges the median of the pairs', async () => {
    vi.stubEnv('INERTIA_CACHE_DIR', tempFolder('inertia-fit-bench-cache-'));
    const progress: string[] = [];
    const onProgress = (message: string) => void progress.push(message);
    const result = await benchFit(await fitOptions(128, { models: ['MLP 784-256-128-10'], repeats: 3, onProgress }));
    expect(progress).toEqual([
      'fit: MLP 784-256-128-10 inertia fit (repeat 1 of 3)',
      'fit: MLP 784-256-128-10 tfjs-node model.fit (repeat 1 of 3)',
      'fit: MLP 784-256-128-10 tfjs-node model.fit (repeat 2 of 3)',
      'fit: MLP 784-256-128-10 inertia fit (repeat 2 of 3)',
      'fit: MLP 784-256-128-10 inertia fit (repeat 3 of 3)',
      'fit: MLP 784-256-128-10 tfjs-node model.fit (repeat 3 of 3)',
    ]);
    const values = (metric: string) => result.rows.filter((r) => r.metric === metric).map((r) => r.value);
    const rates = values('samples_per_second');
    expect(rates).toHaveLength(6);
    const pairs = values('ratio_of_pair');
    expect(pairs).toHaveLength(3);
    // Each pair is one repeat's fit over the same repeat's model.fit (rows alternate fit, model.fit).
    expect(pairs).toEqual([0, 1, 2].map((i) => rates[2 * i] / rates[2 * i + 1]));
    const [ratio] = values('ratio_samples_per_second');
    expect(ratio).toBe([...pairs].sort((a, b) => a - b)[1]);
    expect(result.markdown).toContain('3 paired repeats');
    expect(result.markdown).toMatch(
      /\| MLP 784-256-128-10 \| [\d,.]+ \| [\d,.]+ \| n\/a \| [\d.]+ \[[\d.]+-[\d.]+\] \((met|missed)\) \|/,
    );
  }, 240_000);

  it('refuses a repeat count below one', async () => {
    await expect(benchFit(await fitOptions(64, { repeats: 0 }))).rejects.toThrow(
      'Invalid fit repeats 0 (expected a positive integer, e.g. --repeats 5)',
    );
  });
});
