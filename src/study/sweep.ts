/**
 * A sweep is a folder of runs. Each run is identified by a stable id; a run whose folder
 * already holds a finished run (completed or diverged) is skipped and read back from disk,
 * an unfinished folder (the study was interrupted) is removed and run again. Outcomes are
 * always derived from the files, so a resumed study reports exactly what a fresh one would.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Dataset } from '../data/index.js';
import { readMetrics, type MetricRow } from '../runs/metrics.js';
import { readRunRecord } from '../runs/runFolder.js';
import { stableJson } from '../util/json.js';
import type { TrainConfig } from '../train/config.js';
import { train, type RunResult, type TrainProgress } from '../train/train.js';
import type { TrainerPool } from './pool.js';

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
  finalTrainLoss: number;
  /** True when the run was found finished on disk and not run again. */
  resumed: boolean;
}

export interface SweepContext {
  runsDir: string;
  dataset: Dataset;
  onRunStart?: (run: StudyRun, index: number, total: number) => void;
  onProgress?: (progress: TrainProgress) => void;
  onRunEnd?: (outcome: RunOutcome, index: number, total: number) => void;
  /** Worker processes to train runs in parallel (default: one at a time, in this process). */
  pool?: TrainerPool;
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
    throw new Error(
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
    finalTrainLoss: metricAt(rows, 'train', 'loss'),
    rows,
    resumed,
  };
}

/** Trains one run (in this process or on a pool worker) unless its folder already holds it. */
async function runOne(run: StudyRun, index: number, total: number, context: SweepContext): Promise<RunOutcome> {
  const dir = path.join(context.runsDir, run.id);
  let outcome = readOutcome(run, dir, true);
  if (outcome === null) {
    // An unfinished folder from an interrupted study: it holds no result, so run it again.
    fs.rmSync(dir, { recursive: true, force: true });
    context.onRunStart?.(run, index, total);
    if (context.pool) {
      await context.pool.run({ config: run.config, outRoot: context.runsDir, runId: run.id });
    } else {
      // The study draws its own plots; per-run loss plots would only cost time here.
      await train(run.config, {
        outRoot: context.runsDir,
        runId: run.id,
        dataset: context.dataset,
        onProgress: context.onProgress,
        plot: false,
        tensorboard: false,
      });
    }
    outcome = readOutcome(run, dir, false);
    if (outcome === null) throw new Error(`Run ${run.id} finished but ${dir} holds no finished run.json`);
  }
  context.onRunEnd?.(outcome, index, total);
  return outcome;
}

/** Runs (or resumes) every run and returns their outcomes in the order given. */
export async function runSweep(runs: readonly StudyRun[], context: SweepContext): Promise<RunOutcome[]> {
  const ids = new Set<string>();
  for (const run of runs) {
    if (ids.has(run.id)) throw new Error(`Duplicate run id ${run.id} in one sweep`);
    ids.add(run.id);
  }
  const outcomes: RunOutcome[] = new Array(runs.length);
  let next = 0;
  const lane = async () => {
    while (next < runs.length) {
      const index = next++;
      outcomes[index] = await runOne(runs[index], index, runs.length, context);
    }
  };
  await Promise.all(Array.from({ length: context.pool?.size ?? 1 }, lane));
  return outcomes;
}
