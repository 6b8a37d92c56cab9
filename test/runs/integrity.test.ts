/**
 * Resuming trusts only what verifies: a finished run's run.json records the size, SHA-256
 * and row count of its files; a run whose metrics.csv was cut short, or whose run.json is
 * unreadable, is trained again with one notice naming the file, and the sweep carries on.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataset, type Dataset } from '../../src/data/index.js';
import { readRunRecord, verifyRun } from '../../src/runs/runFolder.js';
import { LocalExecutor } from '../../src/exec/local.js';
import { runSweep, type StudyRun } from '../../src/exec/runBatch.js';
import type { TrainConfig } from '../../src/train/config.js';
import { editRunRecord, syntheticConfig, tempFolder } from '../helpers/runs.js';

let dataset: Dataset;
const root = tempFolder('inertia-integrity-');

beforeAll(async () => {
  dataset = await loadDataset('synthetic', { trainLimit: 128, testLimit: 64 });
});

function config(learningRate: number): TrainConfig {
  // This file's small run: only the fields that differ from the defaults, written out.
  return syntheticConfig({
    hidden: [8],
    optimizer: { kind: 'sgd', learningRate },
    epochs: 2,
    batchSize: 32,
    logEvery: 2,
    normEvery: 0,
  });
}

const runs: StudyRun[] = [
  { id: 'a', experiment: 'x', config: config(0.1) },
  { id: 'b', experiment: 'x', config: config(0.2) },
  { id: 'c', experiment: 'x', config: config(0.3) },
];

async function sweep(runsDir: string) {
  const damaged: string[] = [];
  const outcomes = await runSweep(runs, {
    runsDir,
    executor: new LocalExecutor({ workers: 1, dataset }),
    onRunDamaged: (run, problem) => damaged.push(`${run.id}: ${problem}`),
  });
  return { outcomes, damaged };
}

const sha256 = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('run integrity', () => {
  it('run.json of a finished run records size, SHA-256 and rows of config.json and metrics.csv', async () => {
    const runsDir = path.join(root, 'record');
    await sweep(runsDir);
    const dir = path.join(runsDir, 'a');
    const record = readRunRecord(dir)!;
    const metrics = fs.readFileSync(path.join(dir, 'metrics.csv'), 'utf8');
    expect(record.files!['metrics.csv']).toEqual({
      bytes: Buffer.byteLength(metrics),
      sha256: sha256(path.join(dir, 'metrics.csv')),
      rows: metrics.trim().split('\n').length - 1,
    });
    expect(record.files!['config.json'].sha256).toBe(sha256(path.join(dir, 'config.json')));
    expect(record.owner).toBeUndefined();
    expect(verifyRun(dir)).toEqual({ record });
    expect(fs.readdirSync(dir).filter((name) => name.includes('.tmp-'))).toEqual([]);
  });

  it('retrains a run whose metrics.csv was cut short, naming the file, and reads the same numbers as before', async () => {
    const runsDir = path.join(root, 'cut');
    const first = await sweep(runsDir);
    const file = path.join(runsDir, 'b', 'metrics.csv');
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    const recorded = readRunRecord(path.join(runsDir, 'b'))!.files!['metrics.csv'].bytes;
    const cut = lines.slice(0, 10).join('\n') + '\n';
    fs.writeFileSync(file, cut);
    const second = await sweep(runsDir);
    expect(second.damaged).toEqual([`b: ${file} has ${Buffer.byteLength(cut)} bytes, run.json records ${recorded}`]);
    expect(second.outcomes.map((o) => o.resumed)).toEqual([true, false, true]);
    expect(second.outcomes[1].finalTestAccuracy).toBe(first.outcomes[1].finalTestAccuracy);
    expect(Number.isFinite(second.outcomes[1].finalTestAccuracy)).toBe(true);
  });

  it('retrains a run whose metrics.csv was changed in place (same size), by its SHA-256', async () => {
    const runsDir = path.join(root, 'edited');
    await sweep(runsDir);
    const file = path.join(runsDir, 'c', 'metrics.csv');
    const text = fs.readFileSync(file, 'utf8');
    const last = text.lastIndexOf('accuracy,');
    fs.writeFileSync(file, text.slice(0, last + 9) + (text[last + 9] === '9' ? '8' : '9') + text.slice(last + 10));
    const second = await sweep(runsDir);
    expect(second.damaged).toEqual([`c: ${file} does not match its SHA-256 in run.json`]);
    expect(second.outcomes.map((o) => o.resumed)).toEqual([true, true, false]);
  });

  it('retrains a run whose run.json is cut to 100 bytes instead of stopping the sweep', async () => {
    const runsDir = path.join(root, 'json');
    await sweep(runsDir);
    const file = path.join(runsDir, 'a', 'run.json');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').slice(0, 100));
    const second = await sweep(runsDir);
    expect(second.damaged).toHaveLength(1);
    expect(second.damaged[0]).toMatch(new RegExp(`^a: ${file} is unreadable \\(.*JSON`));
    expect(second.outcomes.map((o) => o.resumed)).toEqual([false, true, true]);
    expect(readRunRecord(path.join(runsDir, 'a'))!.status).toBe('completed');
  });

  it('retrains a run whose metrics.csv is missing or a folder', async () => {
    const runsDir = path.join(root, 'missing');
    await sweep(runsDir);
    fs.rmSync(path.join(runsDir, 'a', 'metrics.csv'));
    fs.rmSync(path.join(runsDir, 'b', 'config.json'));
    fs.mkdirSync(path.join(runsDir, 'b', 'config.json'));
    const second = await sweep(runsDir);
    expect(second.damaged).toEqual([
      `a: ${path.join(runsDir, 'a', 'metrics.csv')} is unreadable (ENOENT)`,
      `b: ${path.join(runsDir, 'b', 'config.json')} is unreadable (EISDIR)`,
    ]);
    expect(second.outcomes.map((o) => o.resumed)).toEqual([false, false, true]);
  });

  // Each damage case is written out: break one file, sweep again, and state what was retrained.
  it('retrains an interrupted run without calling it damaged', async () => {
    const runsDir = path.join(root, 'interrupted');
    await sweep(runsDir);
    editRunRecord(path.join(runsDir, 'c'), { status: 'interrupted' });
    const second = await sweep(runsDir);
    expect(second.damaged).toEqual([]);
    expect(second.outcomes.map((o) => o.resumed)).toEqual([true, true, false]);
  });

  it('keeps an unfinished run folder whose writer is alive, and names it', async () => {
    const runsDir = path.join(root, 'alive');
    await sweep(runsDir);
    editRunRecord(path.join(runsDir, 'a'), { status: 'running', owner: { pid: process.ppid, host: os.hostname() } });
    await expect(sweep(runsDir)).rejects.toThrow(
      `${path.join(runsDir, 'a')} is being written by process ${process.ppid} on ${os.hostname()}`,
    );
    expect(fs.existsSync(path.join(runsDir, 'a', 'metrics.csv'))).toBe(true);
  });
});
