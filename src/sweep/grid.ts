/**
 * A user's grid: lists of values per field (from flags or a JSON/YAML file), expanded into one
 * run per combination and seed (or, for a search, distributions too: search.ts). An optimizer field applies only to the kinds that take it
 * (with `--optimizer heavy-ball,sgd --momentum 0.9`, sgd runs without momentum); a field that
 * no listed kind takes is an error. Run ids name the optimizer and every field that varies.
 */
import { readUserFile } from '../util/fs.js';
import { parse as parseYaml } from 'yaml';
import { BUILTIN_OPTIMIZER_KINDS, fieldsOf, OPTIMIZER_KINDS, type OptimizerField } from '../optimizers/kinds.js';
import { TRAIN_DEFAULTS, withoutAbsentDefaults, type TrainConfig, type TrainConfigOverrides } from '../train/config.js';
import { SCHEDULE_FLAGS, SCHEDULE_KINDS } from '../optimizers/scheduleFlags.js';
import {
  checkScheduledKind,
  scheduleChoice,
  scheduleParametersOf,
  withScheduledRate,
  type ScheduleChoice,
} from '../train/scheduledRate.js';
import { parsedOr, UserError } from '../util/errors.js';
import { FINAL_SEED_OFFSET, validationOf } from '../train/heldOut.js';
import { MNIST_DIGITS_TRAIN_SIZE } from '../data/mnistDigits.js';
import { SYNTHETIC_TRAIN_SIZE } from '../data/synthetic.js';
import type { DatasetName } from '../data/types.js';
import type { Random } from '../util/random.js';
import {
  choose,
  draw,
  makeSearchPlan,
  parseDistribution,
  trialRandom,
  type Distribution,
  type SearchPlan,
} from './search.js';
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

/** The grid as written to sweep.json: a list of values per field given, and the seeds. */
export interface SweepGrid {
  values: Partial<Record<GridField, (string | number)[]>>;
  /** The seeds of every setting: N for seeds 1..N (as folders swept before lists were possible), or a list. */
  seeds: number | number[];
  /**
   * Examples carved from the training split (stratified, a fixed seed) that every run
   * evaluates on, so the best setting is chosen without the test split; absent: the runs train
   * on the whole training split and evaluate on the test split.
   */
  validation?: number;
  /** Fields drawn from a distribution by a random search (search.ts); absent in a grid search. */
  distributions?: Partial<Record<GridField, Distribution>>;
  /** The learning-rate schedule of every run, around each run's own rate; absent: constant rates. */
  schedule?: ScheduleChoice;
  /** Random search or successive halving (search.ts); absent: every combination of the lists. */
  search?: SearchPlan;
}

/** The seeds of a grid, in order. */
export function seedList(grid: Pick<SweepGrid, 'seeds'>): number[] {
  return typeof grid.seeds === 'number' ? Array.from({ length: grid.seeds }, (_, i) => i + 1) : grid.seeds;
}

/** A list of seeds as sweep.json holds it: N when it is 1..N, the list otherwise. */
export function seedsValue(seeds: readonly number[]): number | number[] {
  const sorted = [...new Set(seeds)].sort((a, b) => a - b);
  return sorted.every((seed, index) => seed === index + 1) ? sorted.length : sorted;
}

/**
 * `--seeds`: N (seeds 1..N), a range `4-6` or a list `1,3,5` (in a grid file also [1, 3, 5]).
 * Final runs of a sweep with a validation split use seeds FINAL_SEED_OFFSET + s, so the seeds
 * that choose stay below it.
 */
export function parseSeeds(raw: unknown, validation: boolean): number | number[] {
  const bad = (why: string) =>
    new UserError(
      `Invalid seeds value: ${JSON.stringify(raw)} (${why}: N for seeds 1..N, a range like 4-6 or a list like 1,3,5)`,
    );
  const text = Array.isArray(raw) ? raw.join(',') : String(raw);
  let seeds: number[];
  if (/^\s*\d+\s*$/.test(text) && !Array.isArray(raw)) {
    const count = Number(text);
    if (count < 1) throw bad('expected a positive integer');
    seeds = Array.from({ length: count }, (_, i) => i + 1);
  } else if (/^\s*\d+\s*-\s*\d+\s*$/.test(text)) {
    const [low, high] = text.split('-').map(Number);
    if (low < 1 || high < low) throw bad('expected a range from a positive integer up to a larger one');
    seeds = Array.from({ length: high - low + 1 }, (_, i) => low + i);
  } else if (/^\s*\d+(\s*,\s*\d+)*\s*$/.test(text) && typeof raw !== 'boolean') {
    seeds = text.split(',').map(Number);
    if (seeds.some((seed) => seed < 1)) throw bad('expected positive integers');
  } else {
    throw bad('expected positive integers');
  }
  if (validation && seeds.some((seed) => seed >= FINAL_SEED_OFFSET)) {
    throw new UserError(
      `Invalid seeds value: ${JSON.stringify(raw)} (expected seeds below ${FINAL_SEED_OFFSET}: with a validation split, seeds ${FINAL_SEED_OFFSET} + s are the fresh seeds of the final runs on the test split)`,
    );
  }
  return seedsValue(seeds);
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
  const data = parsedOr<unknown>(
    () => (/\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text)),
    (reason) => new UserError(`Cannot parse the grid file ${file}: ${reason}`),
  );
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new UserError(`The grid file ${file} must hold an object with a list of values per field`);
  }
  return data as Record<string, unknown>;
}

/** The schedule's parameters (`warmup-steps`, ...): one value each, for every run. */
const SCHEDULE_PARAMETER_KEYS = Object.keys(SCHEDULE_FLAGS) as (keyof typeof SCHEDULE_FLAGS)[];

/** The fields of a grid file or the flags that are not lists of values. */
const PLAN_KEYS = [
  'seeds',
  'validation-size',
  'search',
  'trials',
  'search-seed',
  'eta',
  'min-epochs',
  'schedule',
  ...SCHEDULE_PARAMETER_KEYS,
] as const;
type PlanKey = (typeof PLAN_KEYS)[number];

/** Training examples of each dataset before limits (the default validation split is a tenth of them). */
const TRAIN_SIZES: Record<DatasetName, number> = {
  'mnist-digits': MNIST_DIGITS_TRAIN_SIZE,
  'fashion-mnist': 60_000,
  mnist: 60_000,
  synthetic: SYNTHETIC_TRAIN_SIZE,
};

/** The validation split's default size: a tenth of the fewest training examples any run of the grid has. */
export function defaultValidationSize(values: SweepGrid['values']): number {
  const sizes = (values.dataset as DatasetName[]).map((name) => TRAIN_SIZES[name]);
  const fewest = Math.min(...sizes, ...((values['train-limit'] as number[] | undefined) ?? []));
  return Math.max(1, Math.round(fewest / 10));
}

/**
 * `--validation-size N`: N examples held out; 0: none (the choice is made on the test split);
 * absent: the default size.
 */
function validationSize(raw: unknown, values: SweepGrid['values']): number | undefined {
  if (raw === undefined) return defaultValidationSize(values);
  const size = Number(raw);
  if (typeof raw === 'boolean' || !Number.isInteger(size) || size < 0) {
    throw new UserError(
      `Invalid validation-size value: ${JSON.stringify(raw)} (expected a positive integer: the training examples held out to choose the best setting on; 0 to choose on the test split)`,
    );
  }
  // Absent with 0: sweep.json of a test-split sweep stays as folders swept before wrote it, so they resume.
  return size === 0 ? undefined : size;
}

/** A grid file's field: a list (or one value), `{ choice: [...] }`, or a distribution. */
function readField(
  field: GridField,
  raw: unknown,
  values: SweepGrid['values'],
  distributions: NonNullable<SweepGrid['distributions']>,
): void {
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw) && Object.keys(raw).join() === 'choice') {
    values[field] = parseValues(field, (raw as { choice: unknown }).choice, 'grid ');
    return;
  }
  const distribution = parseDistribution(field, raw);
  if (distribution === null) {
    values[field] = parseValues(field, raw, 'grid ');
    return;
  }
  if (!NUMERIC_GRID_FIELDS.includes(field)) {
    throw new UserError(
      `Invalid grid ${field} value: ${JSON.stringify(raw)} (a distribution needs a numeric field; give a list)`,
    );
  }
  distributions[field] = distribution;
}

/**
 * The grid from a file's fields and the flags (a flag replaces the file's list for its field).
 * Unknown fields and values outside the choices are errors.
 */
export function makeGrid(
  file: Record<string, unknown>,
  flags: Partial<Record<GridField | PlanKey, unknown>>,
): SweepGrid {
  const values: SweepGrid['values'] = {};
  const distributions: NonNullable<SweepGrid['distributions']> = {};
  for (const [key, raw] of Object.entries(file)) {
    if ((PLAN_KEYS as readonly string[]).includes(key)) continue;
    if (!(GRID_FIELDS as readonly string[]).includes(key)) {
      throw new UserError(
        `Unknown grid field ${JSON.stringify(key)} (expected: ${[...GRID_FIELDS, ...PLAN_KEYS].join(', ')})`,
      );
    }
    readField(key as GridField, raw, values, distributions);
  }
  for (const field of GRID_FIELDS) {
    if (flags[field] === undefined) continue;
    values[field] = parseValues(field, flags[field], '--');
    delete distributions[field];
  }
  for (const [field, fallback] of gridDefaults()) {
    if (distributions[field] === undefined) values[field] ??= fallback;
  }
  if (values.optimizer === undefined)
    throw new UserError('Name the optimizers to sweep: --optimizer heavy-ball,sgd (or "optimizer" in the grid file)');
  const plan = (key: PlanKey) => flags[key] ?? file[key];
  const search = makeSearchPlan({
    search: plan('search'),
    trials: plan('trials'),
    'search-seed': plan('search-seed'),
    eta: plan('eta'),
    'min-epochs': plan('min-epochs'),
  });
  checkFieldsApply(values, distributions);
  checkSearch(search, values, distributions);
  const schedule = gridSchedule(plan, values.optimizer as string[]);
  const validation = validationSize(plan('validation-size'), values);
  const seeds = parseSeeds(plan('seeds') ?? 1, validation !== undefined);
  return {
    values,
    seeds,
    ...(validation === undefined ? {} : { validation }),
    ...(Object.keys(distributions).length === 0 ? {} : { distributions }),
    ...(search === undefined ? {} : { search }),
    ...(schedule === undefined ? {} : { schedule }),
  };
}

/**
 * The grid's learning-rate schedule (`schedule` and its parameters, as `inertia train` takes
 * them), checked against every listed optimizer: each must have a learning rate to shape.
 */
function gridSchedule(plan: (key: PlanKey) => unknown, kinds: readonly string[]): ScheduleChoice | undefined {
  const values: Partial<Record<(typeof SCHEDULE_PARAMETER_KEYS)[number], number>> = {};
  for (const key of SCHEDULE_PARAMETER_KEYS) {
    const raw = plan(key);
    if (raw === undefined) continue;
    const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    const integer = key.endsWith('-steps');
    if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !(Number.isInteger(value) && value > 0))) {
      throw new UserError(
        `Invalid ${key} value: ${JSON.stringify(raw)} (expected ${integer ? 'a positive integer' : 'a number'}, one value for every run)`,
      );
    }
    values[key] = value;
  }
  const kind = plan('schedule');
  if (kind !== undefined && typeof kind !== 'string') {
    throw new UserError(
      `Invalid schedule value: ${JSON.stringify(kind)} (expected one of: ${SCHEDULE_KINDS.join(', ')})`,
    );
  }
  const schedule = scheduleChoice(kind, scheduleParametersOf(values));
  if (schedule !== undefined) kinds.forEach(checkScheduledKind);
  return schedule;
}

/** A field no listed kind takes, or --hidden without the mlp, is an error. */
function checkFieldsApply(values: SweepGrid['values'], distributions: NonNullable<SweepGrid['distributions']>): void {
  const kinds = values.optimizer as string[];
  for (const [field, optimizerField] of Object.entries(OPTIMIZER_FIELD_OF)) {
    if (values[field as GridField] === undefined && distributions[field as GridField] === undefined) continue;
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
}

/** Distributions need a random search; successive halving needs one number of epochs, its last rung. */
function checkSearch(
  search: SearchPlan | undefined,
  values: SweepGrid['values'],
  distributions: NonNullable<SweepGrid['distributions']>,
): void {
  const drawn = Object.keys(distributions);
  if (search === undefined && drawn.length > 0) {
    throw new UserError(
      `${drawn.join(', ')} ${drawn.length > 1 ? 'are distributions' : 'is a distribution'}, which a grid cannot list: add --search random (or asha) --trials N, or give a list of values`,
    );
  }
  if (search?.kind !== 'asha') return;
  const epochs = values.epochs;
  if (epochs === undefined || epochs.length !== 1) {
    throw new UserError(
      '--search asha trains the trials by successive halving up to one number of epochs: give --epochs E (one value)',
    );
  }
  if (Number(epochs[0]) <= search.minEpochs!) {
    throw new UserError(
      `--min-epochs ${search.minEpochs} leaves no rung to halve below --epochs ${epochs[0]}: give more epochs or fewer min-epochs`,
    );
  }
}

/** One run of the grid: its id, its config and the grid values it has (for the summary). */
export interface GridRun {
  id: string;
  config: TrainConfig;
  /** field -> value for every field that applies to this run (optimizer fields only where taken). */
  settings: Partial<Record<GridField, string | number>>;
  seed: number;
  /** The trial of a random or asha search that drew the settings. */
  trial?: number;
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

/**
 * Every run of the grid, in a stable order, with ids that name the fields that vary; of a
 * random search, every trial's runs (an asha search's first rung: trialRuns with its epochs).
 */
export function expandGrid(grid: SweepGrid): GridRun[] {
  if (grid.search !== undefined) {
    return trialRuns(
      grid,
      Array.from({ length: grid.search.trials }, (_, i) => i + 1),
      grid.search.kind === 'asha' ? grid.search.minEpochs : undefined,
    );
  }
  const varying = GRID_FIELDS.filter((field) => (grid.values[field]?.length ?? 0) > 1 || field === 'optimizer');
  return gridSettings(grid).flatMap((settings) => {
    const parts = varying
      .filter((field) => settings[field] !== undefined)
      .map((field) => idPart(field, settings[field]!));
    return seedList(grid).map((seed) => ({
      id: [...parts, `seed${seed}`].join('-'),
      config: configOf(settings, seed, grid),
      settings,
      seed,
    }));
  });
}

/**
 * The runs of the given trials of a random or asha search (ids `trial3-adam-seed1`; with
 * `epochs`, a rung of successive halving: `trial3-adam-ep9-seed1`, trained for that many epochs).
 */
export function trialRuns(grid: SweepGrid, trials: readonly number[], epochs?: number): GridRun[] {
  return trials.flatMap((trial) => {
    const settings = drawSetting(grid, trialRandom(grid.search!, trial));
    if (epochs !== undefined) settings.epochs = epochs;
    const stem = [`trial${trial}`, settings.optimizer, ...(epochs === undefined ? [] : [`ep${epochs}`])].join('-');
    return seedList(grid).map((seed) => ({
      id: `${stem}-seed${seed}`,
      config: configOf(settings, seed, grid),
      settings,
      seed,
      trial,
    }));
  });
}

/**
 * One trial's setting: the optimizer first, then every other field in GRID_FIELDS order, each
 * drawn whether or not the kind takes it, so a field's draw never depends on the kind drawn.
 */
function drawSetting(grid: SweepGrid, random: Random): GridRun['settings'] {
  const kind = choose(grid.values.optimizer as string[], random);
  const settings: GridRun['settings'] = {};
  for (const field of GRID_FIELDS) {
    const list = grid.values[field];
    const distribution = grid.distributions?.[field];
    if (field === 'optimizer' || (list === undefined && distribution === undefined)) continue;
    const value = distribution === undefined ? choose(list!, random) : draw(distribution, random);
    const optimizerField = OPTIMIZER_FIELD_OF[field];
    if (optimizerField === undefined || fieldsOf(kind).includes(optimizerField)) settings[field] = value;
  }
  if (settings.model !== 'mlp') delete settings.hidden;
  return { optimizer: kind, ...settings };
}

/**
 * The config of one run: the settings through the table's config builder, the run's seed, and
 * the loop's defaults (a grid lists no loop settings). Defaults that mean "absent" (glorot,
 * unit, no label smoothing) are left out, as `inertia train` leaves them out.
 */
function configOf(settings: GridRun['settings'], seed: number, grid: SweepGrid): TrainConfig {
  const config = withScheduledRate(configFromFields(settings) as unknown as TrainConfigOverrides, grid.schedule);
  const complete = {
    ...config,
    seed,
    mode: 'custom',
    logEvery: TRAIN_DEFAULTS.logEvery,
    normEvery: TRAIN_DEFAULTS.normEvery,
    divergenceBound: TRAIN_DEFAULTS.divergenceBound,
    evalBatchSize: TRAIN_DEFAULTS.evalBatchSize,
    validation: validationOf(grid.validation),
  };
  // config.json holds no undefined fields: the same file whether written here or by a worker.
  return JSON.parse(JSON.stringify(withoutAbsentDefaults(complete))) as TrainConfig;
}
