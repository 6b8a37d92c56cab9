/** The scripts in examples/ run as a user would run them (they import the built package by its name). */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultCompileMode } from '../src/graph/compileMode.js';
import { tempFolder } from './helpers/runs.js';

const out = tempFolder('inertia-examples-');

/** Runs an example and parses the JSON line it prints last. */
function example(name: string, ...args: string[]): Record<string, unknown> {
  const result = spawnSync(process.execPath, [path.join('examples', name), ...args], { encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

describe('examples', () => {
  it('custom-chain.mjs trains a custom chain with model.fit', () => {
    const result = example('custom-chain.mjs', '3');
    // Ten balanced classes: chance is 10%; three epochs of the Keras-convention chain learn the blobs.
    expect(result.testAccuracy).toBeGreaterThan(0.5);
    expect(result.testLoss).toBeLessThan(Math.log(10));
  }, 180_000);

  it('lr-sweep.mjs trains three learning rates and compares them; plot-metrics.mjs plots a run', () => {
    const sweep = example('lr-sweep.mjs', out);
    const results = sweep.results as { learningRate: number; status: string; testAccuracy: number }[];
    expect(results.map((r) => r.learningRate)).toEqual([0.01, 0.05, 0.2]);
    expect(results.every((r) => r.status === 'completed')).toBe(true);
    expect(sweep.legend).toEqual(['optimizer.learningRate']);
    expect(fs.readFileSync(sweep.table as string, 'utf8')).toContain('| learningRate=0.2 | 1 | 0 |');

    const plot = example('plot-metrics.mjs', path.join(out, 'runs', 'lr-0.05'), path.join(out, 'norms'));
    // 16 steps, norms every 10 steps (and at step 1): steps 1 and 10, three norms each.
    expect(plot.points).toBe(6);
    expect(fs.statSync(plot.png as string).size).toBeGreaterThan(1000);
  }, 240_000);

  it('fit-any-model.mjs trains three models with fit and with model.fit, the same numbers where nothing is random', () => {
    const { results } = example('fit-any-model.mjs', '256', '1') as {
      results: { model: string; compiled: boolean; loss: number[]; modelFitLoss: number[]; fitSeconds: number }[];
    };
    expect(results.map((r) => r.model)).toEqual(['mnist-node CNN', 'BatchNorm + Dropout CNN', 'LSTM (32 steps)']);
    for (const result of results) {
      expect(result.fitSeconds).toBeGreaterThan(0);
      expect(Number.isFinite(result.loss[0])).toBe(true);
    }
    // Every model compiles, the Dropout one too (its masks drawn from the step seed in the function).
    expect(results.map((r) => r.compiled)).toEqual(results.map(() => defaultCompileMode() !== 'off'));
    // Without Dropout, the same initial weights and batches give model.fit's losses.
    for (const result of [results[0], results[2]]) {
      expect(Math.abs(result.loss[0] - result.modelFitLoss[0])).toBeLessThan(
        1e-4 * (1 + Math.abs(result.modelFitLoss[0])),
      );
    }
  }, 240_000);
});
