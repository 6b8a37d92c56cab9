/**
 * Smoke test of `inertia bench`: a tiny run (a few optimizer steps, 256 synthetic samples,
 * no peers) that checks the files, the columns and the numbers that do not depend on timing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBench } from '../../src/bench/run.js';
import { parseSections } from '../../src/bench/folder.js';
import { SMOKE_SETTINGS, defaultBenchDatasets, resolveThreads } from '../../src/commands/bench.js';
import { IDX_FILES } from '../../src/data/idxDataset.js';
import { BENCH_COLUMNS } from '../../src/bench/report.js';
import { exportDataset, findPeer, peerCommand, peerModelSpec } from '../../src/bench/peers.js';
import { buildModel } from '../../src/models/index.js';
import { readCsv as readCsvFile } from '../../src/util/csv.js';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'inertia-bench-test-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

const readCsv = (file: string) => readCsvFile(file).rows;

describe('inertia bench (smoke)', () => {
  it('writes bench.csv in long format and bench.md with the sections it ran', async () => {
    const outcome = await runBench({
      quick: true,
      sections: ['optimizer', 'training', 'backends'],
      outRoot: scratch,
      threads: { intraOp: 1, interOp: 1 },
      command: 'inertia bench --smoke',
      // The sizes of `inertia bench --smoke`: 256 synthetic examples, 3 timed optimizer steps.
      ...SMOKE_SETTINGS,
      // Eager paths only: the compiled ones double the work (test/graph/compile.test.ts covers them).
      compile: 'off',
    });
    expect(fs.readdirSync(outcome.dir).sort()).toEqual(['bench.csv', 'bench.md', 'goals.md', 'runs']);
    expect(fs.readFileSync(outcome.goals, 'utf8')).toContain('| MLP custom loop / Keras fit | >= 1.50 |');

    const header = fs.readFileSync(outcome.csv, 'utf8').split('\n')[0];
    expect(header).toBe(BENCH_COLUMNS.join(','));
    const rows = readCsv(outcome.csv);
    for (const row of rows) {
      expect(Number.isFinite(Number(row.value))).toBe(true);
      expect(row.machine.length).toBeGreaterThan(0);
      expect(row.versions).toMatch(/tfjs 4\.22\.0/);
    }
    expect(new Set(rows.map((r) => r.section))).toEqual(new Set(['optimizer', 'training', 'backends']));

    // Kernel launches per applyGradients on the MLP's 6 variables: sgd 2 per variable
    // (mul, add/sub), heavy-ball 4 (mul, add; mul, add/sub), the same for built-in and custom.
    const kernels = (system: string) =>
      Number(
        rows.find((r) => r.metric === 'kernels_per_step' && r.system === system && r.workload.startsWith('mlp'))?.value,
      );
    expect(kernels('tf.train.sgd')).toBe(12);
    expect(kernels('custom sgd')).toBe(12);
    expect(kernels('custom heavy-ball')).toBe(24);
    expect(rows.filter((r) => r.metric === 'ratio_median_step')).toHaveLength(4);
    // A custom step keeps no new tensors once its state exists.
    expect(
      rows
        .filter((r) => r.metric === 'new_tensors_per_step' && r.system.startsWith('custom'))
        .map((r) => Number(r.value)),
    ).toEqual([0, 0, 0, 0]);

    const training = rows.filter((r) => r.section === 'training' && r.metric === 'samples_per_second');
    expect(training).toHaveLength(5);
    for (const row of training) expect(Number(row.value)).toBeGreaterThan(0);
    const accuracy = rows.filter((r) => r.metric === 'final_test_accuracy').map((r) => Number(r.value));
    for (const value of accuracy) expect(value).toBeGreaterThanOrEqual(0);
    expect(rows.some((r) => r.section === 'backends' && r.system === 'cpu' && r.metric === 'samples_per_second')).toBe(
      true,
    );

    const markdown = fs.readFileSync(outcome.markdown, 'utf8');
    expect(markdown).toContain('Command: `inertia bench --smoke`');
    expect(markdown).toMatch(/load average at start \d+\.\d\d/);
    expect(markdown).toContain('## 1. Optimizer step cost');
    expect(markdown).toContain('## 2. End-to-end training throughput');
    expect(markdown).toContain('## 3. Backends');
    expect(markdown).not.toContain('## 4. Peers');
  });

  it('rejects unknown sections with the list of valid ones', () => {
    expect(() => parseSections('optimizer,speed')).toThrow(
      'Unknown bench section "speed" (expected a comma-separated list of: optimizer, training, backends, peers, fit)',
    );
    expect(parseSections('peers, training')).toEqual(['peers', 'training']);
  });

  it('gives every system the same thread counts: flags, else the environment, else the core count for both pools', () => {
    const names = ['TF_NUM_INTRAOP_THREADS', 'TF_NUM_INTEROP_THREADS', 'OMP_NUM_THREADS'] as const;
    const saved = names.map((name) => process.env[name]);
    const cores = os.availableParallelism();
    try {
      for (const name of names) delete process.env[name];
      expect(resolveThreads(undefined)).toEqual({ intraOp: cores, interOp: cores });
      expect(resolveThreads(1)).toEqual({ intraOp: 1, interOp: 1 });
      expect(resolveThreads(1, 3)).toEqual({ intraOp: 1, interOp: 3 });
      expect([process.env.TF_NUM_INTRAOP_THREADS, process.env.TF_NUM_INTEROP_THREADS]).toEqual(['1', '3']);
      delete process.env.TF_NUM_INTEROP_THREADS;
      expect(resolveThreads(undefined)).toEqual({ intraOp: 1, interOp: cores });
      expect(() => resolveThreads(undefined, 0)).toThrow(
        'Invalid --inter-op value: 0 (expected a positive integer, e.g. --inter-op 1)',
      );
    } finally {
      names.forEach((name, i) => {
        if (saved[i] === undefined) delete process.env[name];
        else process.env[name] = saved[i];
      });
    }
    const command = peerCommand('keras', {
      python: 'python3',
      dataDir: 'data',
      modelFile: 'model.json',
      batchSize: 128,
      learningRate: 0.05,
      momentum: 0.9,
      epochs: 1,
      threads: 2,
      interOp: 2,
      seed: 1,
      timeoutSeconds: 60,
    });
    expect(command.slice(command.indexOf('--threads'), command.indexOf('--threads') + 4)).toEqual([
      '--threads',
      '2',
      '--inter-op',
      '2',
    ]);
  });

  it('times fashion-mnist by default when its files are there, else mnist-digits with a note', async () => {
    const complete = path.join(scratch, 'idx-complete', 'fashion-mnist');
    const partial = path.join(scratch, 'idx-partial', 'fashion-mnist');
    fs.mkdirSync(complete, { recursive: true });
    fs.mkdirSync(partial, { recursive: true });
    for (const file of Object.values(IDX_FILES)) fs.writeFileSync(path.join(complete, file), '');
    fs.writeFileSync(path.join(partial, IDX_FILES.trainImages), '');
    const notes: string[] = [];
    const env = (dir: string) => ({ INERTIA_DATA_DIR: path.dirname(dir) });
    expect(await defaultBenchDatasets((n) => notes.push(n), env(complete))).toEqual(['fashion-mnist']);
    expect(notes).toEqual([]);
    expect(await defaultBenchDatasets((n) => notes.push(n), env(partial))).toEqual(['mnist-digits']);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^timing on mnist-digits, whose short epochs .* fashion-mnist in .* is incomplete/);
  });

  it('says how to set up a peer that is missing', () => {
    const found = findPeer('keras', { ...process.env, INERTIA_CACHE_DIR: path.join(scratch, 'no-cache') });
    expect(found.available).toBe(false);
    if (!found.available) expect(found.reason).toContain('bash scripts/peers/setup.sh');
  });

  it('exports the model and data the peers train', () => {
    const cnn = buildModel({ kind: 'cnn', seed: 1 });
    const spec = peerModelSpec('cnn', cnn);
    const conv1 = cnn.getLayer('conv1').getConfig();
    const parameters = cnn.countParams();
    cnn.dispose();
    expect(spec.input_shape).toEqual([28, 28, 1]);
    expect(spec.layers.map((l) => l.type)).toEqual([
      'conv2d',
      'max_pooling2d',
      'conv2d',
      'max_pooling2d',
      'flatten',
      'dense',
      'dense',
    ]);
    expect(spec.layers[0]).toEqual({
      type: 'conv2d',
      filters: 16,
      kernel_size: [5, 5],
      strides: [1, 1],
      padding: conv1.padding,
      activation: 'relu',
    });
    expect(spec.layers[1]).toEqual({ type: 'max_pooling2d', pool_size: [2, 2], strides: [2, 2], padding: 'valid' });
    expect(spec.layers.slice(5)).toEqual([
      { type: 'dense', units: 128, activation: 'relu' },
      { type: 'dense', units: 10, activation: 'linear' },
    ]);
    expect(spec.parameters).toBe(parameters);

    const mlp = buildModel({ kind: 'mlp', seed: 1 });
    const mlpSpec = peerModelSpec('mlp', mlp);
    mlp.dispose();
    // 784*256+256 + 256*128+128 + 128*10+10
    expect(mlpSpec.parameters).toBe(235146);
    expect(mlpSpec.layers).toEqual([
      { type: 'flatten' },
      { type: 'dense', units: 256, activation: 'relu' },
      { type: 'dense', units: 128, activation: 'relu' },
      { type: 'dense', units: 10, activation: 'linear' },
    ]);

    const images = Float32Array.from({ length: 2 * 784 }, (_, i) => i / 1568);
    const split = { images, labels: Int32Array.from([3, 7]), count: 2 };
    const dir = path.join(scratch, 'export');
    exportDataset(dir, 'tiny', split, split);
    const bytes = (name: string) => {
      const buffer = fs.readFileSync(path.join(dir, name));
      return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength);
    };
    const back = new Float32Array(bytes('train-images.f32'));
    expect(back.length).toBe(1568);
    expect(back[1567]).toBe(Math.fround(1567 / 1568));
    expect(Array.from(new Int32Array(bytes('test-labels.i32')))).toEqual([3, 7]);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'header.json'), 'utf8')).train.count).toBe(2);
  });
});
