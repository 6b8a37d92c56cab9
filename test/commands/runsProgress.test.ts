import { afterEach, describe, expect, it, vi } from 'vitest';
import { etaSeconds, runsProgress } from '../../src/commands/runsProgress.js';

afterEach(() => vi.restoreAllMocks());

describe('runs progress', () => {
  it('estimates the time left from the wall time per trained run, all workers together', () => {
    // 4 runs trained in 60 s by two workers: 15 s of wall time per run, 6 runs left -> 90 s.
    expect(etaSeconds(4, 60, 6)).toBe(90);
    expect(etaSeconds(0, 5, 6)).toBeNaN();
    expect(etaSeconds(3, 60, 0)).toBe(0);
  });

  it('prints one line per finished run with its test (or validation) accuracy when stderr is not a terminal', () => {
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    const view = runsProgress({ label: 'sweep' });
    view.start('sgd-lr0.1-seed1', 'local-2');
    view.progress('local-2', {
      runId: 'sgd-lr0.1-seed1',
      epoch: 1,
      epochs: 2,
      step: 3,
      totalSteps: 8,
      loss: 1.2,
      samplesPerSecond: null,
    });
    view.end(1, 3, { runId: 'sgd-lr0.1-seed1', status: 'completed', resumed: false, testAccuracy: 0.91234 });
    view.end(2, 3, { runId: 'sgd-lr0.3-seed1', status: 'diverged', resumed: true, testAccuracy: 0.1 });
    view.end(3, 3, { runId: 'bad', status: 'failed', resumed: false, error: 'Invalid momentum value: 2' });
    view.end(4, 4, { runId: 'e3-grid-seed1', status: 'completed', resumed: false, validationAccuracy: 0.875 });
    view.stop();
    expect(written).toEqual([
      '[1/3] sgd-lr0.1-seed1: completed, test accuracy 91.23% (local-2)\n',
      '[2/3] sgd-lr0.3-seed1: diverged, test accuracy 10.00% (resumed)\n',
      '[3/3] bad: failed: Invalid momentum value: 2\n',
      '[4/4] e3-grid-seed1: completed, validation accuracy 87.50%\n',
    ]);
  });
});
