/**
 * A sweep is a folder of runs. Each run is identified by a stable id; a run whose folder
 * already holds a finished run (completed or diverged) is skipped and read back from disk,
 * an unfinished folder (the study was interrupted) is removed and run again on the executor. Outcomes are
 * always derived from the files, so a resumed study reports exactly what a fresh one would.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readMetrics, type MetricRow } from '../runs/metrics.js';
import { readRunRecord } from '../runs/runFolder.js';
import { stableJson } from '../util/json.js';
import type { TrainConfig } from '../train/config.js';
import type { RunResult, TrainProgress } from '../train/train.js';
import type { Executor, ExecutorEvent } from '../exec/executor.js';
import { UserError } from '../util/errors.js';

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
  /** Notices of the executor (e.g. Redis unreachable, retrying). */
  onNotice?: (message: string) => void;
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

export function series(rows: readonly MetricRow[], split: string, metric: string): MetricRow[] {
  return rows.filter((row) => row.split === split && row.metric === metric);
}

/** Throws when the folder holds a run of another config: resuming it would mix two studies. */
function checkSameConfig(run: StudyRun, dir: string): void {
  const { data: _data, ...stored } = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  if (stableJson(stored) !== stableJson(JSON.parse(JSON.stringify(run.config)))) {
    throw new UserError(
      `${dir} holds a finished run with a different config than this study plans (the preset or the code changed); remove the study folder ${path.dirname(path.dirname(dir))} or choose another --out`,
    );
  }
}

function readOutcome(run: StudyRun, dir: string, resumed: boolean): RunOutcome | null {
  const record = readRunRecord(dir);
  if (record === null || (record.status !== 'completed' && record.status !== 'diverged')) return null;
  checkSameConfig(run, dir);
  const rows = readMetrics(path.join(dir, 'metrics.csv'));
  const summary = record.summary ?? {};
  return {
    run,
    dir,
    status: record.status,
    divergedAtStep: record.divergedAtStep ?? null,
    steps: Number(summary.steps ?? NaN),
    seconds: Number(summary.seconds ?? NaN),
    samplesPerSecond: Number(summary.samples_per_second ?? NaN),
    initialTestAccuracy: metricAt(rows, 'test', 'accuracy', 'first'),
    initialTestLoss: metricAt(rows, 'test', 'loss', 'first'),
    finalTestAccuracy: metricAt(rows, 'test', 'accuracy'),
    finalTestLoss: metricAt(rows, 'test', 'loss'),
    finalValidationAccuracy: metricAt(rows, 'validation', 'accuracy'),
    finalValidationLoss: metricAt(rows, 'validation', 'loss'),
    finalTrainLoss: metricAt(rows, 'train', 'loss'),
    rows,
    resumed,
  };
}

/**
 * Trains (on the executor) every run whose folder does not already hold it, and returns the
 * outcomes in the order given, failed runs included.
 */
export async function runSweepKeepingFailures(
  runs: readonly StudyRun[],
  context: SweepContext,
): Promise<(RunOutcome | FailedRun)[]> {
  const byId = new Map<string, StudyRun>();
  for (const run of runs) {
    if (byId.has(run.id)) throw new Error(`Duplicate run id ${run.id} in one sweep`);
    byId.set(run.id, run);
  }
  const outcomes = new Map<string, RunOutcome | FailedRun>();
  const toTrain: StudyRun[] = [];
  for (const run of runs) {
    const dir = path.join(context.runsDir, run.id);
    const outcome = readOutcome(run, dir, true);
    if (outcome === null) {
      // An unfinished folder from an interrupted sweep: it holds no result, so run it again.
      fs.rmSync(dir, { recursive: true, force: true });
      toTrain.push(run);
    } else {
      outcomes.set(run.id, outcome);
      context.onRunEnd?.(outcome);
    }
  }
  fs.mkdirSync(context.runsDir, { recursive: true });
  await context.executor.execute(
    toTrain.map((run) => ({ id: run.id, config: run.config })),
    context.runsDir,
    (event: ExecutorEvent) => {
      if (event.type === 'notice') context.onNotice?.(event.message);
      else if (event.type === 'progress') context.onProgress?.(event.progress, event.worker);
      else if (event.type === 'run-start') context.onRunStart?.(byId.get(event.runId)!, event.worker);
      else {
        const run = byId.get(event.attempt.runId)!;
        const dir = path.join(context.runsDir, run.id);
        let outcome: RunOutcome | FailedRun | null;
        if (event.attempt.status === 'failed') {
          outcome = { run, status: 'failed', error: event.attempt.error, attempts: event.attempt.attempts };
        } else {
          try {
            outcome = readOutcome(run, dir, false);
          } catch (error) {
            outcome = null;
            event.attempt = { ...event.attempt, status: 'failed', error: String(error), attempts: 1 };
          }
          outcome ??= {
            run,
            status: 'failed',
            error: event.attempt.status === 'failed' ? event.attempt.error : `${dir} holds no finished run.json`,
            attempts: 1,
          };
        }
        outcomes.set(run.id, outcome);
        context.onRunEnd?.(outcome);
      }
    },
  );
  return runs.map((run) => outcomes.get(run.id)!);
}

/** Runs (or resumes) every run and returns their outcomes in the order given; throws if any run failed. */
export async function runSweep(runs: readonly StudyRun[], context: SweepContext): Promise<RunOutcome[]> {
  const outcomes = await runSweepKeepingFailures(runs, context);
  const failed = outcomes.filter((outcome): outcome is FailedRun => outcome.status === 'failed');
  if (failed.length > 0) {
    throw new Error(`${failed.length} of ${runs.length} runs failed; first: ${failed[0].run.id}: ${failed[0].error}`);
  }
  return outcomes as RunOutcome[];
}
