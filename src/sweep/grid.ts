/**
 * A user's grid: lists of values per field (from flags or a JSON/YAML file), expanded into one
 * run per combination and seed. An optimizer field applies only to the kinds that take it
 * (with `--optimizer heavy-ball,sgd --momentum 0.9`, sgd runs without momentum); a field that
 * no listed kind takes is an error. Run ids name the optimizer and every field that varies.
 */
import { readUserFile } from '../util/fs.js';
import { parse as parseYaml } from 'yaml';
import { BUILTIN_OPTIMIZER_KINDS, fieldsOf, OPTIMIZER_KINDS, type OptimizerField } from '../optimizers/kinds.js';
import { TRAIN_DEFAULTS, withoutAbsentDefaults, type TrainConfig } from '../train/config.js';
import { UserError } from '../util/errors.js';
import { validationOf } from '../train/heldOut.js';
import {
  configFromFields,
  OPTIMIZER_FLAG_FIELDS,
  TRAIN_FIELD_FLAGS,
  TRAIN_FIELDS,
  type GridField,
  type GridSpec,
  type TrainField,
} from '../train/fields.js';

export type { GridField } from '../train/fields.js';

/** Every field a grid may list, by its flag name (train/fields.ts's rows with a `grid`), in the table's order. */
export const GRID_FIELDS: readonly GridField[] = TRAIN_FIELD_FLAGS.filter(
  (flag): flag is GridField => 'grid' in TRAIN_FIELDS[flag],
);

/** How the sweep lists a field (its row's `grid`). */
function gridSpec(field: GridField): GridSpec {
  return TRAIN_FIELDS[field].grid;
}

/** The grid as written to sweep.json: a list of values per field given, and the number of seeds. */
export interface SweepGrid {
  values: Partial<Record<GridField, (string | number)[]>>;
  seeds: number;
  /**
   * Examples carved from the training split (stratified, a fixed seed) that every run
   * evaluates on, so the best setting is chosen without the test split; absent: the runs train
   * on the whole training split and evaluate on the test split.
   */
  validation?: number;
}

const OPTIMIZER_FIELD_OF: Partial<Record<GridField, OptimizerField>> = OPTIMIZER_FLAG_FIELDS;

/** Fields whose values are numbers (the others are names or layer sizes). */
export const NUMERIC_GRID_FIELDS: readonly GridField[] = GRID_FIELDS.filter((field) =>
  ['number', 'integer'].includes(TRAIN_FIELDS[field].value),
);

/** The lists of the fields a grid lists at their train default when it names none. */
function gridDefaults(): [GridField, (string | number)[]][] {
  return GRID_FIELDS.flatMap((field) => {
    const value = (TRAIN_FIELDS[field] as TrainField).option.default;
    const listed = gridSpec(field).listsDefault === true && (typeof value === 'string' || typeof value === 'number');
    return listed ? [[field, [value]]] : [];
  });
}

/** `0.01,0.03` or [0.01, 0.03] or 0.01 -> checked list of values. */
function parseValues(field: GridField, raw: unknown, where: string): (string | number)[] {
  const items = typeof raw === 'string' ? raw.split(',').map((part) => part.trim()) : Array.isArray(raw) ? raw : [raw];
  if (items.length === 0 || items.some((item) => item === '' || item === null || item === undefined)) {
    throw new UserError(`Invalid ${where}${field} value: ${JSON.stringify(raw)} (expected one or more values)`);
  }
  const row = TRAIN_FIELDS[field];
  if (row.value === 'sizes') {
    return items.map((item) => {
      const text = Array.isArray(item) ? item.join(',') : String(item);
      if (!/^\d+(,\d+)*$/.test(text.replace(/\s/g, '')) || /(^|,)0+(,|$)/.test(text)) {
        throw new UserError(
          `Invalid ${where}hidden value: ${JSON.stringify(item)} (expected layer sizes like "256,128"; in a grid file, a list of them)`,
        );
      }
      return text.replace(/\s/g, '');
    });
  }
  if (NUMERIC_GRID_FIELDS.includes(field)) {
    return items.map((item) => {
      const value = typeof item === 'number' ? item : Number(item);
      if (typeof item === 'boolean' || !Number.isFinite(value)) {
        throw new UserError(`Invalid ${where}${field} value: ${JSON.stringify(item)} (expected numbers)`);
      }
      return value;
    });
  }
  const choices: readonly string[] = (row.option as { choices: readonly string[] }).choices;
  return items.map((item) => {
    if (typeof item !== 'string' || !choices.includes(item)) {
      throw new UserError(
        `Invalid ${where}${field} value: ${JSON.stringify(item)} (expected one of: ${choices.join(', ')})`,
      );
    }
    return item;
  });
}

/** Reads a grid file: a JSON or YAML object with a list (or one value) per field, and `seeds`. */
export function readGridFile(file: string): Record<string, unknown> {
  const text = readUserFile(file, 'the grid file');
  let data: unknown;
  try {
    data = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new UserError(`Cannot parse the grid file ${file}: ${reason}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new UserError(`The grid file ${file} must hold an object with a list of values per field`);
  }
  return data as Record<string, unknown>;
}

/**
 * The grid from a file's fields and the flags (a flag replaces the file's list for its field).
 * Unknown fields and values outside the choices are errors.
 */
export function makeGrid(
  file: Record<string, unknown>,
  flags: Partial<Record<GridField | 'seeds' | 'validation-size', unknown>>,
): SweepGrid {
  const values: SweepGrid['values'] = {};
  for (const [key, raw] of Object.entries(file)) {
    if (key === 'seeds' || key === 'validation-size') continue;
    if (!(GRID_FIELDS as readonly string[]).includes(key)) {
      throw new UserError(
        `Unknown grid field ${JSON.stringify(key)} (expected: ${[...GRID_FIELDS, 'seeds', 'validation-size'].join(', ')})`,
      );
    }
    values[key as GridField] = parseValues(key as GridField, raw, 'grid ');
  }
  for (const field of GRID_FIELDS) {
    if (flags[field] !== undefined) values[field] = parseValues(field, flags[field], '--');
  }
  for (const [field, fallback] of gridDefaults()) values[field] ??= fallback;
  if (values.optimizer === undefined)
    throw new UserError('Name the optimizers to sweep: --optimizer heavy-ball,sgd (or "optimizer" in the grid file)');
  const seeds = Number(flags.seeds ?? file.seeds ?? 1);
  if (!Number.isInteger(seeds) || seeds < 1) {
    throw new UserError(
      `Invalid seeds value: ${JSON.stringify(flags.seeds ?? file.seeds)} (expected a positive integer N: seeds 1..N)`,
    );
  }
  const kinds = values.optimizer as string[];
  for (const [field, optimizerField] of Object.entries(OPTIMIZER_FIELD_OF)) {
    if (values[field as GridField] === undefined) continue;
    const taking = kinds.filter((kind) => fieldsOf(kind).includes(optimizerField));
    if (taking.length === 0) {
      const all = [...OPTIMIZER_KINDS, ...BUILTIN_OPTIMIZER_KINDS].filter((kind) =>
        fieldsOf(kind).includes(optimizerField),
      );
      throw new UserError(
        `--${field} applies to none of the optimizers swept (${kinds.join(', ')}); kinds that take it: ${all.join(', ')}`,
      );
    }
  }
  if (values.hidden !== undefined && !(values.model as string[]).includes('mlp')) {
    throw new UserError(
      `--hidden applies to the mlp model only (swept models: ${(values.model as string[]).join(', ')})`,
    );
  }
  const rawValidation = flags['validation-size'] ?? file['validation-size'];
  if (rawValidation === undefined) return { values, seeds };
  const validation = Number(rawValidation);
  if (typeof rawValidation === 'boolean' || !Number.isInteger(validation) || validation < 1) {
    throw new UserError(
      `Invalid validation-size value: ${JSON.stringify(rawValidation)} (expected a positive integer: the training examples held out to choose the best setting on)`,
    );
  }
  // Absent when not asked for: sweep.json of a test-split sweep stays as it was, so its folder resumes.
  return { values, seeds, validation };
}

/** One run of the grid: its id, its config and the grid values it has (for the summary). */
export interface GridRun {
  id: string;
  config: TrainConfig;
  /** field -> value for every field that applies to this run (optimizer fields only where taken). */
  settings: Partial<Record<GridField, string | number>>;
  seed: number;
}

function cartesian(lists: [GridField, (string | number)[]][]): Partial<Record<GridField, string | number>>[] {
  return lists.reduce<Partial<Record<GridField, string | number>>[]>(
    (combos, [field, list]) => combos.flatMap((combo) => list.map((value) => ({ ...combo, [field]: value }))),
    [{}],
  );
}

function idPart(field: GridField, value: string | number): string {
  const text = String(value).replace('+', '').replace(/,/g, 'x');
  const name = gridSpec(field).id;
  return name === undefined ? text : `${name}${text}`;
}

/**
 * Every setting of the grid once, in a stable order: the shared fields crossed, then per
 * optimizer kind the fields it takes. A field that does not apply to a setting is dropped
 * (hidden for models other than the mlp), and settings that are then the same are one setting.
 */
function gridSettings(grid: SweepGrid): GridRun['settings'][] {
  const shared = GRID_FIELDS.filter(
    (field) => grid.values[field] !== undefined && OPTIMIZER_FIELD_OF[field] === undefined && field !== 'optimizer',
  );
  const settings = new Map<string, GridRun['settings']>();
  for (const base of cartesian(shared.map((field) => [field, grid.values[field]!]))) {
    for (const kind of grid.values.optimizer as string[]) {
      const taken = (Object.keys(OPTIMIZER_FIELD_OF) as GridField[]).filter(
        (field) => grid.values[field] !== undefined && fieldsOf(kind).includes(OPTIMIZER_FIELD_OF[field]!),
      );
      for (const hyper of cartesian(taken.map((field) => [field, grid.values[field]!]))) {
        const setting: GridRun['settings'] = { ...base, optimizer: kind, ...hyper };
        if (setting.model !== 'mlp') delete setting.hidden;
        const key = JSON.stringify(GRID_FIELDS.map((field) => setting[field] ?? null));
        if (!settings.has(key)) settings.set(key, setting);
      }
    }
  }
  return [...settings.values()];
}

/** Every run of the grid, in a stable order, with ids that name the fields that vary. */
export function expandGrid(grid: SweepGrid): GridRun[] {
  const varying = GRID_FIELDS.filter((field) => (grid.values[field]?.length ?? 0) > 1 || field === 'optimizer');
  return gridSettings(grid).flatMap((settings) => {
    const parts = varying
      .filter((field) => settings[field] !== undefined)
      .map((field) => idPart(field, settings[field]!));
    return Array.from({ length: grid.seeds }, (_, index) => {
      const seed = index + 1;
      return {
        id: [...parts, `seed${seed}`].join('-'),
        config: configOf(settings, seed, grid.validation),
        settings,
        seed,
      };
    });
  });
}

/**
 * The config of one run: the settings through the table's config builder, the run's seed, and
 * the loop's defaults (a grid lists no loop settings). Defaults that mean "absent" (glorot,
 * unit, no label smoothing) are left out, as `inertia train` leaves them out.
 */
function configOf(settings: GridRun['settings'], seed: number, validation: number | undefined): TrainConfig {
  const config = {
    ...configFromFields(settings),
    seed,
    mode: 'custom',
    logEvery: TRAIN_DEFAULTS.logEvery,
    normEvery: TRAIN_DEFAULTS.normEvery,
    divergenceBound: TRAIN_DEFAULTS.divergenceBound,
    evalBatchSize: TRAIN_DEFAULTS.evalBatchSize,
    validation: validationOf(validation),
  };
  // config.json holds no undefined fields: the same file whether written here or by a worker.
  return JSON.parse(JSON.stringify(withoutAbsentDefaults(config))) as TrainConfig;
}
