/** `inertia runs ls`: the runs of a folder as a table, filtered and sorted as the dashboard does. */
import { openCatalog } from '../serve/catalog.js';
import { listRuns, type RunList } from '../serve/list.js';
import { fieldValue } from '../serve/query.js';
import { formatNumber } from '../util/format.js';
import { markdownTable } from '../util/markdown.js';

export interface RunsLsArgs {
  folder: string;
  filter: string;
  sort: string;
}

export function runsLs(args: RunsLsArgs): RunList {
  return listRuns(openCatalog(args.folder), { filter: args.filter, sort: args.sort });
}

export function formatRunsLs(list: RunList): string {
  const columns = ['id', 'status', ...list.columns];
  const rows = list.runs.map((run) =>
    columns.map((column) => {
      const value = fieldValue(run, column);
      if (typeof value === 'number') return Number.isInteger(value) ? String(value) : formatNumber(value, 4);
      return value === undefined || value === null ? '' : String(value);
    }),
  );
  const count = `${list.runs.length} of ${list.total} runs under ${list.folder}`;
  return list.runs.length === 0 ? count : `${markdownTable(columns, rows)}\n\n${count}`;
}
