/** A finished (or interrupted) run read back from its folder: config, record and metrics. */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../util/errors.js';
import { readMetrics, type MetricRow } from './metrics.js';
import type { RunRecord } from './runFolder.js';

export interface StoredRun {
  /** The folder name. */
  id: string;
  dir: string;
  /** config.json as written by the run (a TrainConfig plus the `data` facts). */
  config: Record<string, unknown>;
  record: RunRecord;
  rows: MetricRow[];
  /** run.json's tags (none for runs written before tags existed). */
  tags: string[];
  /** run.json's note ('' when there is none). */
  note: string;
}

/** The tags and note of a run.json; a run written before they existed has none. */
export function labelsOfRecord(record: RunRecord): { tags: string[]; note: string } {
  const tags = Array.isArray(record.tags) ? record.tags.filter((tag) => typeof tag === 'string') : [];
  return { tags, note: typeof record.note === 'string' ? record.note : '' };
}

/** A folder that is not a run folder, or one whose files cannot be read. */
export class RunFolderError extends UserError {}

/** True when `dir` holds a run (its run.json and config.json). */
export function isRunFolder(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'run.json')) && fs.existsSync(path.join(dir, 'config.json'));
}

function readJson(file: string): Record<string, unknown> {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new RunFolderError(`Cannot read ${file} (${reason}); is it a run folder written by inertia?`);
  }
}

/** Reads config.json, run.json and metrics.csv of the run folder `dir`. */
export function readRun(dir: string): StoredRun {
  for (const name of ['config.json', 'run.json', 'metrics.csv']) {
    if (!fs.existsSync(path.join(dir, name))) {
      throw new RunFolderError(
        `${dir} is not a run folder (no ${name}); pass folders written by inertia train, sweep or study`,
      );
    }
  }
  const config = readJson(path.join(dir, 'config.json'));
  const record = readJson(path.join(dir, 'run.json')) as unknown as RunRecord;
  let rows: MetricRow[];
  try {
    rows = readMetrics(path.join(dir, 'metrics.csv'));
  } catch (error) {
    throw new RunFolderError(error instanceof Error ? error.message : String(error));
  }
  return { id: path.basename(path.resolve(dir)), dir, config, record, rows, ...labelsOfRecord(record) };
}
