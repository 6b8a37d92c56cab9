/**
 * A tiny synthetic sweep in this process: run folders, sweep.json, summary.csv with empty
 * cells for fields a kind does not take, the report, resuming (nothing retrained, an
 * unfinished run retrained), TensorBoard event files for every run, a folder that evaluates
 * on another split refused, and a hundred runs with the tensor count and open files flat.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tf } from '../../src/backend.js';
import { LocalExecutor } from '../../src/exec/local.js';
import { makeGrid } from '../../src/sweep/grid.js';
import { runGridSweep } from '../../src/sweep/sweep.js';
import { readCsv } from '../../src/util/csv.js';
import { readEventFile, scalarsOf, sessionOf } from '../helpers/events.js';
import { editRunRecord, tempFolder, TINY_SWEEP_FLAGS } from '../helpers/runs.js';

const root = tempFolder('inertia-sweep-');

const grid = makeGrid(
  {},
  {
    ...TINY_SWEEP_FLAGS,
    'validation-size': 0,
    optimizer: 'heavy-ball,sgd',
    lr: '0.05,0.2',
    momentum: '0.9',
    hidden: '8',
    'train-limit': '128',
    'test-limit': '64',
    seeds: 2,
  },
);

const csv = (file: string) => readCsv(file).rows;

describe('runGridSweep', () => {
  it('writes runs, sweep.json, summary.csv and the report, and resumes without retraining', async () => {
    const dir = path.join(root, 'sweep');
    const executor = new LocalExecutor({ workers: 1 });
    const first = await runGridSweep({ grid, dir, executor, command: 'inertia sweep ...' });
    expect(first.runs).toMatchObject({ total: 8, trained: 8, resumed: 0, failed: 0 });
    expect(fs.readdirSync(path.join(dir, 'runs')).sort()).toHaveLength(8);
    expect(JSON.parse(fs.readFileSync(first.files.sweep, 'utf8')).grid).toEqual(JSON.parse(JSON.stringify(grid)));

    const rows = csv(first.files.summary);
    expect(rows).toHaveLength(8);
    const sgd = rows.find((row) => row.run_id === 'sgd-lr0.05-seed1')!;
    expect(sgd).toMatchObject({ optimizer: 'sgd', lr: '0.05', momentum: '', seed: '1', status: 'completed' });
    const heavy = rows.find((row) => row.run_id === 'heavy-ball-lr0.2-seed2')!;
    expect(heavy).toMatchObject({ momentum: '0.9', seed: '2' });
    for (const row of rows) {
      expect(Number(row.final_test_accuracy)).toBeGreaterThanOrEqual(0);
      expect(Number(row.final_test_accuracy)).toBeLessThanOrEqual(1);
    }
    // The best heavy-ball setting is the one with the higher mean accuracy over its two seeds.
    const meanOf = (id: string) =>
      rows.filter((row) => row.run_id.startsWith(id)).reduce((sum, row) => sum + Number(row.final_test_accuracy), 0) /
      2;
    const bestHeavy = first.best.find((group) => group.optimizer === 'heavy-ball')!;
    expect(bestHeavy.accuracy.estimate).toBeCloseTo(
      Math.max(meanOf('heavy-ball-lr0.05'), meanOf('heavy-ball-lr0.2')),
      10,
    );
    const report = fs.readFileSync(first.files.report, 'utf8');
    expect(report).toContain('## Best setting per optimizer');
    expect(report).toContain('plots/lr-sensitivity-accuracy.svg');
    for (const plot of ['lr-sensitivity-accuracy', 'lr-sensitivity-loss'])
      for (const ext of ['svg', 'png']) expect(fs.existsSync(path.join(dir, 'plots', `${plot}.${ext}`))).toBe(true);
    expect(fs.readFileSync(first.files.html, 'utf8')).toContain('data:image/svg+xml;base64,');

    // TensorBoard: every run has its event file, written after the run from its files, with
    // the settings as hyperparameters (sgd without momentum) and the final test accuracy.
    for (const row of rows) {
      const eventsDir = path.join(dir, 'runs', row.run_id, 'tensorboard');
      const [file, ...others] = fs.readdirSync(eventsDir);
      expect(others).toEqual([]);
      const events = readEventFile(path.join(eventsDir, file));
      const { start, end } = sessionOf(events);
      expect(start!.hparams).toMatchObject({
        'optimizer.kind': row.optimizer,
        'optimizer.learningRate': Number(row.lr),
      });
      expect(start!.hparams['optimizer.momentum']).toBe(row.optimizer === 'sgd' ? undefined : 0.9);
      expect(end!.status).toBe(1);
      expect(scalarsOf(events).get('test/accuracy')!.at(-1)![1]).toBe(Math.fround(Number(row.final_test_accuracy)));
    }

    // Resume: one run left unfinished (run.json says running) is retrained, the others are kept.
    editRunRecord(path.join(dir, 'runs', 'sgd-lr0.2-seed2'), { status: 'running' });
    const keptStart = JSON.parse(
      fs.readFileSync(path.join(dir, 'runs', 'sgd-lr0.05-seed1', 'run.json'), 'utf8'),
    ).startedAt;
    const second = await runGridSweep({ grid, dir, executor, command: 'inertia sweep ...' });
    expect(second.runs).toMatchObject({ total: 8, trained: 1, resumed: 7 });
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'runs', 'sgd-lr0.05-seed1', 'run.json'), 'utf8')).startedAt).toBe(
      keptStart,
    );
    expect(csv(second.files.summary).map((row) => [row.run_id, row.final_test_accuracy])).toEqual(
      rows.map((row) => [row.run_id, row.final_test_accuracy]),
    );

    // A grid whose runs evaluate on another split cannot share the folder.
    const other = makeGrid(
      {},
      { dataset: 'synthetic', optimizer: 'sgd', lr: '0.1', epochs: '1', 'validation-size': 16 },
    );
    await expect(runGridSweep({ grid: other, dir, executor, command: '' })).rejects.toThrow(
      /holds a sweep evaluated on the test split, not on a validation split of 16 examples \(see its sweep\.json\); choose another --out/,
    );
    await executor.close();
  }, 120_000);

  it('a hundred-run sweep in this process keeps the tensor count and open files flat, event files included', async () => {
    const flags = { ...TINY_SWEEP_FLAGS, 'validation-size': 0, optimizer: 'sgd', 'train-limit': '64' };
    const rates = Array.from({ length: 50 }, (_, i) => (0.01 * (i + 1)).toFixed(2));
    const hundred = makeGrid({}, { ...flags, lr: rates.join(','), seeds: 2 });
    const dir = path.join(root, 'hundred');
    const executor = new LocalExecutor({ workers: 1 });
    // Open file descriptors (Linux; elsewhere the check is skipped).
    const openFiles = () => (fs.existsSync('/proc/self/fd') ? fs.readdirSync('/proc/self/fd').length : 0);
    // One run of the same shape first: the backend's kernels and the dataset are loaded once, not per run.
    const warm = makeGrid({}, { ...flags, lr: '0.1' });
    await runGridSweep({ grid: warm, dir: path.join(root, 'warm'), executor, command: '' });
    const tensors = tf.memory().numTensors;
    const files = openFiles();
    const started = performance.now();
    const result = await runGridSweep({ grid: hundred, dir, executor, command: 'inertia sweep ...' });
    console.log(
      `sweep of ${result.runs.total} runs in ${((performance.now() - started) / 1000).toFixed(1)} s; tensors ${tensors} -> ${tf.memory().numTensors}; open files ${files} -> ${openFiles()}`,
    );
    await executor.close();
    expect(result.runs).toMatchObject({ total: 100, trained: 100, failed: 0 });
    expect(tf.memory().numTensors).toBe(tensors);
    expect(openFiles()).toBe(files);
    const eventFiles = fs
      .readdirSync(path.join(dir, 'runs'))
      .flatMap((id) => fs.readdirSync(path.join(dir, 'runs', id, 'tensorboard')));
    expect(eventFiles).toHaveLength(100);
  }, 600_000);

  it('trains a grid over the loss and the reduction: each run with its own, named in summary.csv', async () => {
    const lossGrid = makeGrid(
      {},
      {
        ...TINY_SWEEP_FLAGS,
        'validation-size': 0,
        optimizer: 'sgd',
        lr: '0.1',
        loss: 'cross-entropy,mse',
        reduction: 'sum',
        hidden: '8',
        'train-limit': '128',
        'test-limit': '64',
      },
    );
    const dir = path.join(root, 'losses');
    const executor = new LocalExecutor({ workers: 1 });
    const result = await runGridSweep({ grid: lossGrid, dir, executor, command: 'inertia sweep ...' });
    await executor.close();
    expect(result.runs).toMatchObject({ total: 2, trained: 2, failed: 0 });
    const rows = csv(result.files.summary);
    expect(rows.map((row) => [row.run_id, row.loss, row.reduction, row.status])).toEqual([
      ['sgd-cross-entropy-seed1', 'cross-entropy', 'sum', 'completed'],
      ['sgd-mse-seed1', 'mse', 'sum', 'completed'],
    ]);
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'runs', 'sgd-mse-seed1', 'config.json'), 'utf8'));
    expect(config).toMatchObject({ loss: 'mse', reduction: 'sum' });
    // Squared error against one-hot labels and cross-entropy are different training losses.
    expect(Number(rows[1].final_train_loss)).not.toBeCloseTo(Number(rows[0].final_train_loss), 3);
  }, 120_000);
});
