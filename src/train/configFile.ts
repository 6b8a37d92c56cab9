/**
 * A run's config.json read back as the TrainConfig of a new run (`inertia train --config`).
 * The file gets the checks the flags get: unknown fields, names and types are refused with one
 * line naming the field; everything else is checked by makeTrainConfig.
 */
import { readUserFile } from '../util/fs.js';
import { DATASET_NAMES } from '../data/types.js';
import { MODEL_KINDS } from '../models/kinds.js';
import { parsedOr, UserError } from '../util/errors.js';
import type { TrainConfig } from './config.js';
import { TRAIN_DEFAULTS } from './defaults.js';

/** A config file that cannot be read or holds a field of the wrong name or type. */
export class ConfigFileError extends UserError {}

/** Every field a TrainConfig may have, with its JSON type (a new field fails to compile until listed). */
const FIELD_TYPES: Record<keyof TrainConfig, 'string' | 'number' | 'object' | 'array'> = {
  dataset: 'string',
  dataDir: 'string',
  trainLimit: 'number',
  testLimit: 'number',
  model: 'string',
  hidden: 'array',
  init: 'string',
  inputs: 'string',
  optimizer: 'object',
  epochs: 'number',
  batchSize: 'number',
  seed: 'number',
  lossScale: 'number',
  loss: 'string',
  reduction: 'string',
  labelSmoothing: 'number',
  mode: 'string',
  logEvery: 'number',
  normEvery: 'number',
  divergenceBound: 'number',
  evalBatchSize: 'number',
  maxSteps: 'number',
  evalEvery: 'number',
  trainEvalSize: 'number',
  validation: 'object',
  checkpoint: 'string',
  earlyStop: 'object',
};

/** Written by a run next to its inputs (what the data turned out to be), not an input itself. */
const RUN_FACTS = ['data'];
const REQUIRED: readonly (keyof TrainConfig)[] = ['optimizer'];

function typeOf(value: unknown): string {
  return Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
}

function checkChoice(file: string, field: string, value: unknown, choices: readonly string[]): void {
  if (!choices.includes(value as string)) {
    throw new ConfigFileError(
      `Invalid ${field} in ${file}: ${JSON.stringify(value)} (expected one of: ${choices.join(', ')})`,
    );
  }
}

/**
 * Parses and checks `file`; fields it leaves out take the defaults of `inertia train`. The result
 * is a plain TrainConfig that flags may then override.
 */
export function readTrainConfigFile(file: string): TrainConfig {
  const text = readUserFile(file, '--config');
  const parsed = parsedOr<unknown>(
    () => JSON.parse(text),
    (reason) =>
      new ConfigFileError(`Cannot read --config ${file}: ${reason}; fix the JSON, or pass a run folder's config.json`),
  );
  return checkConfigFields(parsed, `--config ${file}`, file);
}

/**
 * The checks of a config read from outside (a --config file, a queued job): a JSON object of
 * known fields with the right types, a known dataset and model. `source` names it in messages
 * ("--config c.json", "job x"); fields it leaves out take the defaults of `inertia train`.
 */
export function checkConfigFields(parsed: unknown, source: string, where = source): TrainConfig {
  if (typeOf(parsed) !== 'object') {
    throw new ConfigFileError(`${source} is not a JSON object (expected a run's config.json)`);
  }
  const config: Record<string, unknown> = { ...(parsed as Record<string, unknown>) };
  for (const fact of RUN_FACTS) delete config[fact];
  for (const [field, value] of Object.entries(config)) {
    const expected = FIELD_TYPES[field as keyof TrainConfig];
    if (expected === undefined) {
      throw new ConfigFileError(
        `Unknown field ${JSON.stringify(field)} in ${where} (known fields: ${Object.keys(FIELD_TYPES).join(', ')})`,
      );
    }
    if (typeOf(value) !== expected) {
      throw new ConfigFileError(`Invalid ${field} in ${where}: ${JSON.stringify(value)} (expected a ${expected})`);
    }
  }
  for (const field of REQUIRED) {
    if (config[field] === undefined) throw new ConfigFileError(`Missing field ${JSON.stringify(field)} in ${where}`);
  }
  const withDefaults: Record<string, unknown> = { ...TRAIN_DEFAULTS, ...config };
  checkChoice(where, 'dataset', withDefaults.dataset, DATASET_NAMES);
  checkChoice(where, 'model', withDefaults.model, MODEL_KINDS);
  return withDefaults as unknown as TrainConfig;
}
