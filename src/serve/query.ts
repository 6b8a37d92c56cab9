/**
 * Filters and sort orders over run summaries, as typed in the dashboard or on the command line:
 * `optimizer.kind=adam test/accuracy>0.9 heavy` keeps the runs whose field `optimizer.kind` is
 * `adam`, whose final `test/accuracy` is above 0.9, and whose id contains `heavy`. `tag=baseline`
 * keeps the runs tagged `baseline` (`tag!=baseline` the others); `tags` and `note` are fields too.
 */
import { differingFields } from '../compare/settings.js';
import { UserError } from '../util/errors.js';
import type { RunSummary } from './catalog.js';

type Operator = '!=' | '>=' | '<=' | '=' | '>' | '<';

export interface FilterTerm {
  field: string | null;
  operator: Operator | 'contains';
  value: string;
}

/** A filter that cannot be read. */
export class FilterError extends UserError {}

/** Splits `text` into terms separated by spaces: `field=value`, `field!=value`, `field>number`, ... or plain text. */
export function parseFilter(text: string): FilterTerm[] {
  return text
    .split(/\s+/)
    .filter((word) => word !== '')
    .map((word) => {
      const match = /^([^=!<>]*)(!=|>=|<=|=|>|<)(.*)$/.exec(word);
      if (match === null) return { field: null, operator: 'contains', value: word.toLowerCase() };
      const [, field, operator, value] = match;
      if (field === '') {
        throw new FilterError(
          `Filter term "${word}" names no field; write field${operator}value, e.g. optimizer.kind=adam`,
        );
      }
      const numeric = operator !== '=' && operator !== '!=';
      if (numeric && (value === '' || !Number.isFinite(Number(value)))) {
        throw new FilterError(
          `Filter term "${word}" compares with "${value}", which is not a number; e.g. test/accuracy>0.9`,
        );
      }
      return { field, operator: operator as Operator, value };
    });
}

/**
 * A run's value of `field`: `id`, `status`, `tags` (comma-separated), `note`, a config field
 * (`optimizer.kind`) or a final metric (`test/loss`).
 */
export function fieldValue(run: RunSummary, field: string): string | number | boolean | null | undefined {
  if (field === 'id') return run.id;
  if (field === 'status') return run.status;
  if (field === 'tags' || field === 'tag') return run.tags.length > 0 ? run.tags.join(',') : undefined;
  if (field === 'note') return run.note !== '' ? run.note : undefined;
  if (field in run.final) return run.final[field];
  return run.config[field];
}

function matches(run: RunSummary, term: FilterTerm): boolean {
  if (term.field === null) return run.id.toLowerCase().includes(term.value);
  if ((term.field === 'tag' || term.field === 'tags') && (term.operator === '=' || term.operator === '!=')) {
    return run.tags.includes(term.value) === (term.operator === '=');
  }
  const value = fieldValue(run, term.field);
  if (value === undefined) return term.operator === '!=';
  switch (term.operator) {
    case '=':
      return String(value) === term.value;
    case '!=':
      return String(value) !== term.value;
    default: {
      const number = typeof value === 'number' ? value : Number(value);
      if (value === null || typeof value === 'boolean' || !Number.isFinite(number)) return false;
      const bound = Number(term.value);
      if (term.operator === '>') return number > bound;
      if (term.operator === '<') return number < bound;
      if (term.operator === '>=') return number >= bound;
      return number <= bound;
    }
  }
}

/** The runs that satisfy every term of `filter`. */
export function filterRuns(runs: readonly RunSummary[], filter: string): RunSummary[] {
  const terms = parseFilter(filter);
  return runs.filter((run) => terms.every((term) => matches(run, term)));
}

/**
 * The runs sorted by `sort`, a field (ascending) or `-field` (descending). Runs without the
 * field come last in either order; numbers compare as numbers, the rest as text.
 */
export function sortRuns(runs: readonly RunSummary[], sort: string): RunSummary[] {
  const descending = sort.startsWith('-');
  const field = descending ? sort.slice(1) : sort;
  if (field === '') return [...runs];
  const keyed = runs.map((run) => ({ run, value: fieldValue(run, field) }));
  const present = keyed.filter((entry) => entry.value !== undefined && entry.value !== null);
  const missing = keyed.filter((entry) => entry.value === undefined || entry.value === null);
  present.sort((a, b) => {
    const order =
      typeof a.value === 'number' && typeof b.value === 'number'
        ? a.value - b.value
        : String(a.value).localeCompare(String(b.value), undefined, { numeric: true });
    return descending ? -order : order;
  });
  return [...present, ...missing].map((entry) => entry.run);
}

/** The runs kept by `filter`, in the order of `sort` (both may be empty); a sort field no run has is refused. */
export function queryRuns(runs: readonly RunSummary[], query: { filter?: string; sort?: string }): RunSummary[] {
  const sort = query.sort ?? '';
  const field = sort.replace(/^-/, '');
  if (field !== '' && runs.length > 0 && runs.every((run) => fieldValue(run, field) === undefined)) {
    throw new FilterError(
      `No run has the field ${JSON.stringify(field)} to sort by; sort by id, status, a config field (optimizer.learningRate) or a metric (test/accuracy), with - for descending`,
    );
  }
  return sortRuns(filterRuns(runs, query.filter ?? ''), sort);
}

/** Metrics shown as table columns: what a run is judged on, not its timings. */
const COLUMN_METRIC = /^(validation|test)\/|^train\/loss$/;

/** Every `split/metric` any of `runs` wrote, sorted. */
export function metricsOf(runs: readonly RunSummary[]): string[] {
  return [...new Set(runs.flatMap((run) => Object.keys(run.final)))].sort();
}

/**
 * The columns of a runs table after id and status: tags and note (when a run has them), the
 * config fields that differ between runs, then the judged metrics.
 */
export function tableColumns(runs: readonly RunSummary[]): string[] {
  const labels = [
    ...(runs.some((run) => run.tags.length > 0) ? ['tags'] : []),
    ...(runs.some((run) => run.note !== '') ? ['note'] : []),
  ];
  const fields = differingFields(runs.filter((run) => run.status !== 'unreadable').map((run) => run.config));
  return [...labels, ...fields, ...metricsOf(runs).filter((metric) => COLUMN_METRIC.test(metric))];
}
