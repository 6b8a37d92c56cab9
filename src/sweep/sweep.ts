/**
 * `inertia sweep` underneath: the grid's runs trained (or resumed) on an executor under
 * `<dir>/runs/`, then sweep.json (the grid), summary.csv (one row per run) and the report.
 * A folder that holds a sweep of another grid is refused; finished runs are never trained
 * again, unfinished ones are, and a failed run is a row with its error, not a stopped sweep.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Executor } from '../exec/executor.js';
import { makeTrainConfig } from '../train/config.js';
import { countingSweep, type RunEvent } from '../exec/runBatch.js';
import { writeCsvAtomic } from '../util/csv.js';
import { UserError } from '../util/errors.js';
import { onFile } from '../util/fs.js';
import { lockFolder } from '../util/lock.js';
import { stableJson } from '../util/json.js';
import { writeJsonFile } from '../runs/runFolder.js';
import { expandGrid, type GridRun, type SweepGrid } from './grid.js';
import { writeSweepReport } from './report.js';
import {
  bestPerOptimizer,
  edgeNotes,
  groupBySetting,
  heldOutSplit,
  summaryColumns,
  summaryRow,
  type SettingGroup,
} from './summary.js';

export interface SweepOptions {
  grid: SweepGrid;
  /** The sweep folder (runs/, sweep.json, summary.csv, report.md/html). */
  dir: string;
  executor: Executor;
  /** The command line, for the report's "reproduce" section. */
  command: string;
  /** Train a grid of more than MAX_RUNS_UNCONFIRMED runs (--yes). */
  confirmed?: boolean;
  onEvent?: (event: RunEvent) => void;
}

/** Runs a sweep trains without --yes: a larger grid is more often a typo (`--seeds 100000`) than a plan. */
export const MAX_RUNS_UNCONFIRMED = 10_000;

export interface SweepResult {
  dir: string;
  runs: { total: number; trained: number; resumed: number; failed: number; diverged: number };
  best: SettingGroup[];
  /** The split the best settings were chosen on. */
  chosenOn: 'test' | 'validation';
  /** Best values at the edge of their grid (summary.ts edgeNotes). */
  edges: string[];
  files: { sweep: string; summary: string; report: string; html: string };
  seconds: number;
}

/** The grid recorded in `file`, or a one-line error naming the file when it cannot be read. */
function storedGrid(file: string): unknown {
  const text = onFile(file, () => fs.readFileSync(file, 'utf8'));
  try {
    return (JSON.parse(text) as { grid?: unknown } | null)?.grid;
  } catch (error) {
    throw new UserError(
      `${file} is not valid JSON (${error instanceof Error ? error.message : String(error)}); fix or remove it, or choose another --out`,
    );
  }
}

/** Writes sweep.json, or checks that the one already there describes the same grid. */
function claimFolder(dir: string, grid: SweepGrid, total: number): string {
  const file = path.join(dir, 'sweep.json');
  if (fs.existsSync(file)) {
    if (stableJson(storedGrid(file)) !== stableJson(grid)) {
      throw new UserError(
        `${dir} holds a sweep of another grid (see its sweep.json); choose another --out, or use the same grid to resume it`,
      );
    }
    return file;
  }
  writeJsonFile(file, { grid, runs: total, createdAt: new Date().toISOString() });
  return file;
}

/**
 * Trains (or resumes) the grid's runs and writes the sweep's files. One sweep at a time writes
 * a folder: a second one on it is refused with one line naming the holder.
 */
export async function runGridSweep(options: SweepOptions): Promise<SweepResult> {
  const runs = expandGrid(options.grid);
  if (runs.length > MAX_RUNS_UNCONFIRMED && !options.confirmed) {
    throw new UserError(
      `This grid has ${runs.length.toLocaleString('en-US')} runs (more than ${MAX_RUNS_UNCONFIRMED.toLocaleString('en-US')}); check its lists and --seeds, or pass --yes to train them all`,
    );
  }
  // Every config is checked before any run starts: a bad value fails the sweep at once, as a flag would.
  for (const run of runs) makeTrainConfig(run.config);
  const lock = await lockFolder(options.dir, 'inertia sweep');
  try {
    return await runLocked(options, runs);
  } finally {
    await lock.release();
  }
}

async function runLocked(options: SweepOptions, runs: GridRun[]): Promise<SweepResult> {
  const started = performance.now();
  const { dir } = options;
  const sweepFile = claimFolder(dir, options.grid, runs.length);
  const runsDir = path.join(dir, 'runs');
  const total = runs.length;
  const { sweep, counts } = countingSweep(runsDir, options.executor, total, options.onEvent ?? (() => {}));
  const outcomes = await sweep(runs.map((run) => ({ id: run.id, experiment: 'sweep', config: run.config })));
  const results = runs.map((run, index) => ({ run, result: outcomes[index] }));
  const summary = path.join(dir, 'summary.csv');
  await writeCsvAtomic(summary, summaryColumns(options.grid), results.map(summaryRow));
  const groups = groupBySetting(results, options.grid);
  const { trained, resumed, failed } = counts;
  const diverged = outcomes.filter((outcome) => outcome.status === 'diverged').length;
  const seconds = (performance.now() - started) / 1000;
  const files = await writeSweepReport({
    dir,
    grid: options.grid,
    groups,
    outcomes: results,
    command: options.command,
    facts: {
      runs: `${total} (${trained} trained now, ${resumed} resumed, ${failed} failed, ${diverged} diverged)`,
      executor: options.executor.description,
      machine: `${os.cpus().length} cores, ${os.platform()} ${os.arch()}, Node ${process.version}`,
      'wall time': `${seconds.toFixed(0)} s`,
      date: new Date().toISOString(),
    },
  });
  return {
    dir,
    runs: { total, trained, resumed, failed, diverged },
    best: bestPerOptimizer(groups),
    chosenOn: heldOutSplit(options.grid),
    edges: edgeNotes(bestPerOptimizer(groups), options.grid),
    files: { sweep: sweepFile, summary, ...files },
    seconds,
  };
}
