/**
 * `inertia sweep` underneath: the grid's runs (or a search's trials, or successive halving's
 * rungs) trained or resumed on an executor under `<dir>/runs/`; with a validation split, each
 * best setting trained again on fresh seeds and evaluated on the test split; then sweep.json
 * (the grid), summary.csv (one row per run), pruning.csv (asha) and the report. A folder is
 * resumed or grown (folder.ts); finished runs are never trained again, unfinished ones are,
 * and a failed run is a row with its error, not a stopped sweep.
 */
import os from 'node:os';
import path from 'node:path';
import type { Executor } from '../exec/executor.js';
import { makeTrainConfig } from '../train/config.js';
import { runSweepKeepingFailures, type RunEvent } from '../exec/runBatch.js';
import { writeCsvAtomic } from '../util/csv.js';
import { UserError } from '../util/errors.js';
import { lockFolder } from '../util/lock.js';
import { FINAL_SEED_OFFSET } from '../train/heldOut.js';
import { expandGrid, seedList, type GridRun, type SweepGrid } from './grid.js';
import { claimFolder, keepTrainedIds, writeSweepFile } from './folder.js';
import { runHalving, writePruning, type RungDecision } from './halving.js';
import { writeSweepReport } from './report.js';
import {
  bestPerOptimizer,
  edgeNotes,
  groupBySetting,
  heldOutSplit,
  summaryColumns,
  summaryRow,
  type SettingGroup,
  type SweepOutcome,
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
  /**
   * `grid.validation` is the default size, not asked for: a folder swept before sweeps held a
   * validation split out by default keeps choosing on the test split.
   */
  validationByDefault?: boolean;
  onEvent?: (event: RunEvent) => void;
}

/** Runs a sweep trains without --yes: a larger grid is more often a typo (`--seeds 100000`) than a plan. */
export const MAX_RUNS_UNCONFIRMED = 10_000;

export interface SweepResult {
  dir: string;
  runs: { total: number; trained: number; resumed: number; failed: number; diverged: number };
  best: SettingGroup[];
  /** With a validation split: each best setting trained again on fresh seeds, on the test split. */
  final: SettingGroup[];
  /** The split the best settings were chosen on. */
  chosenOn: 'test' | 'validation';
  /** Best values at the edge of their grid (summary.ts edgeNotes). */
  edges: string[];
  files: { sweep: string; summary: string; report: string; html: string; pruning?: string };
  seconds: number;
}

/**
 * Trains (or resumes, or grows) the sweep and writes its files. One sweep at a time writes a
 * folder: a second one on it is refused with one line naming the holder.
 */
export async function runGridSweep(options: SweepOptions): Promise<SweepResult> {
  checkRuns(expandGrid(options.grid), options.confirmed);
  const lock = await lockFolder(options.dir, 'inertia sweep');
  try {
    return await runLocked(options);
  } finally {
    await lock.release();
  }
}

/** Refuses a typo-sized grid without --yes, and checks every config before any run starts (a bad value fails at once, as a flag would). */
function checkRuns(runs: readonly GridRun[], confirmed: boolean | undefined): void {
  if (runs.length > MAX_RUNS_UNCONFIRMED && !confirmed) {
    throw new UserError(
      `This grid has ${runs.length.toLocaleString('en-US')} runs (more than ${MAX_RUNS_UNCONFIRMED.toLocaleString('en-US')}); check its lists and --seeds, or pass --yes to train them all`,
    );
  }
  for (const run of runs) makeTrainConfig(run.config);
}

/** Trains batches of runs one after the other, with one progress count over them all. */
function batchTrainer(options: SweepOptions, runsDir: string) {
  const emit = options.onEvent ?? (() => {});
  const state = { done: 0, total: 0, resumed: 0 };
  const train = async (runs: GridRun[]): Promise<SweepOutcome[]> => {
    state.total += runs.length;
    const outcomes = await runSweepKeepingFailures(
      runs.map((run) => ({ id: run.id, experiment: 'sweep', config: run.config })),
      {
        runsDir,
        executor: options.executor,
        onRunStart: (run, worker) => emit({ type: 'run-start', run, worker, done: state.done, total: state.total }),
        onProgress: (progress, worker) =>
          emit({ type: 'progress', progress, worker, done: state.done, total: state.total }),
        onNotice: (message) => emit({ type: 'notice', message }),
        onRunDamaged: (run, problem) => emit({ type: 'run-damaged', run, problem }),
        onRunEnd: (outcome) => {
          state.done += 1;
          if (outcome.status !== 'failed' && outcome.resumed) state.resumed += 1;
          emit({ type: 'run-end', outcome, done: state.done, total: state.total });
        },
      },
    );
    return runs.map((run, index) => ({ run, result: outcomes[index] }));
  };
  return { train, state };
}

/**
 * The chosen settings trained again on fresh seeds (FINAL_SEED_OFFSET + s for each seed s that
 * chose), on the same training examples, evaluated on the test split.
 */
export function finalRuns(best: readonly SettingGroup[], grid: SweepGrid): GridRun[] {
  return best.flatMap((group) => {
    const base = group.runs[0].run;
    const stem = `final-${base.id.replace(/-seed\d+$/, '')}`;
    return seedList(grid).map((seed) => ({
      ...base,
      id: `${stem}-seed${FINAL_SEED_OFFSET + seed}`,
      seed: FINAL_SEED_OFFSET + seed,
      config: {
        ...base.config,
        seed: FINAL_SEED_OFFSET + seed,
        validation: { ...base.config.validation!, evaluate: 'test' },
      },
    }));
  });
}

/** The selection runs: the grid's product or a random search's trials, or successive halving's rungs. */
async function runSelection(
  grid: SweepGrid,
  runsDir: string,
  train: (runs: GridRun[]) => Promise<SweepOutcome[]>,
): Promise<{ outcomes: SweepOutcome[]; candidates: SweepOutcome[]; decisions?: RungDecision[] }> {
  if (grid.search?.kind === 'asha') {
    const halving = await runHalving(grid, train);
    return { outcomes: halving.outcomes, candidates: halving.lastRung, decisions: halving.decisions };
  }
  const outcomes = await train(keepTrainedIds(expandGrid(grid), runsDir));
  return { outcomes, candidates: outcomes };
}

async function runLocked(options: SweepOptions): Promise<SweepResult> {
  const started = performance.now();
  const { dir } = options;
  const claimed = claimFolder(dir, options.grid, options.validationByDefault ?? false);
  const grid = claimed.grid;
  const emit = options.onEvent ?? (() => {});
  if (claimed.grid !== options.grid) checkRuns(expandGrid(grid), options.confirmed);
  writeSweepFile(claimed, expandGrid(grid).length);
  for (const message of claimed.notices) emit({ type: 'notice', message });
  const runsDir = path.join(dir, 'runs');
  const { train, state } = batchTrainer(options, runsDir);
  const selection = await runSelection(grid, runsDir, train);
  const groups = groupBySetting(selection.outcomes, grid);
  const best = bestPerOptimizer(groupBySetting(selection.candidates, grid));
  const finalOutcomes = grid.validation === undefined ? [] : await train(finalRuns(best, grid));
  const final = groupBySetting(finalOutcomes, grid, 'test');
  const summary = path.join(dir, 'summary.csv');
  await writeCsvAtomic(summary, summaryColumns(grid), [
    ...selection.outcomes.map((outcome) => summaryRow(outcome, 'selection')),
    ...finalOutcomes.map((outcome) => summaryRow(outcome, 'final')),
  ]);
  const pruning = selection.decisions === undefined ? undefined : path.join(dir, 'pruning.csv');
  if (pruning !== undefined) await writePruning(pruning, selection.decisions!);
  const all = [...selection.outcomes, ...finalOutcomes];
  const failed = all.filter(({ result }) => result.status === 'failed').length;
  const diverged = all.filter(({ result }) => result.status === 'diverged').length;
  const { total, resumed } = state;
  const trained = total - resumed - failed;
  const seconds = (performance.now() - started) / 1000;
  const edges = edgeNotes(best, grid);
  const files = await writeSweepReport({
    dir,
    grid,
    groups,
    best,
    final,
    decisions: selection.decisions,
    outcomes: all,
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
    best,
    final,
    chosenOn: heldOutSplit(grid),
    edges,
    files: { sweep: claimed.file, summary, ...(pruning === undefined ? {} : { pruning }), ...files },
    seconds,
  };
}
