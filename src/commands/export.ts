/**
 * `inertia export tensorboard`: TensorBoard event files (scalars and hyperparameters) for run
 * folders of any source, e.g. runs trained before sweeps and the study wrote their own. Runs
 * are written one after the other, each file written whole and closed, so a thousand runs cost
 * no more open files or memory than one.
 */
import path from 'node:path';
import { findRunFolders } from '../compare/select.js';
import { writeRunEvents } from '../runs/tensorboard.js';

export const EXPORT_FORMATS = ['tensorboard'] as const;

export interface ExportResult {
  format: (typeof EXPORT_FORMATS)[number];
  /** The event file of each run written; `scalars` false when the run's older event files keep its scalars. */
  runs: { dir: string; file: string; scalars: boolean }[];
  /** Folders that look like runs but could not be read (e.g. a run that failed before any metric). */
  skipped: { dir: string; reason: string }[];
  /** The folder to give `tensorboard --logdir`: the deepest folder that holds every run. */
  logdir: string;
  seconds: number;
}

function commonParent(dirs: readonly string[]): string {
  const parts = dirs.map((dir) => path.resolve(dir).split(path.sep));
  const shared: string[] = [];
  for (let i = 0; parts.every((p) => i < p.length - 1 && p[i] === parts[0][i]); i++) shared.push(parts[0][i]);
  return shared.join(path.sep) || path.sep;
}

export function exportTensorboard(
  patterns: readonly string[],
  onRun: (done: number, total: number, dir: string) => void = () => {},
): ExportResult {
  const started = performance.now();
  const folders = findRunFolders(patterns);
  const runs: ExportResult['runs'] = [];
  const skipped: ExportResult['skipped'] = [];
  for (const [index, dir] of folders.entries()) {
    try {
      runs.push({ dir, ...writeRunEvents(dir) });
    } catch (error) {
      skipped.push({ dir, reason: error instanceof Error ? error.message : String(error) });
    }
    onRun(index + 1, folders.length, dir);
  }
  return {
    format: 'tensorboard',
    runs,
    skipped,
    logdir: commonParent(folders),
    seconds: (performance.now() - started) / 1000,
  };
}

export function formatExport(result: ExportResult): string {
  const kept = result.runs.filter((run) => !run.scalars).length;
  return [
    `TensorBoard event files written for ${result.runs.length} run${result.runs.length === 1 ? '' : 's'} in ${result.seconds.toFixed(1)} s` +
      (kept > 0 ? ` (${kept} kept their older scalars; hyperparameters added)` : ''),
    ...result.skipped.map((skip) => `  skipped ${skip.dir}: ${skip.reason}`),
    `  view them: tensorboard --logdir ${result.logdir}`,
  ].join('\n');
}
