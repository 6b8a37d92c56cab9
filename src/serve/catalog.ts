/**
 * Every run folder below a folder, read as it is now: finished runs, and running ones whose
 * metrics.csv is still growing. A run is read again only when one of its files changed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { runFoldersBelow } from '../compare/select.js';
import { flattenConfig, type FlatConfig } from '../compare/settings.js';
import { readMetrics, type MetricRow } from '../runs/metrics.js';
import { labelsOfRecord, type StoredRun } from '../runs/readRun.js';
import type { RunStatus } from '../runs/runFolder.js';
import { UserError } from '../util/errors.js';

/** What the runs table shows of one run. */
export interface RunSummary {
  /** The run folder's path relative to the served folder, with `/` separators. */
  id: string;
  status: RunStatus | 'unreadable';
  startedAt: string | null;
  stoppedAt: string | null;
  config: FlatConfig;
  /** The last value of every `split/metric` the run wrote. */
  final: Record<string, number>;
  /** The run's tags and note (run.json). */
  tags: string[];
  note: string;
  /** Why the run could not be read (status `unreadable`). */
  error?: string;
}

export interface CatalogRun {
  summary: RunSummary;
  /** The run's files (null when they could not be read). */
  run: StoredRun | null;
}

/** The last value of each `split/metric` in `rows`. */
function finalValues(rows: readonly MetricRow[]): Record<string, number> {
  const final: Record<string, number> = {};
  for (const row of rows) final[`${row.split}/${row.metric}`] = row.value;
  return final;
}

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
}

/** A run folder read as it is now; a running run may have no metrics.csv yet. */
function readCatalogRun(id: string, dir: string): CatalogRun {
  try {
    const config = readJson(path.join(dir, 'config.json'));
    const record = readJson(path.join(dir, 'run.json')) as unknown as StoredRun['record'];
    const metricsFile = path.join(dir, 'metrics.csv');
    const rows = fs.existsSync(metricsFile) ? readMetrics(metricsFile) : [];
    const labels = labelsOfRecord(record);
    return {
      run: { id, dir, config, record, rows, ...labels },
      summary: {
        id,
        status: record.status,
        startedAt: record.startedAt ?? null,
        stoppedAt: record.stoppedAt ?? null,
        config: flattenConfig(config),
        final: finalValues(rows),
        ...labels,
      },
    };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      run: null,
      summary: {
        id,
        status: 'unreadable',
        startedAt: null,
        stoppedAt: null,
        config: {},
        final: {},
        tags: [],
        note: '',
        error: reason,
      },
    };
  }
}

/** Size and modification time of a run's files: a run is read again when this changes. */
function stampOf(dir: string): string {
  return ['config.json', 'run.json', 'metrics.csv']
    .map((name) => {
      try {
        const stat = fs.statSync(path.join(dir, name));
        return `${stat.size}:${stat.mtimeMs}`;
      } catch {
        return '-';
      }
    })
    .join(',');
}

/** The run folders below `root`, read again on each `runs()` call when their files changed. */
export class RunCatalog {
  private readonly cache = new Map<string, { stamp: string; entry: CatalogRun }>();

  constructor(readonly root: string) {}

  /** Every run below the root, sorted by id. */
  runs(): CatalogRun[] {
    const found = fs.existsSync(this.root) ? runFoldersBelow(this.root) : [];
    const entries = found.map((dir) => {
      const relative = path.relative(this.root, dir);
      const id = relative === '' ? path.basename(path.resolve(dir)) : relative.split(path.sep).join('/');
      const stamp = stampOf(dir);
      const cached = this.cache.get(id);
      if (cached?.stamp === stamp) return cached.entry;
      const entry = readCatalogRun(id, dir);
      this.cache.set(id, { stamp, entry });
      return entry;
    });
    return entries.sort((a, b) => a.summary.id.localeCompare(b.summary.id));
  }
}

/** The catalog of `folder`, which must be a folder (it may hold no run yet). */
export function openCatalog(folder: string): RunCatalog {
  const resolved = path.resolve(folder);
  if (!fs.existsSync(resolved) || !fs.statSync(resolved).isDirectory()) {
    throw new UserError(`${folder} is not a folder; pass a folder of runs (a train --out, a sweep or a study)`);
  }
  return new RunCatalog(resolved);
}
