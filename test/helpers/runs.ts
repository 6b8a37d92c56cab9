/** Setup shared by the tests that train small runs: a temporary folder and small synthetic-data configs. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { loadDataset, type Dataset } from '../../src/data/index.js';
import {
  makeTrainConfig,
  TRAIN_DEFAULTS,
  type TrainConfig,
  type TrainConfigOverrides,
} from '../../src/train/config.js';

/** A new folder under the system's temporary folder, removed after the test file's tests (kept and printed with KEEP=1). */
export function tempFolder(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  afterAll(() => (process.env.KEEP ? console.log(dir) : fs.rmSync(dir, { recursive: true, force: true })));
  return dir;
}

/** Sets `fields` in the run.json of the run folder `runDir`, as a damaged or interrupted run would have them. */
export function editRunRecord(runDir: string, fields: Record<string, unknown>): void {
  const file = path.join(runDir, 'run.json');
  const record = JSON.parse(fs.readFileSync(file, 'utf8'));
  fs.writeFileSync(file, JSON.stringify({ ...record, ...fields }));
}

/** The synthetic dataset of the short training tests: 512 training and 256 test examples. */
function smallSyntheticDataset(): Promise<Dataset> {
  return loadDataset('synthetic', { trainLimit: 512, testLimit: 256 });
}

/**
 * The config maker of a file of short training tests: an MLP with one hidden layer of 32 on the
 * synthetic dataset in batches of 64, the file's own `fields` on top (only those that differ from
 * the defaults, written out), and a test's `overrides` on top of those.
 */
function shortRunConfig(fields: TrainConfigOverrides): (overrides?: Partial<TrainConfig>) => TrainConfig {
  return (overrides = {}) =>
    makeTrainConfig({ dataset: 'synthetic', model: 'mlp', hidden: [32], batchSize: 64, ...fields, ...overrides });
}

/**
 * What a file of short training tests sets up: the small synthetic dataset, a temporary folder
 * for its runs (removed after the file's tests) and its config maker ({@link shortRunConfig}).
 */
export async function shortRuns(folderPrefix: string, fields: TrainConfigOverrides) {
  return { dataset: await smallSyntheticDataset(), root: tempFolder(folderPrefix), config: shortRunConfig(fields) };
}

/** TRAIN_DEFAULTS for an MLP on the synthetic dataset, with `fields` set on top. */
export function syntheticConfig(fields: Partial<TrainConfig>): TrainConfig {
  return { ...TRAIN_DEFAULTS, dataset: 'synthetic', model: 'mlp', ...fields };
}

/**
 * The flags of a small sweep on the synthetic dataset, as `inertia sweep` takes them: one
 * epoch of a 4-unit MLP in batches of 32, on 96 training and 32 test examples. A test spreads
 * them and sets the optimizers, rates and whatever else it is about on top.
 */
export const TINY_SWEEP_FLAGS = {
  dataset: 'synthetic',
  hidden: '4',
  epochs: '1',
  'batch-size': '32',
  'train-limit': '96',
  'test-limit': '32',
};

/** The smallest run the executors train: one epoch of an 8-unit MLP on 128 synthetic examples. */
export function tinyRun(optimizer: TrainConfig['optimizer']): TrainConfig {
  return syntheticConfig({
    trainLimit: 128,
    testLimit: 64,
    hidden: [8],
    optimizer,
    epochs: 1,
    batchSize: 32,
  });
}
