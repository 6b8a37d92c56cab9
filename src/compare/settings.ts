/**
 * The hyperparameters of a run as flat `path=value` fields (`optimizer.learningRate`), the
 * fields that differ between runs, and the legend labels and seed groups built from them.
 */
import type { StoredRun } from '../runs/readRun.js';
import { UserError } from '../util/errors.js';

export type FieldValue = string | number | boolean | null;
export type FlatConfig = Record<string, FieldValue>;

/** Fields that never name a setting: where the files were read from, and what the data turned out to be. */
const NOT_A_SETTING = [/^dataDir$/, /^data\./];

/** Nested objects become dotted paths; arrays become comma-separated strings (`hidden: "256,128"`). */
export function flattenConfig(config: Record<string, unknown>, prefix = ''): FlatConfig {
  const flat: FlatConfig = {};
  for (const [key, value] of Object.entries(config)) {
    const name = prefix === '' ? key : `${prefix}.${key}`;
    // A list of objects (a chain's stages) is flattened entry by entry: `optimizer.stages.0.name`.
    if (Array.isArray(value) && !value.some((entry) => typeof entry === 'object' && entry !== null))
      flat[name] = value.join(',');
    else if (value !== null && typeof value === 'object')
      Object.assign(flat, flattenConfig(value as Record<string, unknown>, name));
    else if (value !== undefined) flat[name] = value as FieldValue;
  }
  return flat;
}

/** True for a hyperparameter; false for where the data came from and what it turned out to be (`dataDir`, `data.*`). */
export function isSetting(field: string): boolean {
  return !NOT_A_SETTING.some((pattern) => pattern.test(field));
}

/** The union of the fields of `configs`, sorted. */
export function fieldsOf(configs: readonly FlatConfig[]): string[] {
  return [...new Set(configs.flatMap((config) => Object.keys(config)))].sort();
}

/** The setting fields whose value is not the same in every config (a missing field counts as a value). */
export function differingFields(configs: readonly FlatConfig[]): string[] {
  return fieldsOf(configs).filter(
    (field) => isSetting(field) && new Set(configs.map((config) => JSON.stringify(config[field] ?? null))).size > 1,
  );
}

/** Checks that every requested label field exists in at least one run. */
export function checkLabelFields(fields: readonly string[], configs: readonly FlatConfig[]): void {
  const known = fieldsOf(configs);
  for (const field of fields) {
    if (!known.includes(field)) {
      throw new UserError(
        `Unknown --label field ${JSON.stringify(field)}; the runs' config.json fields are: ${known.filter(isSetting).join(', ')}`,
      );
    }
  }
}

/** The short name of a field in a legend: its last path segment unless two chosen fields share it. */
function shortNames(fields: readonly string[]): string[] {
  const last = fields.map((field) => field.split('.').at(-1)!);
  return fields.map((field, i) => (last.filter((name) => name === last[i]).length > 1 ? field : last[i]));
}

/** `kind=heavy-ball learningRate=0.1`, or `fallback` when no field is chosen. */
export function labelOf(config: FlatConfig, fields: readonly string[], fallback: string): string {
  if (fields.length === 0) return fallback;
  const names = shortNames(fields);
  return fields.map((field, i) => `${names[i]}=${config[field] ?? '-'}`).join(' ');
}

/** Runs that share every setting but the seed form one group (their final metrics get a mean and interval). */
export function settingKey(config: FlatConfig): string {
  const entries = Object.keys(config)
    .filter((field) => isSetting(field) && field !== 'seed')
    .sort()
    .map((field) => [field, config[field]]);
  return JSON.stringify(entries);
}

/** Fields that make runs incomparable: their losses and accuracies measure different things. */
const MUST_MATCH: readonly { field: string; what: string }[] = [
  { field: 'dataset', what: 'datasets' },
  { field: 'model', what: 'models' },
  { field: 'hidden', what: 'hidden layer sizes' },
];

/** Throws a UserError naming the first field in MUST_MATCH on which the runs disagree. */
export function checkComparable(runs: readonly { run: StoredRun; flat: FlatConfig }[]): void {
  for (const { field, what } of MUST_MATCH) {
    const byValue = new Map<string, string[]>();
    for (const { run, flat } of runs) {
      const value = String(flat[field] ?? '-');
      byValue.set(value, [...(byValue.get(value) ?? []), run.id]);
    }
    if (byValue.size > 1) {
      const groups = [...byValue].map(
        ([value, ids]) => `${value}: ${ids.slice(0, 2).join(', ')}${ids.length > 2 ? ', ...' : ''}`,
      );
      throw new UserError(
        `These runs use different ${what} (${groups.join('; ')}), so their metrics are not comparable; pass --force to plot them together anyway`,
      );
    }
  }
}
