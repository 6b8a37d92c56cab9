/**
 * The rows of a sweep's summary.csv (one per run: every hyperparameter, the seed, the final
 * metrics and the status) and the groups of runs that share a setting across seeds.
 */
import type { FailedRun, RunOutcome } from '../exec/runBatch.js';
import { tInterval, type Interval } from '../util/intervals.js';
import { boundedMeanInterval } from '../util/stats.js';
import { GRID_FIELDS, NUMERIC_GRID_FIELDS, type GridField, type GridRun, type SweepGrid } from './grid.js';

export type SweepOutcome = { run: GridRun; result: RunOutcome | FailedRun };

/** A run that helps choose (on the held-out split of the sweep), or a final run of a chosen setting on fresh seeds. */
export type Purpose = 'selection' | 'final';

const column = (field: GridField) => field.replace(/-/g, '_');

export function summaryColumns(grid: SweepGrid): string[] {
  const fields = GRID_FIELDS.filter(
    (field) => grid.values[field] !== undefined || grid.distributions?.[field] !== undefined,
  ).map(column);
  return [
    'run_id',
    ...(grid.search === undefined ? [] : ['trial']),
    ...fields,
    'seed',
    // With a validation split: `selection` runs evaluate on it, `final` runs (fresh seeds) on the test split.
    ...(grid.validation === undefined ? [] : ['purpose']),
    'status',
    ...(grid.validation === undefined ? [] : ['final_validation_accuracy', 'final_validation_loss']),
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
export function summaryRow({ run, result }: SweepOutcome, purpose: Purpose): Record<string, string | number> {
  const row: Record<string, string | number> = { run_id: run.id, trial: run.trial ?? '' };
  for (const field of GRID_FIELDS) row[column(field)] = run.settings[field] ?? '';
  row.seed = run.seed;
  row.purpose = purpose;
  row.status = result.status;
  if (result.status === 'failed') {
    Object.assign(row, {
      final_validation_accuracy: '',
      final_validation_loss: '',
      final_test_accuracy: '',
      final_test_loss: '',
      final_train_loss: '',
      diverged_at_step: '',
      steps: '',
      seconds: '',
      error: result.error,
    });
  } else {
    const cell = (value: number) => (Number.isNaN(value) ? '' : value);
    Object.assign(row, {
      final_validation_accuracy: cell(result.finalValidationAccuracy),
      final_validation_loss: cell(result.finalValidationLoss),
      final_test_accuracy: cell(result.finalTestAccuracy),
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
  /** The trial of a random or asha search. */
  trial?: number;
  runs: SweepOutcome[];
  failed: number;
  diverged: number;
  /** Every finished run of the setting diverged (and none failed): no estimate to compare. */
  allDiverged: boolean;
  /** Final accuracy and loss on the split the runs evaluate on (heldOutSplit). */
  accuracy: Interval;
  loss: Interval;
}

/** The split a sweep's runs evaluate on and its best settings are chosen on. */
export function heldOutSplit(grid: SweepGrid): 'validation' | 'test' {
  return grid.validation === undefined ? 'test' : 'validation';
}

/** Fields whose value differs between settings: lists of two or more, distributions, and the rungs' epochs. */
function varyingFields(grid: SweepGrid): GridField[] {
  return GRID_FIELDS.filter(
    (field) =>
      field !== 'optimizer' &&
      ((grid.values[field]?.length ?? 0) > 1 ||
        grid.distributions?.[field] !== undefined ||
        (field === 'epochs' && grid.search?.kind === 'asha')),
  );
}

/**
 * Runs grouped by setting (a trial of a search is a setting of its own, even when two trials
 * draw the same values), on `split` (default: the sweep's held-out split).
 */
export function groupBySetting(
  outcomes: readonly SweepOutcome[],
  grid: SweepGrid,
  split: 'validation' | 'test' = heldOutSplit(grid),
): SettingGroup[] {
  const varying = varyingFields(grid);
  const groups = new Map<string, SweepOutcome[]>();
  for (const outcome of outcomes) {
    const key = JSON.stringify([
      outcome.run.trial ?? null,
      ...GRID_FIELDS.map((field) => outcome.run.settings[field] ?? null),
    ]);
    groups.set(key, [...(groups.get(key) ?? []), outcome]);
  }
  return [...groups.values()].map((runs) => {
    const { settings, trial } = runs[0].run;
    const finished = runs.flatMap(({ result }) => (result.status === 'failed' ? [] : [result]));
    const diverged = finished.filter((result) => result.status === 'diverged').length;
    const onValidation = split === 'validation';
    const values = varying
      .filter((field) => settings[field] !== undefined)
      .map((field) => `${field}=${settings[field]}`);
    const accuracies = finished.map((r) => (onValidation ? r.finalValidationAccuracy : r.finalTestAccuracy));
    return {
      optimizer: String(settings.optimizer),
      label: [...(trial === undefined ? [] : [`trial ${trial}:`]), ...values].join(' ') || 'default',
      settings,
      trial,
      runs,
      failed: runs.length - finished.length,
      diverged,
      allDiverged: diverged > 0 && diverged === runs.length,
      accuracy: boundedMeanInterval(tInterval(accuracies), 0, 1),
      loss: tInterval(finished.map((r) => (onValidation ? r.finalValidationLoss : r.finalTestLoss))),
    };
  });
}

/**
 * The best setting of each optimizer: the highest mean final accuracy over its seeds on the
 * held-out split (validation when the sweep has one), among settings where no run failed and
 * not every run diverged (ties: the first in grid order).
 */
export function bestPerOptimizer(groups: readonly SettingGroup[]): SettingGroup[] {
  const best = new Map<string, SettingGroup>();
  for (const group of groups) {
    if (group.failed > 0 || group.allDiverged || !Number.isFinite(group.accuracy.estimate)) continue;
    const current = best.get(group.optimizer);
    if (current === undefined || group.accuracy.estimate > current.accuracy.estimate) best.set(group.optimizer, group);
  }
  return [...best.values()];
}

/**
 * One line per numeric field swept over two or more values where an optimizer's best setting
 * takes the smallest or the largest value of the grid: the optimum may lie outside it.
 */
export function edgeNotes(best: readonly SettingGroup[], grid: SweepGrid): string[] {
  return best.flatMap((group) =>
    NUMERIC_GRID_FIELDS.flatMap((field) => {
      const value = group.settings[field];
      const list = (grid.values[field] ?? []).map(Number);
      if (value === undefined || new Set(list).size < 2) return [];
      const side =
        Number(value) === Math.min(...list) ? 'smallest' : Number(value) === Math.max(...list) ? 'largest' : null;
      if (side === null) return [];
      return [
        `${group.optimizer}: best ${field} = ${value} is the ${side} of ${list.join(', ')}: at the edge of the grid: extend it`,
      ];
    }),
  );
}
