/**
 * `inertia sweep --search random|asha` end to end: trials drawn from a grid file's
 * distributions, successive halving's decisions in pruning.csv and the report, a resumed or
 * grown search trains nothing it has, and over a queue (a real Redis, an `inertia worker`)
 * the same command takes the same decisions as locally.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCsv } from '../../src/util/csv.js';
import { runCli, startCli, stopCli, type CliProcess } from '../helpers/cli.js';
import { describeWithRedis, privateRedis } from '../helpers/redis.js';
import { tempFolder } from '../helpers/runs.js';

const root = tempFolder('inertia-sweep-search-');
const gridFile = path.join(root, 'space.yaml');
fs.writeFileSync(
  gridFile,
  'optimizer: [sgd, heavy-ball]\nlr: { logUniform: [0.01, 1] }\nmomentum: { choice: [0.5, 0.9] }\n',
);
const tiny = ['--grid', gridFile, '--dataset', 'synthetic', '--hidden', '8', '--batch-size', '32'];
const limits = ['--train-limit', '128', '--test-limit', '64', '--quiet', '--json'];
// Rungs at 1, 2 and 4 epochs: 4 trials, then 2, then 1; the chosen trial then trains on seed 101.
const asha = ['--search', 'asha', '--trials', '4', '--eta', '2', '--epochs', '4'];

function sweep(out: string, ...args: string[]) {
  const result = runCli(['sweep', '--out', out, ...tiny, ...limits, ...args]);
  expect(result.code, result.stderr.join('\n')).toBe(0);
  return JSON.parse(result.stdout);
}

const csv = (file: string) => readCsv(file).rows;

describe('inertia sweep --search asha, locally', () => {
  const out = path.join(root, 'asha-local');

  it('halves the trials by their validation accuracy at each rung and writes every decision', () => {
    const result = sweep(out, ...asha, '--workers', '1');
    expect(result.runs).toMatchObject({ total: 8, trained: 8, failed: 0 });
    const pruning = csv(result.files.pruning);
    expect(pruning.map((row) => [row.rung, row.epochs, row.decision])).toEqual([
      ...Array(4).fill(['1', '1', expect.stringMatching(/^(promoted|pruned)$/)]),
      ...Array(2).fill(['2', '2', expect.stringMatching(/^(promoted|pruned)$/)]),
      ['3', '4', 'last rung'],
    ]);
    const summary = csv(result.files.summary);
    // Each rung's promoted trials are its best by the validation accuracy in summary.csv.
    for (const [rung, epochs, keep] of [
      ['1', '1', 2],
      ['2', '2', 1],
    ] as const) {
      const rows = pruning.filter((row) => row.rung === rung);
      const accuracy = (trial: string) =>
        Number(summary.find((row) => row.trial === trial && row.epochs === epochs)!.final_validation_accuracy);
      for (const row of rows) expect(Number(row.held_out_accuracy)).toBeCloseTo(accuracy(row.trial), 10);
      const order = [...rows].sort(
        (a, b) => accuracy(b.trial) - accuracy(a.trial) || Number(a.trial) - Number(b.trial),
      );
      expect(
        rows
          .filter((row) => row.decision === 'promoted')
          .map((row) => row.trial)
          .sort(),
      ).toEqual(
        order
          .slice(0, keep)
          .map((row) => row.trial)
          .sort(),
      );
    }
    const last = pruning.at(-1)!;
    expect(summary.filter((row) => row.purpose === 'final').map((row) => row.run_id)).toEqual([
      `final-trial${last.trial}-${last.optimizer}-ep4-seed101`,
    ]);
    expect(result.best).toHaveLength(1);
    expect(result.best[0].setting.epochs).toBe(4);
    const report = fs.readFileSync(result.files.report, 'utf8');
    expect(report).toContain('## Search');
    expect(report).toContain('lr ~ logUniform[0.01,1]');
    expect(report).toContain('Successive halving (synchronous rungs at 1, 2, 4 epochs, eta = 2)');
    expect(report).toContain('3 trials pruned');
    expect(report).toContain('## Final runs on the test split');
  }, 240_000);

  it('resumes without training again, and more trials run only theirs', () => {
    const again = sweep(out, ...asha, '--workers', '1');
    expect(again.runs).toMatchObject({ total: 8, trained: 0, resumed: 8 });
    const random = path.join(root, 'random');
    const first = sweep(random, '--search', 'random', '--trials', '3', '--epochs', '1', '--workers', '1');
    // Three trials, then the best setting of each optimizer drawn on a fresh seed.
    expect(first.runs).toMatchObject({ total: 3 + first.best.length, trained: 3 + first.best.length });
    const selection = (rows: Record<string, string>[]) =>
      rows.filter((row) => row.purpose === 'selection').map((row) => row.run_id);
    const before = selection(csv(first.files.summary));
    const more = sweep(random, '--search', 'random', '--trials', '4', '--epochs', '1', '--workers', '1');
    // Trial 4 is new; a final run trains only for a choice that changed.
    const chosen = new Set(first.best.map((best: { setting: object }) => JSON.stringify(best.setting)));
    const changed = more.best.filter((best: { setting: object }) => !chosen.has(JSON.stringify(best.setting))).length;
    const total = 4 + more.best.length;
    expect(more.runs).toMatchObject({ total, trained: 1 + changed, resumed: total - 1 - changed });
    const ids = selection(csv(more.files.summary));
    expect(ids.slice(0, 3)).toEqual(before);
    expect(ids[3]).toMatch(/^trial4-(sgd|heavy-ball)-seed1$/);
  }, 240_000);
});

describe('inertia sweep --search: flags', () => {
  it('refuses a fractional --trials, and a distribution without a search, in one line naming the fix', () => {
    const out = path.join(root, 'refused');
    const fractional = runCli(['sweep', '--out', out, ...tiny, '--search', 'random', '--trials', '2.5']);
    expect(fractional.code).toBe(1);
    expect(fractional.stderr.join('\n')).toContain('Invalid --trials value: "2.5" (expected a decimal integer >= 1)');
    const grid = runCli(['sweep', '--out', out, ...tiny]);
    expect(grid.code).toBe(1);
    expect(grid.stderr.join('\n')).toContain(
      'lr is a distribution, which a grid cannot list: add --search random (or asha) --trials N, or give a list of values',
    );
    expect(fs.existsSync(out)).toBe(false);
  }, 60_000);
});

const redis = privateRedis();
let worker: CliProcess | undefined;
afterAll(async () => {
  if (worker) await stopCli(worker);
});

describeWithRedis(redis, 'inertia sweep --search asha over a queue', () => {
  it('takes the decisions the local sweep took, from runs trained by a worker', () => {
    worker = startCli(['worker', '--queue', redis.url]);
    const out = path.join(root, 'asha-queue');
    const result = sweep(out, ...asha, '--queue', redis.url);
    expect(result.runs).toMatchObject({ total: 8, trained: 8, failed: 0 });
    const local = path.join(root, 'asha-local');
    expect(fs.readFileSync(result.files.pruning, 'utf8')).toBe(
      fs.readFileSync(path.join(local, 'pruning.csv'), 'utf8'),
    );
    expect(csv(result.files.summary).map((row) => row.run_id)).toEqual(
      csv(path.join(local, 'summary.csv')).map((row) => row.run_id),
    );
  }, 240_000);
});
