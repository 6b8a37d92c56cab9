import { afterEach, describe, expect, it, vi } from 'vitest';
import { etaSeconds, runEnd, runsProgress, showSharedEvent } from '../../src/commands/runsProgress.js';
import type { FailedRun, RunOutcome } from '../../src/exec/runBatch.js';

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

  it('shows the events a study and a sweep share, and leaves the others to the caller', () => {
    const calls: string[] = [];
    const view = {
      start: (runId: string, worker: string) => calls.push(`start ${runId} ${worker}`),
      progress: (worker: string) => calls.push(`progress ${worker}`),
      end: () => calls.push('end'),
      line: (text: string) => calls.push(`line ${text}`),
      stop: () => {},
    };
    const progress = { runId: 'a', epoch: 1, epochs: 1, step: 1, totalSteps: 2, loss: 1, samplesPerSecond: null };
    expect(showSharedEvent(view, { type: 'notice', message: 'hello' })).toBe(true);
    expect(showSharedEvent(view, { type: 'run-start', run: { id: 'a' }, worker: 'local-1' })).toBe(true);
    expect(showSharedEvent(view, { type: 'progress', progress, worker: 'local-1' })).toBe(true);
    expect(showSharedEvent(view, { type: 'experiment', title: 'x' })).toBe(false);
    expect(calls).toEqual(['line hello', 'start a local-1', 'progress local-1']);
    // A damaged run is a warning on stderr for a study and a sweep alike, never hidden in the view.
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    const damaged = { type: 'run-damaged', run: { id: 'b' }, problem: 'metrics.csv has 9 bytes' };
    expect(showSharedEvent(view, damaged)).toBe(true);
    expect(written).toEqual(['inertia: warning: b is damaged (metrics.csv has 9 bytes); training it again\n']);
    expect(calls).toHaveLength(3);
  });

  it('ends a run with its error, or the accuracy of the split it reports', () => {
    const run = { id: 'a' };
    const failed = { run, status: 'failed', error: 'boom', attempts: 1 } as unknown as FailedRun;
    const done = {
      run,
      status: 'diverged',
      resumed: true,
      finalTestAccuracy: 0.25,
      finalValidationAccuracy: 0.5,
    } as unknown as RunOutcome;
    expect(runEnd(failed, 'test')).toEqual({ runId: 'a', status: 'failed', resumed: false, error: 'boom' });
    expect(runEnd(done, 'test')).toEqual({ runId: 'a', status: 'diverged', resumed: true, testAccuracy: 0.25 });
    expect(runEnd(done, 'validation')).toEqual({
      runId: 'a',
      status: 'diverged',
      resumed: true,
      validationAccuracy: 0.5,
    });
  });
});
