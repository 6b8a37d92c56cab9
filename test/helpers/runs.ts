/** Setup shared by the tests that train small runs: a temporary folder and small synthetic-data configs. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { TRAIN_DEFAULTS, type TrainConfig } from '../../src/train/config.js';

/** A new folder under the system's temporary folder, removed after the test file's tests (kept and printed with KEEP=1). */
export function tempFolder(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  afterAll(() => (process.env.KEEP ? console.log(dir) : fs.rmSync(dir, { recursive: true, force: true })));
  return dir;
}

/** TRAIN_DEFAULTS for an MLP on the synthetic dataset, with `fields` set on top. */
export function syntheticConfig(fields: Partial<TrainConfig>): TrainConfig {
  return { ...TRAIN_DEFAULTS, dataset: 'synthetic', model: 'mlp', ...fields };
}

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
