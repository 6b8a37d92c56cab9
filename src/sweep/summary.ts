/**
 * The rows of a sweep's summary.csv (one per run: every hyperparameter, the seed, the final
 * metrics and the status) and the groups of runs that share a setting across seeds.
 */
import type { FailedRun, RunOutcome } from '../study/sweep.js';
import { tInterval, type Interval } from '../study/stats.js';
import { boundedMeanInterval } from '../util/stats.js';
import { GRID_FIELDS, type GridField, type GridRun, type SweepGrid } from './grid.js';

export type SweepOutcome = { run: GridRun; result: RunOutcome | FailedRun };

const column = (field: GridField) => field.replace(/-/g, '_');

export function summaryColumns(grid: SweepGrid): string[] {
  const fields = GRID_FIELDS.filter((field) => grid.values[field] !== undefined).map(column);
  return [
    'run_id',
    ...fields,
    'seed',
    'status',
    'final_test_accuracy',
    'final_test_loss',
    'final_train_loss',
    'diverged_at_step',
    'steps',
    'seconds',
    'error',
  ];
}

/** One summary row; a field that does not apply to the run's optimizer is an empty cell. */
export function summaryRow({ run, result }: SweepOutcome): Record<string, string | number> {
  const row: Record<string, string | number> = { run_id: run.id };
  for (const field of GRID_FIELDS) row[column(field)] = run.settings[field] ?? '';
  row.seed = run.seed;
  row.status = result.status;
  if (result.status === 'failed') {
    Object.assign(row, {
      final_test_accuracy: '',
      final_test_loss: '',
      final_train_loss: '',
      diverged_at_step: '',
      steps: '',
      seconds: '',
      error: result.error,
    });
  } else {
    Object.assign(row, {
      final_test_accuracy: result.finalTestAccuracy,
      final_test_loss: result.finalTestLoss,
      final_train_loss: result.finalTrainLoss,
      diverged_at_step: result.divergedAtStep ?? '',
      steps: result.steps,
      seconds: result.seconds,
      error: '',
    });
  }
  return row;
}

/** Runs that share every setting but the seed. */
export interface SettingGroup {
  optimizer: string;
  /** The setting without the optimizer, e.g. "lr=0.1 momentum=0.9" (fields that vary in the grid). */
  label: string;
  settings: GridRun['settings'];
  runs: SweepOutcome[];
  failed: number;
  diverged: number;
  accuracy: Interval;
  loss: Interval;
}

export function groupBySetting(outcomes: readonly SweepOutcome[], grid: SweepGrid): SettingGroup[] {
  const varying = GRID_FIELDS.filter((field) => field !== 'optimizer' && (grid.values[field]?.length ?? 0) > 1);
  const groups = new Map<string, SweepOutcome[]>();
  for (const outcome of outcomes) {
    const key = JSON.stringify(GRID_FIELDS.map((field) => outcome.run.settings[field] ?? null));
    groups.set(key, [...(groups.get(key) ?? []), outcome]);
  }
  return [...groups.values()].map((runs) => {
    const settings = runs[0].run.settings;
    const finished = runs.flatMap(({ result }) => (result.status === 'failed' ? [] : [result]));
    return {
      optimizer: String(settings.optimizer),
      label:
        varying
          .filter((field) => settings[field] !== undefined)
          .map((field) => `${field}=${settings[field]}`)
          .join(' ') || 'default',
      settings,
      runs,
      failed: runs.length - finished.length,
      diverged: finished.filter((result) => result.status === 'diverged').length,
      accuracy: boundedMeanInterval(tInterval(finished.map((result) => result.finalTestAccuracy)), 0, 1),
      loss: tInterval(finished.map((result) => result.finalTestLoss)),
    };
  });
}

/**
 * The best setting of each optimizer: the highest mean final test accuracy over its seeds,
 * among settings where no run failed (ties: the first in grid order).
 */
export function bestPerOptimizer(groups: readonly SettingGroup[]): SettingGroup[] {
  const best = new Map<string, SettingGroup>();
  for (const group of groups) {
    if (group.failed > 0 || !Number.isFinite(group.accuracy.estimate)) continue;
    const current = best.get(group.optimizer);
    if (current === undefined || group.accuracy.estimate > current.accuracy.estimate) best.set(group.optimizer, group);
  }
  return [...best.values()];
}
