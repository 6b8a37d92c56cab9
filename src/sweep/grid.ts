/**
 * A user's grid: lists of values per field (from flags or a JSON/YAML file), expanded into one
 * run per combination and seed. An optimizer field applies only to the kinds that take it
 * (with `--optimizer heavy-ball,sgd --momentum 0.9`, sgd runs without momentum); a field that
 * no listed kind takes is an error. Run ids name the optimizer and every field that varies.
 */
import { readUserFile } from '../util/fs.js';
import { parse as parseYaml } from 'yaml';
import { DATASET_NAMES, type DatasetName } from '../data/types.js';
import { INPUT_SCALINGS, type InputScaling } from '../data/inputs.js';
import { INIT_KINDS, MODEL_KINDS, type InitKind, type ModelKind } from '../models/kinds.js';
import {
  BUILTIN_KIND_FIELDS,
  BUILTIN_OPTIMIZER_KINDS,
  KIND_FIELDS,
  OPTIMIZER_FLAGS,
  OPTIMIZER_KINDS,
  type BuiltinOptimizerKind,
  type OptimizerField,
} from '../optimizers/kinds.js';
import { LOSS_KINDS, REDUCTIONS, TRAIN_DEFAULTS, type LossKind, type Reduction } from '../train/defaults.js';
import type { TrainConfig, TrainOptimizerSpec } from '../train/config.js';
import { UserError } from '../util/errors.js';
import { validationOf } from '../train/heldOut.js';

/** Every field a grid may list, by its flag name. */
export const GRID_FIELDS = [
  'dataset',
  'inputs',
  'model',
  'hidden',
  'init',
  'optimizer',
  'lr',
  'momentum',
  'gradient-steps',
  'beta1',
  'beta2',
  'epsilon',
  'decay',
  'max-lr',
  'f-min',
  'd0',
  'rho',
  'eta-minus',
  'eta-plus',
  'min-step',
  'max-step',
  'r-epsilon',
  'init-sq-dist',
  'alpha',
  'base-lr',
  'base-momentum',
  'weight-decay',
  's-init',
  'num-betas',
  'beta',
  'lower-bound',
  'weight-lr-power',
  'epochs',
  'batch-size',
  'loss-scale',
  'loss',
  'reduction',
  'label-smoothing',
  'train-limit',
  'test-limit',
  'max-steps',
] as const;

export type GridField = (typeof GRID_FIELDS)[number];

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

const OPTIMIZER_FIELD_OF: Partial<Record<GridField, OptimizerField>> = OPTIMIZER_FLAGS;

/** The optimizer fields `kind` takes (kinds.ts for inertia's kinds). */
function fieldsOf(kind: string): readonly OptimizerField[] {
  return (
    (KIND_FIELDS as Record<string, readonly OptimizerField[]>)[kind] ??
    BUILTIN_KIND_FIELDS[kind as BuiltinOptimizerKind]
  );
}

/** Fields whose values are numbers (the others are names or layer sizes). */
export const NUMERIC_GRID_FIELDS: readonly GridField[] = [
  ...(Object.keys(OPTIMIZER_FLAGS) as GridField[]),
  'epochs',
  'batch-size',
  'loss-scale',
  'label-smoothing',
  'train-limit',
  'test-limit',
  'max-steps',
];

const CHOICES: Partial<Record<GridField, readonly string[]>> = {
  dataset: DATASET_NAMES,
  inputs: INPUT_SCALINGS,
  model: MODEL_KINDS,
  init: INIT_KINDS,
  optimizer: [...OPTIMIZER_KINDS, ...BUILTIN_OPTIMIZER_KINDS],
  loss: LOSS_KINDS,
  reduction: REDUCTIONS,
};

const DEFAULTS: Partial<Record<GridField, (string | number)[]>> = {
  dataset: [TRAIN_DEFAULTS.dataset],
  model: [TRAIN_DEFAULTS.model],
  epochs: [TRAIN_DEFAULTS.epochs],
  'batch-size': [TRAIN_DEFAULTS.batchSize],
  'loss-scale': [TRAIN_DEFAULTS.lossScale],
};

/** `0.01,0.03` or [0.01, 0.03] or 0.01 -> checked list of values. */
function parseValues(field: GridField, raw: unknown, where: string): (string | number)[] {
  const items = typeof raw === 'string' ? raw.split(',').map((part) => part.trim()) : Array.isArray(raw) ? raw : [raw];
  if (items.length === 0 || items.some((item) => item === '' || item === null || item === undefined)) {
    throw new UserError(`Invalid ${where}${field} value: ${JSON.stringify(raw)} (expected one or more values)`);
  }
  if (field === 'hidden') {
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
  const choices = CHOICES[field]!;
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
  for (const [field, fallback] of Object.entries(DEFAULTS)) values[field as GridField] ??= fallback;
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

const ID_NAMES: Partial<Record<GridField, string>> = {
  lr: 'lr',
  momentum: 'mu',
  'gradient-steps': 'k',
  epochs: 'ep',
  'batch-size': 'bs',
  'loss-scale': 's',
  'label-smoothing': 'ls',
  'train-limit': 'ntrain',
  'test-limit': 'ntest',
  'max-steps': 'steps',
  hidden: 'h',
  rho: 'rho',
  'eta-minus': 'etaminus',
  'eta-plus': 'etaplus',
  'min-step': 'minstep',
  'max-step': 'maxstep',
  'r-epsilon': 'reps',
  'init-sq-dist': 'sqdist',
  alpha: 'alpha',
  'base-lr': 'baselr',
  'base-momentum': 'basemu',
  'weight-decay': 'wd',
  's-init': 'sinit',
  'num-betas': 'nbetas',
  beta: 'beta',
  'lower-bound': 'flow',
  'weight-lr-power': 'wpow',
};

function idPart(field: GridField, value: string | number): string {
  const text = String(value).replace('+', '').replace(/,/g, 'x');
  const name = ID_NAMES[field];
  return name === undefined ? text : `${name}${text}`;
}

/** Every run of the grid, in a stable order, with ids that name the fields that vary. */
export function expandGrid(grid: SweepGrid): GridRun[] {
  const varying = GRID_FIELDS.filter((field) => (grid.values[field]?.length ?? 0) > 1 || field === 'optimizer');
  const shared = GRID_FIELDS.filter(
    (field) => grid.values[field] !== undefined && OPTIMIZER_FIELD_OF[field] === undefined && field !== 'optimizer',
  );
  const runs: GridRun[] = [];
  for (const base of cartesian(shared.map((field) => [field, grid.values[field]!]))) {
    for (const kind of grid.values.optimizer as string[]) {
      const taken = (Object.keys(OPTIMIZER_FIELD_OF) as GridField[]).filter(
        (field) => grid.values[field] !== undefined && fieldsOf(kind).includes(OPTIMIZER_FIELD_OF[field]!),
      );
      for (const hyper of cartesian(taken.map((field) => [field, grid.values[field]!]))) {
        const settings: GridRun['settings'] = { ...base, optimizer: kind, ...hyper };
        if (settings.model !== 'mlp') delete settings.hidden;
        for (let seed = 1; seed <= grid.seeds; seed++) {
          const parts = varying
            .filter((field) => settings[field] !== undefined)
            .map((field) => idPart(field, settings[field]!));
          runs.push({
            id: [...parts, `seed${seed}`].join('-'),
            config: configOf(settings, seed, grid.validation),
            settings,
            seed,
          });
        }
      }
    }
  }
  return runs;
}

function configOf(settings: GridRun['settings'], seed: number, validation: number | undefined): TrainConfig {
  const optimizer: Record<string, unknown> = { kind: settings.optimizer };
  for (const [field, name] of Object.entries(OPTIMIZER_FIELD_OF)) {
    if (settings[field as GridField] !== undefined) optimizer[name] = settings[field as GridField];
  }
  const num = (field: GridField) => (settings[field] === undefined ? undefined : Number(settings[field]));
  const config: TrainConfig = {
    dataset: settings.dataset as DatasetName,
    trainLimit: num('train-limit'),
    testLimit: num('test-limit'),
    model: settings.model as ModelKind,
    hidden: settings.hidden === undefined ? undefined : String(settings.hidden).split(',').map(Number),
    init: settings.init === 'glorot' ? undefined : (settings.init as InitKind | undefined),
    inputs: settings.inputs === 'unit' ? undefined : (settings.inputs as InputScaling | undefined),
    optimizer: optimizer as unknown as TrainOptimizerSpec,
    epochs: num('epochs')!,
    batchSize: num('batch-size')!,
    seed,
    lossScale: num('loss-scale')!,
    loss: settings.loss as LossKind | undefined,
    reduction: settings.reduction as Reduction | undefined,
    labelSmoothing: num('label-smoothing') === 0 ? undefined : num('label-smoothing'),
    mode: 'custom',
    logEvery: TRAIN_DEFAULTS.logEvery,
    normEvery: TRAIN_DEFAULTS.normEvery,
    divergenceBound: TRAIN_DEFAULTS.divergenceBound,
    evalBatchSize: TRAIN_DEFAULTS.evalBatchSize,
    maxSteps: num('max-steps'),
    validation: validationOf(validation),
  };
  // config.json holds no undefined fields: the same file whether written here or by a worker.
  return JSON.parse(JSON.stringify(config)) as TrainConfig;
}
