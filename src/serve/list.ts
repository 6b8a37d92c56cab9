/** The runs table of a folder, filtered and sorted: what the dashboard's API and `inertia runs ls` answer. */
import type { RunCatalog, RunSummary } from './catalog.js';
import { metricsOf, queryRuns, tableColumns } from './query.js';

export interface RunList {
  folder: string;
  /** Runs in the folder before filtering. */
  total: number;
  runs: RunSummary[];
  /** Every `split/metric` of the folder's runs. */
  metrics: string[];
  /** The table's columns after id and status. */
  columns: string[];
}

export function listRuns(catalog: RunCatalog, query: { filter?: string; sort?: string }): RunList {
  const all = catalog.runs().map((entry) => entry.summary);
  return {
    folder: catalog.root,
    total: all.length,
    runs: queryRuns(all, query),
    metrics: metricsOf(all),
    columns: tableColumns(all),
  };
}
