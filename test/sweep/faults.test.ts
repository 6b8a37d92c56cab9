/**
 * A sweep under faults: a second sweep on a folder in use is refused with one line naming the
 * holder, a damaged sweep.json is one line naming the file, and --data-dir reaches every run
 * (no run falls back to data found elsewhere).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalExecutor } from '../../src/exec/local.js';
import { makeGrid } from '../../src/sweep/grid.js';
import type { RunEvent } from '../../src/exec/runBatch.js';
import { runGridSweep } from '../../src/sweep/sweep.js';
import { lockFolder } from '../../src/util/lock.js';
import { writeIdxDataset } from '../data/idxFixtures.js';
import { tempFolder } from '../helpers/runs.js';

const root = tempFolder('inertia-sweep-faults-');

const tiny = (dataset: string) =>
  makeGrid(
    {},
    {
      'validation-size': 0,
      dataset,
      optimizer: 'sgd',
      lr: '0.1',
      hidden: '4',
      epochs: '1',
      'batch-size': '10',
      'train-limit': '20',
      'test-limit': '10',
      seeds: 1,
    },
  );

describe('sweep faults', () => {
  it('a second sweep on a folder in use is refused, naming the holder; nothing is written', async () => {
    const dir = path.join(root, 'locked');
    const held = await lockFolder(dir, 'inertia sweep');
    try {
      const error = await runGridSweep({
        grid: tiny('synthetic'),
        dir,
        executor: new LocalExecutor({ workers: 1 }),
        command: 'inertia sweep',
      }).catch((e: unknown) => e);
      expect((error as Error).message).toMatch(
        new RegExp(`^${dir} is in use by inertia sweep \\(pid ${process.pid} on ${os.hostname()}, since `),
      );
      expect((error as Error).message).toMatch(/wait for it to finish or stop it, or choose another --out$/);
      expect(fs.readdirSync(dir).filter((name) => !name.startsWith('.lock'))).toEqual([]);
    } finally {
      await held.release();
    }
  });

  it('a grid of more than 10,000 runs needs --yes: refused before anything is written', async () => {
    const dir = path.join(root, 'huge');
    const grid = makeGrid(
      {},
      { dataset: 'synthetic', optimizer: 'sgd', lr: '0.1', seeds: 10_001, 'validation-size': 0 },
    );
    await expect(
      runGridSweep({ grid, dir, executor: new LocalExecutor({ workers: 1 }), command: 'x' }),
    ).rejects.toThrow(
      'This grid has 10,001 runs (more than 10,000); check its lists and --seeds, or pass --yes to train them all',
    );
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('a sweep.json that is not JSON is one line naming the file', async () => {
    const dir = path.join(root, 'damaged');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'sweep.json'), '{"grid": {"optimi');
    await expect(
      runGridSweep({ grid: tiny('synthetic'), dir, executor: new LocalExecutor({ workers: 1 }), command: 'x' }),
    ).rejects.toThrow(new RegExp(`^${path.join(dir, 'sweep.json')} is not valid JSON \\(.*\\); fix or remove it`));
    expect(fs.existsSync(path.join(dir, '.lock'))).toBe(false);
  });

  it('--data-dir reaches every run: the runs train on that folder and record it', async () => {
    const dataDir = path.join(root, 'idx');
    await writeIdxDataset(path.join(dataDir, 'mnist'), 20, 10);
    const dir = path.join(root, 'with-data-dir');
    const result = await runGridSweep({
      grid: tiny('mnist'),
      dir,
      executor: new LocalExecutor({ workers: 1, dataDir }),
      command: 'inertia sweep --data-dir',
    });
    expect(result.runs).toMatchObject({ total: 1, trained: 1, failed: 0 });
    const [runId] = fs.readdirSync(path.join(dir, 'runs'));
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'runs', runId, 'config.json'), 'utf8'));
    expect(config.dataDir).toBe(dataDir);
    expect(config.data.source).toContain(path.join(dataDir, 'mnist'));
    expect(config.data.trainCount).toBe(20);
    // Resuming from another copy of the data keeps the finished run.
    const again = await runGridSweep({
      grid: tiny('mnist'),
      dir,
      executor: new LocalExecutor({ workers: 1, dataDir: path.join(dataDir, 'mnist') }),
      command: 'inertia sweep --data-dir',
    });
    expect(again.runs).toMatchObject({ total: 1, trained: 0, resumed: 1 });
  });

  it('a --data-dir without the dataset fails the run naming where it looked, never other data', async () => {
    const empty = path.join(root, 'empty');
    fs.mkdirSync(empty);
    const result = await runGridSweep({
      grid: tiny('mnist'),
      dir: path.join(root, 'empty-data-dir'),
      executor: new LocalExecutor({ workers: 1, dataDir: empty }),
      command: 'inertia sweep --data-dir',
    });
    expect(result.runs).toMatchObject({ total: 1, failed: 1 });
  });

  it('a failed run whose error holds HTML (a --data-dir named with a tag) is text in report.html, never markup', async () => {
    const hostile = path.join(root, 'd<img src=x onerror=alert(1)>');
    fs.mkdirSync(hostile);
    const dir = path.join(root, 'hostile-data-dir');
    const result = await runGridSweep({
      grid: tiny('mnist'),
      dir,
      executor: new LocalExecutor({ workers: 1, dataDir: hostile }),
      command: `inertia sweep --data-dir '${hostile}'`,
    });
    expect(result.runs).toMatchObject({ total: 1, failed: 1 });
    const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(html).toContain('d&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toMatch(/<img[^>]*onerror/i);
    expect(fs.readFileSync(path.join(dir, 'report.md'), 'utf8')).not.toMatch(/\| [^|]*<img src=x/);
  });

  it("the report's Reproduce block masks a queue URL's password, in report.md and report.html", async () => {
    const empty = path.join(root, 'empty-for-secret');
    fs.mkdirSync(empty);
    const dir = path.join(root, 'secret-command');
    await runGridSweep({
      grid: tiny('mnist'),
      dir,
      executor: new LocalExecutor({ workers: 1, dataDir: empty }),
      command: 'inertia sweep --queue redis://:PASSWORD@host:6379 --optimizer sgd',
    });
    for (const file of ['report.md', 'report.html']) {
      const text = fs.readFileSync(path.join(dir, file), 'utf8');
      expect(text).toContain('inertia sweep --queue redis://:***@host:6379 --optimizer sgd');
      expect(text).not.toContain('PASSWORD');
    }
  });

  it('a damaged finished run is reported as damaged (as the study does) before it is trained again', async () => {
    const dir = path.join(root, 'damaged-run');
    const sweep = (onEvent?: (event: RunEvent) => void) =>
      runGridSweep({
        grid: tiny('synthetic'),
        dir,
        executor: new LocalExecutor({ workers: 1 }),
        command: 'x',
        onEvent,
      });
    await sweep();
    const [runId] = fs.readdirSync(path.join(dir, 'runs'));
    const metrics = path.join(dir, 'runs', runId, 'metrics.csv');
    fs.appendFileSync(metrics, '9,1,test,accuracy,1\n');
    const events: RunEvent[] = [];
    const again = await sweep((event) => events.push(event));
    expect(again.runs).toMatchObject({ total: 1, trained: 1, resumed: 0 });
    const damaged = events.filter((event) => event.type === 'run-damaged');
    expect(damaged).toHaveLength(1);
    expect(damaged[0]).toMatchObject({ run: { id: runId }, problem: expect.stringContaining(metrics) });
  });
});
