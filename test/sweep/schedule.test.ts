/**
 * A sweep's learning-rate schedule (`--schedule` and its parameters, as `inertia train` takes
 * them): every run's listed rate becomes the schedule's start or peak, the runs train on it, and
 * a folder swept with one schedule is not grown with another.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalExecutor } from '../../src/exec/local.js';
import { claimFolder } from '../../src/sweep/folder.js';
import { expandGrid, makeGrid } from '../../src/sweep/grid.js';
import { runGridSweep } from '../../src/sweep/sweep.js';
import { readMetrics } from '../../src/runs/metrics.js';
import { tempFolder, TINY_SWEEP_FLAGS } from '../helpers/runs.js';

const root = tempFolder('inertia-sweep-schedule-');

describe('a sweep with a learning-rate schedule', () => {
  it('shapes each listed rate, and the kind default where no rate is listed', () => {
    const cosine = makeGrid(
      {},
      { ...TINY_SWEEP_FLAGS, optimizer: 'sgd,heavy-ball', lr: '0.1,0.3', schedule: 'cosine-decay', 'decay-steps': 50 },
    );
    expect(cosine.schedule).toEqual({ kind: 'cosine-decay', parameters: { decaySteps: 50 } });
    const runs = expandGrid(cosine);
    // Run ids name the listed rates, as without a schedule.
    expect(
      runs.map((run) => `${run.id}: ${(run.config.optimizer.learningRate as { initValue: number }).initValue}`),
    ).toEqual([
      'sgd-lr0.1-seed1: 0.1',
      'sgd-lr0.3-seed1: 0.3',
      'heavy-ball-lr0.1-seed1: 0.1',
      'heavy-ball-lr0.3-seed1: 0.3',
    ]);
    expect(runs[1].config.optimizer).toEqual({
      kind: 'sgd',
      learningRate: { schedule: 'cosine-decay', initValue: 0.3, decaySteps: 50, alpha: 0 },
    });
    expect(runs[2].config.optimizer).toMatchObject({
      kind: 'heavy-ball',
      learningRate: { schedule: 'cosine-decay', initValue: 0.1, decaySteps: 50, alpha: 0 },
    });
    // From a grid file, with adam's default rate (1e-3) as the peak.
    const warm = makeGrid(
      { optimizer: ['adam'], schedule: 'warmup-cosine', 'warmup-steps': 10, 'decay-steps': 100, 'end-lr': 1e-5 },
      TINY_SWEEP_FLAGS,
    );
    expect(expandGrid(warm)[0].config.optimizer).toEqual({
      kind: 'adam',
      learningRate: {
        schedule: 'warmup-cosine',
        initValue: 0,
        peakValue: 1e-3,
        warmupSteps: 10,
        decaySteps: 100,
        endValue: 1e-5,
      },
    });
    expect(makeGrid({}, { ...TINY_SWEEP_FLAGS, optimizer: 'sgd', lr: '0.1' }).schedule).toBeUndefined();
  });

  it('refuses what train refuses, before any run', () => {
    const grid = (flags: Record<string, unknown>) => () =>
      makeGrid({}, { ...TINY_SWEEP_FLAGS, optimizer: 'sgd', lr: '0.1', ...flags });
    expect(grid({ schedule: 'cosine-decay' })).toThrow('--schedule cosine-decay needs --decay-steps');
    expect(grid({ 'decay-steps': 50 })).toThrow('--decay-steps needs --schedule');
    expect(grid({ schedule: 'linear-warmup', 'warmup-steps': 5, 'decay-rate': 0.5 })).toThrow(
      '--decay-rate does not apply to --schedule linear-warmup',
    );
    expect(grid({ schedule: 'cosine-decay', 'decay-steps': 0 })).toThrow('Invalid decay-steps value: 0');
    expect(grid({ schedule: 'sawtooth', 'decay-steps': 5 })).toThrow('Invalid --schedule value: "sawtooth"');
    expect(() =>
      makeGrid(
        {},
        { ...TINY_SWEEP_FLAGS, optimizer: 'sgd,no-lr-momentum', schedule: 'cosine-decay', 'decay-steps': 5 },
      ),
    ).toThrow('--schedule does not apply to --optimizer no-lr-momentum (it has no learning rate)');
  });

  it('trains on the schedule, and a folder keeps its schedule', async () => {
    const dir = path.join(root, 'warmup');
    const executor = new LocalExecutor({ workers: 1 });
    const flags = { ...TINY_SWEEP_FLAGS, optimizer: 'sgd', lr: '0.2', 'validation-size': 0 };
    try {
      const grid = makeGrid({}, { ...flags, schedule: 'linear-warmup', 'warmup-steps': 4 });
      const result = await runGridSweep({ grid, dir, executor, command: '' });
      expect(result.runs).toMatchObject({ total: 1, trained: 1, failed: 0 });
      const runDir = path.join(dir, 'runs', 'sgd-seed1');
      const config = JSON.parse(fs.readFileSync(path.join(runDir, 'config.json'), 'utf8'));
      expect(config.optimizer.learningRate).toEqual({
        schedule: 'linear',
        initValue: 0,
        endValue: 0.2,
        transitionSteps: 4,
      });
      // The warmup starts at a rate of 0: the first step has a gradient and moves nothing
      // (at the constant 0.2 it would move 0.2 |g|).
      const first = (metric: string) =>
        readMetrics(path.join(runDir, 'metrics.csv')).find((row) => row.step === 1 && row.metric === metric)!.value;
      expect(first('grad_norm')).toBeGreaterThan(0.01);
      expect(first('update_norm')).toBe(0);
      expect(fs.readFileSync(path.join(dir, 'report.md'), 'utf8')).toContain(
        'follows the schedule linear-warmup (warmupSteps 4)',
      );
    } finally {
      await executor.close();
    }
    const constant = makeGrid({}, flags);
    expect(() => claimFolder(dir, constant, false)).toThrow(
      `${dir} holds a sweep with the schedule linear-warmup (warmupSteps 4), not a constant learning rate`,
    );
    const other = makeGrid({}, { ...flags, schedule: 'linear-warmup', 'warmup-steps': 8 });
    expect(() => claimFolder(dir, other, false)).toThrow(
      'with the schedule linear-warmup (warmupSteps 4), not the schedule linear-warmup (warmupSteps 8)',
    );
  });
});
