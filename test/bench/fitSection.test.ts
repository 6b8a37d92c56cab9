import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadDataset } from '../../src/data/index.js';
import { benchFit } from '../../src/bench/fitSection.js';
import { tempFolder } from '../helpers/runs.js';

const context = { backend: 'tensorflow', versions: 'tfjs 4.22.0', threads: '1', machine: 'test' };

afterEach(() => vi.unstubAllEnvs());

describe('bench section fit', () => {
  it('times inertia fit and model.fit on the same model, with ratio rows and a table; Keras unavailable without its venv', async () => {
    vi.stubEnv('INERTIA_CACHE_DIR', tempFolder('inertia-fit-bench-cache-'));
    const data = await loadDataset('synthetic', { trainLimit: 256, testLimit: 32 });
    const result = await benchFit({
      dataset: { name: 'synthetic', data },
      models: ['mnist-node CNN', 'LSTM (32 steps)'],
      epochs: 1,
      batchSize: 64,
      seed: 1,
      threads: 1,
      interOp: 1,
      timeoutSeconds: 60,
      context,
    });
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
});
