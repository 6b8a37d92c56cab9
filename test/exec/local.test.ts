/**
 * The local executor in this process: planned runs become finished run folders, a run that
 * fails is reported with its error while the others go on, and events arrive in order.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ExecutorEvent, PlannedRun } from '../../src/exec/executor.js';
import { LocalExecutor } from '../../src/exec/local.js';
import { readRunRecord } from '../../src/runs/runFolder.js';
import type { TrainConfig } from '../../src/train/config.js';
import { tempFolder, tinyRun } from '../helpers/runs.js';

const root = tempFolder('inertia-local-');

function config(learningRate: number): TrainConfig {
  return tinyRun({ kind: 'heavy-ball', learningRate, momentum: 0.9 });
}

describe('LocalExecutor (in this process)', () => {
  it('trains each run into its folder and reports a failing run without stopping the others', async () => {
    const executor = new LocalExecutor({ workers: 1 });
    const runs: PlannedRun[] = [
      { id: 'a', config: config(0.1) },
      { id: 'bad', config: config(-1) },
      { id: 'b', config: config(0.01) },
    ];
    const events: ExecutorEvent[] = [];
    const attempts = await executor.execute(runs, root, (event) => events.push(event));
    await executor.close();

    expect(attempts.map((a) => [a.runId, a.status])).toEqual([
      ['a', 'finished'],
      ['bad', 'failed'],
      ['b', 'finished'],
    ]);
    const failed = attempts[1];
    expect(failed.status === 'failed' && failed.error).toMatch(/learning ?rate/i);
    expect(readRunRecord(path.join(root, 'a'))?.status).toBe('completed');
    expect(readRunRecord(path.join(root, 'b'))?.status).toBe('completed');
    expect(fs.existsSync(path.join(root, 'bad'))).toBe(false);

    // One start and one end per run, and progress only between a run's start and its end.
    const order = events
      .filter((e) => e.type !== 'progress')
      .map((e) =>
        e.type === 'run-end' ? `end ${e.attempt.runId}` : e.type === 'run-start' ? `start ${e.runId}` : e.type,
      );
    expect(order).toEqual(['start a', 'end a', 'start bad', 'end bad', 'start b', 'end b']);
    const progressRuns = new Set(events.flatMap((e) => (e.type === 'progress' ? [e.progress.runId] : [])));
    expect([...progressRuns].sort()).toEqual(['a', 'b']);
  }, 60_000);

  it('refuses a worker count that is not a positive integer', () => {
    expect(() => new LocalExecutor({ workers: 0 })).toThrow('Invalid workers value: 0 (expected a positive integer)');
  });
});
