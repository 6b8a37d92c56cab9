/**
 * A sweep is a folder of runs. Each run is identified by a stable id; a run whose folder
 * already holds a finished run (completed or diverged) is skipped and read back from disk,
 * an unfinished folder (the study was interrupted) is removed and run again on the executor. Outcomes are
 * always derived from the files, so a resumed study reports exactly what a fresh one would.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readMetrics, type MetricRow } from '../runs/metrics.js';
import { ownerAlive, readRunRecord, verifyRun } from '../runs/runFolder.js';
import { EVENTS_FOLDER, writeRunEvents } from '../runs/tensorboard.js';
import { UserError } from '../util/errors.js';
import { makeFolder } from '../util/fs.js';
import { childFolder } from '../util/names.js';
import { sameRunConfig, type TrainConfig } from '../train/config.js';
import type { RunResult, TrainProgress } from '../train/train.js';
import type { Executor, ExecutorEvent, RunAttempt } from './executor.js';

export interface StudyRun {
  id: string;
  experiment: string;
  config: TrainConfig;
}

/** A finished run as read back from its folder (the same whether trained now or resumed). */
export interface RunOutcome extends Pick<
  RunResult,
  'dir' | 'status' | 'divergedAtStep' | 'steps' | 'seconds' | 'samplesPerSecond' | 'rows'
> {
  run: StudyRun;
  initialTestAccuracy: number;
  initialTestLoss: number;
  finalTestAccuracy: number;
  finalTestLoss: number;
  /** Validation metrics of a run that evaluates on a validation split (NaN otherwise; its test metrics are then NaN). */
  finalValidationAccuracy: number;
  finalValidationLoss: number;
  finalTrainLoss: number;
  /** True when the run was found finished on disk and not run again. */
  resumed: boolean;
}

/** A run that failed for good (every attempt): reported, never read from its folder. */
export interface FailedRun {
  run: StudyRun;
  status: 'failed';
  error: string;
  attempts: number;
}

export interface SweepContext {
  runsDir: string;
  /** Where the runs train (local processes or a queue). */
  executor: Executor;
  onRunStart?: (run: StudyRun, worker: string) => void;
  onProgress?: (progress: TrainProgress, worker: string) => void;
  onRunEnd?: (outcome: RunOutcome | FailedRun) => void;
  /** A finished run on disk failed verification (`problem` names the file) and is trained again. */
  onRunDamaged?: (run: StudyRun, problem: string) => void;
  /** Notices of the executor (e.g. Redis unreachable, retrying). */
  onNotice?: (message: string) => void;
  /** False: train nothing, and return only the runs already finished (default true). */
  trainMissing?: boolean;
}

/** The value of `split/metric` at the last (or first) row that has it. */
export function metricAt(
  rows: readonly MetricRow[],
  split: string,
  metric: string,
  which: 'first' | 'last' = 'last',
): number {
  const matching = rows.filter((row) => row.split === split && row.metric === metric);
  const row = which === 'first' ? matching[0] : matching.at(-1);
  return row === undefined ? NaN : row.value;
}

/** The first and last metrics a run outcome carries, read off its metrics.csv rows. */
export function outcomeMetrics(rows: readonly MetricRow[]) {
  return {
    initialTestAccuracy: metricAt(rows, 'test', 'accuracy', 'first'),
    initialTestLoss: metricAt(rows, 'test', 'loss', 'first'),
    finalTestAccuracy: metricAt(rows, 'test', 'accuracy'),
    finalTestLoss: metricAt(rows, 'test', 'loss'),
    finalValidationAccuracy: metricAt(rows, 'validation', 'accuracy'),
    finalValidationLoss: metricAt(rows, 'validation', 'loss'),
    finalTrainLoss: metricAt(rows, 'train', 'loss'),
  };
}

export function series(rows: readonly MetricRow[], split: string, metric: string): MetricRow[] {
  return rows.filter((row) => row.split === split && row.metric === metric);
}

/** Throws when the folder holds a run of another config: resuming it would mix two studies. */
function checkSameConfig(run: StudyRun, dir: string): void {
  // Where the data were read from (dataDir, data.*) is not a setting: a run resumes from another --data-dir.
  const stored: unknown = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  if (!sameRunConfig(stored, run.config)) {
    throw new UserError(
      `${dir} holds a finished run with a different config than this study plans (the preset or the code changed); remove the study folder ${path.dirname(path.dirname(dir))} or choose another --out`,
    );
  }
}

/** True when run.json reads as a run that never finished (running, failed or interrupted). */
function isUnfinished(dir: string): boolean {
  try {
    const status = readRunRecord(dir)?.status;
    return status === 'running' || status === 'failed' || status === 'interrupted';
  } catch {
    return false;
  }
}

/**
 * The outcome stored in `dir` after checking run.json's checksums, or the reason there is
 * none: `problem` is null when the folder holds no finished run (absent or unfinished) and
 * names the damaged file otherwise.
 */
function readOutcome(
  run: StudyRun,
  dir: string,
  resumed: boolean,
): { outcome: RunOutcome } | { problem: string | null } {
  if (!fs.existsSync(path.join(dir, 'run.json'))) return { problem: null };
  const verified = verifyRun(dir);
  if ('problem' in verified) return { problem: isUnfinished(dir) ? null : verified.problem };
  const record = verified.record;
  checkSameConfig(run, dir);
  const rows = readMetrics(path.join(dir, 'metrics.csv'));
  const summary = record.summary ?? {};
  return {
    outcome: {
      run,
      dir,
      status: record.status as RunOutcome['status'],
      divergedAtStep: record.divergedAtStep ?? null,
      steps: Number(summary.steps ?? NaN),
      seconds: Number(summary.seconds ?? NaN),
      samplesPerSecond: Number(summary.samples_per_second ?? NaN),
      ...outcomeMetrics(rows),
      rows,
      resumed,
    },
  };
}

/**
 * TensorBoard events of a finished run, written from its files after the run (the training
 * loop never sees them); a resumed run gets them when it has none yet. A failure is a notice.
 */
function writeEvents(outcome: RunOutcome, context: SweepContext): void {
  if (outcome.resumed && fs.existsSync(path.join(outcome.dir, EVENTS_FOLDER))) return;
  try {
    writeRunEvents(outcome.dir);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    context.onNotice?.(
      `TensorBoard events of ${outcome.run.id} not written (${reason}); inertia export tensorboard writes them later`,
    );
  }
}

/** Removes an unfinished or damaged run folder, unless the process writing it is still alive. */
function removeStale(dir: string): void {
  let owner;
  try {
    const record = readRunRecord(dir);
    owner = record?.status === 'running' ? record.owner : undefined;
  } catch {
    owner = undefined;
  }
  if (owner && ownerAlive(owner)) {
    throw new UserError(
      `${dir} is being written by process ${owner.pid} on ${owner.host}; wait for it to finish or stop it, then rerun`,
    );
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * Trains (on the executor) every run whose folder does not already hold it, and returns the
 * outcomes in the order given, failed runs included (with `trainMissing` false: trains nothing
 * and returns the finished runs only).
 */
export async function runSweepKeepingFailures(
  runs: readonly StudyRun[],
  context: SweepContext,
): Promise<(RunOutcome | FailedRun)[]> {
  const byId = new Map<string, StudyRun>();
  for (const run of runs) {
    childFolder(context.runsDir, run.id, 'run id');
    if (byId.has(run.id)) throw new Error(`Duplicate run id ${run.id} in one sweep`);
    byId.set(run.id, run);
  }
  const outcomes = new Map<string, RunOutcome | FailedRun>();
  const toTrain: StudyRun[] = [];
  for (const run of runs) {
    const dir = path.join(context.runsDir, run.id);
    const found = readOutcome(run, dir, true);
    if ('outcome' in found) {
      writeEvents(found.outcome, context);
      outcomes.set(run.id, found.outcome);
      context.onRunEnd?.(found.outcome);
    } else {
      if (found.problem !== null) context.onRunDamaged?.(run, found.problem);
      // An unfinished folder (an interrupted sweep) or a damaged one holds no result: run it again.
      if (fs.existsSync(dir)) removeStale(dir);
      toTrain.push(run);
    }
  }
  if (context.trainMissing === false) return runs.flatMap((run) => outcomes.get(run.id) ?? []);
  makeFolder(context.runsDir);
  await context.executor.execute(
    toTrain.map((run) => ({ id: run.id, config: run.config })),
    context.runsDir,
    (event: ExecutorEvent) => {
      if (event.type === 'notice') context.onNotice?.(event.message);
      else if (event.type === 'progress') context.onProgress?.(event.progress, event.worker);
      else if (event.type === 'run-start') context.onRunStart?.(byId.get(event.runId)!, event.worker);
      else {
        const run = byId.get(event.attempt.runId)!;
        const outcome = attemptOutcome(run, path.join(context.runsDir, run.id), event.attempt);
        if (outcome.status !== 'failed') writeEvents(outcome, context);
        outcomes.set(run.id, outcome);
        context.onRunEnd?.(outcome);
      }
    },
  );
  return runs.map((run) => outcomes.get(run.id)!);
}

/**
 * The outcome of a run the executor finished: failed as the executor reported it, or read back
 * from its folder, where a run that cannot be verified as finished counts as failed.
 */
function attemptOutcome(run: StudyRun, dir: string, attempt: RunAttempt): RunOutcome | FailedRun {
  if (attempt.status === 'failed') return { run, status: 'failed', error: attempt.error, attempts: attempt.attempts };
  let problem: string;
  try {
    const trained = readOutcome(run, dir, false);
    if ('outcome' in trained) return trained.outcome;
    problem = trained.problem ?? 'it is unfinished';
  } catch (error) {
    problem = error instanceof Error ? error.message : String(error);
  }
  return { run, status: 'failed', error: `${dir} holds no verified finished run (${problem})`, attempts: 1 };
}

/** The outcomes when every run finished; throws, naming the first failed run, if any failed. */
export function finishedOutcomes(outcomes: readonly (RunOutcome | FailedRun)[]): RunOutcome[] {
  const failed = outcomes.filter((outcome): outcome is FailedRun => outcome.status === 'failed');
  if (failed.length > 0) {
    throw new Error(
      `${failed.length} of ${outcomes.length} runs failed; first: ${failed[0].run.id}: ${failed[0].error}`,
    );
  }
  return outcomes as RunOutcome[];
}

/** Runs (or resumes) every run and returns their outcomes in the order given; throws if any run failed. */
export async function runSweep(runs: readonly StudyRun[], context: SweepContext): Promise<RunOutcome[]> {
  return finishedOutcomes(await runSweepKeepingFailures(runs, context));
}

/**
 * What a batch of runs reports as it goes, the same for a study and a sweep: `done` is how many
 * runs of the `total` have ended (trained, read back from disk, or failed) when the event is sent.
 */
export type RunEvent =
  | { type: 'run-start'; run: StudyRun; worker: string; done: number; total: number }
  | { type: 'progress'; progress: TrainProgress; worker: string; done: number; total: number }
  | { type: 'run-end'; outcome: RunOutcome | FailedRun; done: number; total: number }
  | { type: 'run-damaged'; run: StudyRun; problem: string }
  | { type: 'notice'; message: string };

/** The runs that have ended so far (`done`): trained now, resumed from their folders, or failed. */
export interface RunCounts {
  done: number;
  trained: number;
  resumed: number;
  failed: number;
}

/** A sweep that keeps failed runs among its outcomes. */
export type KeepingSweep = (runs: readonly StudyRun[]) => Promise<(RunOutcome | FailedRun)[]>;

/**
 * Sweeps in `runsDir` on `executor` whose runs are counted together, over every call (a study
 * sweeps once per experiment), each step reported through `emit` with the count so far out of
 * `total`, the runs of all calls.
 */
export function countingSweep(
  runsDir: string,
  executor: Executor,
  total: number,
  emit: (event: RunEvent) => void,
  trainMissing = true,
): { sweep: KeepingSweep; counts: RunCounts } {
  const counts: RunCounts = { done: 0, trained: 0, resumed: 0, failed: 0 };
  const sweep: KeepingSweep = (runs) =>
    runSweepKeepingFailures(runs, {
      runsDir,
      executor,
      trainMissing,
      onRunStart: (run, worker) => emit({ type: 'run-start', run, worker, done: counts.done, total }),
      onProgress: (progress, worker) => emit({ type: 'progress', progress, worker, done: counts.done, total }),
      onNotice: (message) => emit({ type: 'notice', message }),
      onRunDamaged: (run, problem) => emit({ type: 'run-damaged', run, problem }),
      onRunEnd: (outcome) => {
        counts.done += 1;
        if (outcome.status === 'failed') counts.failed += 1;
        else if (outcome.resumed) counts.resumed += 1;
        else counts.trained += 1;
        emit({ type: 'run-end', outcome, done: counts.done, total });
      },
    });
  return { sweep, counts };
}
