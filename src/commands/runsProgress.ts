/**
 * Progress of many runs (study, sweep): on a TTY one cli-progress MultiBar with an overall bar
 * (runs done / total, ETA) and one line per worker (its run, epoch and step); otherwise one
 * line per finished run with its test accuracy. The ETA is the wall time since the first run
 * started per run trained since (all workers together) times the runs left: it does not
 * restart when a line is printed, and runs resumed from disk do not count as fast runs.
 */
import cliProgress from 'cli-progress';
import type { FailedRun, RunOutcome } from '../exec/runBatch.js';
import type { TrainProgress } from '../train/train.js';
import { formatPercent } from '../util/format.js';

export interface RunEnd {
  runId: string;
  status: string;
  resumed: boolean;
  testAccuracy?: number;
  /** Set instead of testAccuracy for a run that evaluates on a validation split. */
  validationAccuracy?: number;
  error?: string;
  worker?: string;
}

export interface RunsProgress {
  start(runId: string, worker: string): void;
  progress(worker: string, progress: TrainProgress): void;
  end(done: number, total: number, run: RunEnd): void;
  line(text: string): void;
  stop(): void;
}

/** The events a study and a sweep both send, shown the same way. */
type SharedEvent =
  | { type: 'notice'; message: string }
  | { type: 'run-damaged'; run: { id: string }; problem: string }
  | { type: 'run-start'; run: { id: string }; worker: string }
  | { type: 'progress'; progress: TrainProgress; worker: string };

/**
 * Shows a notice, a run starting or a run's progress on `view`, and warns of a damaged run on
 * stderr (even when quiet: a result on disk was not trusted); false for any other event.
 */
export function showSharedEvent<E extends { type: string }>(
  view: RunsProgress,
  event: E,
): event is Extract<E, { type: SharedEvent['type'] }> {
  const shared = event as unknown as SharedEvent;
  if (shared.type === 'notice') view.line(shared.message);
  else if (shared.type === 'run-damaged')
    process.stderr.write(`inertia: warning: ${shared.run.id} is damaged (${shared.problem}); training it again\n`);
  else if (shared.type === 'run-start') view.start(shared.run.id, shared.worker);
  else if (shared.type === 'progress') view.progress(shared.worker, shared.progress);
  else return false;
  return true;
}

/** What the view shows of a finished run: its error, or the accuracy on the split it reports. */
export function runEnd(outcome: RunOutcome | FailedRun, split: 'test' | 'validation'): RunEnd {
  const end = { runId: outcome.run.id, status: outcome.status };
  if (outcome.status === 'failed') return { ...end, resumed: false, error: outcome.error };
  return split === 'validation'
    ? { ...end, resumed: outcome.resumed, validationAccuracy: outcome.finalValidationAccuracy }
    : { ...end, resumed: outcome.resumed, testAccuracy: outcome.finalTestAccuracy };
}

function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '-';
  const s = Math.round(seconds);
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
    : s >= 60
      ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
      : `${s}s`;
}

/** Seconds left: wall seconds per trained run so far (every worker together) times the runs left. */
export function etaSeconds(trained: number, elapsedSeconds: number, left: number): number {
  if (left === 0) return 0;
  return trained === 0 ? NaN : (elapsedSeconds / trained) * left;
}

function accuracyText(run: RunEnd): string {
  const [split, accuracy] =
    run.validationAccuracy === undefined ? ['test', run.testAccuracy] : ['validation', run.validationAccuracy];
  return accuracy === undefined ? '' : `, ${split} accuracy ${formatPercent(accuracy, 2)}`;
}

function endLine(done: number, total: number, run: RunEnd): string {
  const what =
    run.status === 'failed' ? `failed: ${run.error ?? 'unknown error'}` : `${run.status}${accuracyText(run)}`;
  const where = run.resumed ? 'resumed' : (run.worker ?? '');
  return `[${done}/${total}] ${run.runId}: ${what}${where ? ` (${where})` : ''}`;
}

export function runsProgress(options: { quiet?: boolean; label: string }): RunsProgress {
  const interactive = !options.quiet && process.stderr.isTTY === true && !process.env.CI;
  return interactive ? barsProgress(options.label) : linesProgress(options.quiet === true);
}

/** Without a terminal (a file, CI) or with --quiet: one line per finished run, nothing when quiet. */
function linesProgress(quiet: boolean): RunsProgress {
  const workers = new Map<string, string>();
  const write = (text: string) => {
    if (!quiet) process.stderr.write(`${text}\n`);
  };
  return {
    start: (runId, worker) => workers.set(runId, worker),
    progress: () => {},
    end: (done, total, run) => write(endLine(done, total, { ...run, worker: run.worker ?? workers.get(run.runId) })),
    line: write,
    stop: () => {},
  };
}

/** On a terminal: an overall bar with the ETA and one bar per worker; failed runs logged above them. */
function barsProgress(label: string): RunsProgress {
  const multi = new cliProgress.MultiBar(
    {
      hideCursor: true,
      clearOnComplete: true,
      stream: process.stderr,
      format: '{label} |{bar}| {value}/{total} {detail}',
      barsize: 24,
    },
    cliProgress.Presets.shades_classic,
  );
  const overall = multi.create(1, 0, { label: label.padEnd(14), detail: '' });
  const bars = new Map<string, cliProgress.SingleBar>();
  let firstStart: number | null = null;
  let trained = 0;
  const barOf = (worker: string) => {
    let bar = bars.get(worker);
    if (!bar) {
      bar = multi.create(1, 0, { label: worker.slice(-14).padEnd(14), detail: '' });
      bars.set(worker, bar);
    }
    return bar;
  };
  return {
    start(runId, worker) {
      firstStart ??= performance.now();
      barOf(worker).update(0, { detail: runId });
    },
    progress(worker, progress) {
      const bar = barOf(worker);
      bar.setTotal(progress.totalSteps);
      bar.update(progress.step, { detail: `${progress.runId} epoch ${progress.epoch}/${progress.epochs}` });
    },
    end(done, total, run) {
      if (!run.resumed) trained += 1;
      const elapsed = firstStart === null ? 0 : (performance.now() - firstStart) / 1000;
      const eta = etaSeconds(trained, elapsed, total - done);
      overall.setTotal(total);
      overall.update(done, { detail: `runs | ETA ${formatSeconds(eta)}` });
      if (run.status === 'failed') multi.log(`${endLine(done, total, run)}\n`);
    },
    line(text) {
      multi.log(`${text}\n`);
    },
    stop() {
      multi.stop();
    },
  };
}
