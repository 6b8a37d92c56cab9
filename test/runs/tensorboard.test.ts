/**
 * TensorBoard event files written from run folders: the TFRecord framing and its masked
 * CRC32C (against known values and against a file TensorFlow itself wrote), the scalars and
 * hyperparameters read back with numbers, `inertia export tensorboard` on a hundred runs with
 * the tensor count and open files flat, older event files respected, unreadable runs skipped.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/backend.js';
import { exportTensorboard } from '../../src/commands/export.js';
import { loadDataset } from '../../src/data/index.js';
import { readMetrics } from '../../src/runs/metrics.js';
import { frameRecord, maskedCrc32c, readRecords } from '../../src/runs/tfrecord.js';
import { makeTrainConfig } from '../../src/train/config.js';
import { train } from '../../src/train/train.js';
import { CLI } from '../helpers/cli.js';
import { decodeHparams, readEventFile, scalarsOf, sessionOf, type DecodedEvent } from '../helpers/events.js';
import { tempFolder } from '../helpers/runs.js';

const root = tempFolder('inertia-tensorboard-');

let runDir: string;

beforeAll(async () => {
  const dataset = await loadDataset('synthetic', { trainLimit: 256, testLimit: 128 });
  const config = makeTrainConfig({
    dataset: 'synthetic',
    model: 'mlp',
    hidden: [16, 8],
    optimizer: { kind: 'heavy-ball', learningRate: 0.05, momentum: 0.9 },
    epochs: 2,
    batchSize: 64,
    logEvery: 2,
    seed: 3,
  });
  const result = await train(config, { outRoot: path.join(root, 'train'), runId: 'heavy', dataset, plot: false });
  runDir = result.dir;
});

function eventFiles(dir: string): string[] {
  const eventsDir = path.join(dir, 'tensorboard');
  return fs
    .readdirSync(eventsDir)
    .filter((name) => name.includes('tfevents'))
    .map((name) => path.join(eventsDir, name));
}

function onlyEvents(dir: string): DecodedEvent[] {
  const files = eventFiles(dir);
  expect(files).toHaveLength(1);
  return readEventFile(files[0]);
}

/** Open file descriptors of this process (Linux); null elsewhere. */
function openFiles(): number | null {
  try {
    return fs.readdirSync('/proc/self/fd').length;
  } catch {
    return null;
  }
}

describe('TFRecord framing', () => {
  it('masks CRC32C as TensorFlow does', () => {
    // CRC32C("123456789") = 0xe3069283 (the Castagnoli check value). Masked: rotate right by 15,
    // (0xe3069283 >>> 15) | (0xe3069283 << 17) = 0x0001c60d | 0x25060000 = 0x2507c60d,
    // plus 0xa282ead8 = 0xc78ab0e5 (mod 2^32).
    expect(maskedCrc32c(Buffer.from('123456789'))).toBe(0xc78ab0e5);
    // The empty string: CRC32C 0, masked 0 + 0xa282ead8.
    expect(maskedCrc32c(new Uint8Array(0))).toBe(0xa282ead8);
  });

  it('frames records (length, its checksum, data, its checksum) and rejects damaged ones', () => {
    const data = Buffer.from('brain');
    const record = frameRecord(data);
    expect(record.length).toBe(8 + 4 + 5 + 4);
    expect(record.readBigUInt64LE(0)).toBe(5n);
    expect(record.readUInt32LE(8)).toBe(maskedCrc32c(record.subarray(0, 8)));
    expect(record.readUInt32LE(17)).toBe(maskedCrc32c(data));
    const two = Buffer.concat([record, frameRecord(Buffer.from('event'))]);
    expect(readRecords(two).map(String)).toEqual(['brain', 'event']);

    const flipped = Buffer.from(two);
    flipped[13] ^= 1;
    expect(() => readRecords(flipped, 'f')).toThrow("f, record 1 at byte 0: the data's checksum does not match");
    const badLength = Buffer.from(two);
    badLength[0] ^= 1;
    expect(() => readRecords(badLength, 'f')).toThrow("the length's checksum does not match");
    expect(() => readRecords(two.subarray(0, two.length - 2), 'f')).toThrow('f, record 2 at byte 21: cut short');
  });

  it.runIf(tf.getBackend() === 'tensorflow')('reads a file written by TensorFlow: the checksums agree', () => {
    const dir = path.join(root, 'tensorflow-writer');
    const node = (
      tf as unknown as {
        node: { summaryFileWriter(dir: string): { scalar(n: string, v: number, s: number): void; flush(): void } };
      }
    ).node;
    const writer = node.summaryFileWriter(dir);
    writer.scalar('probe/value', 0.25, 7);
    writer.flush();
    const [file] = fs.readdirSync(dir);
    const events = readEventFile(path.join(dir, file));
    expect(events[0].fileVersion).toBe('brain.Event:2');
    const probe = events.find((event) => event.values.some((value) => value.tag === 'probe/value'))!;
    expect(probe.step).toBe(7);
  });
});

describe('event files of a run', () => {
  it('hold the file version, the hyperparameters, every finite metric and the session end', () => {
    const events = onlyEvents(runDir);
    const record = JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8'));
    const startSecs = Date.parse(record.startedAt) / 1000;
    expect(events[0]).toMatchObject({ fileVersion: 'brain.Event:2', step: 0, wallTime: startSecs });

    const { start, end } = sessionOf(events);
    expect(start!.hparams).toEqual({
      batchSize: 64,
      dataset: 'synthetic',
      divergenceBound: 100,
      epochs: 2,
      evalBatchSize: 1000,
      hidden: '16,8',
      logEvery: 2,
      loss: 'cross-entropy',
      lossScale: 1,
      mode: 'custom',
      model: 'mlp',
      normEvery: 10,
      'optimizer.kind': 'heavy-ball',
      'optimizer.learningRate': 0.05,
      'optimizer.momentum': 0.9,
      reduction: 'mean',
    });
    expect(start!.groupName).toMatch(/^[0-9a-f]{64}$/);
    expect(start!.startTimeSecs).toBe(startSecs);
    // STATUS_SUCCESS = 1, at run.json's stop time.
    expect(end).toEqual({ status: 1, endTimeSecs: Date.parse(record.stoppedAt) / 1000 });

    // Every metrics.csv row is a scalar `<split>/<metric>` at its step, as float32.
    const rows = readMetrics(path.join(runDir, 'metrics.csv'));
    const scalars = scalarsOf(events);
    const expected = new Map<string, [number, number][]>();
    for (const row of rows) {
      const tag = `${row.split}/${row.metric}`;
      expected.set(tag, [...(expected.get(tag) ?? []), [row.step, Math.fround(row.value)]]);
    }
    expect(scalars).toEqual(expected);
    // 2 epochs x 4 steps: the test loss at steps 0, 4 and 8.
    expect(scalars.get('test/loss')!.map(([step]) => step)).toEqual([0, 4, 8]);
  });

  it('encode values as TensorBoard expects: scalar metadata once per tag, hparams as a NULL_TENSOR with data class TENSOR', () => {
    const values = onlyEvents(runDir).flatMap((event) => event.values);
    const loss = values.filter((value) => value.tag === 'test/loss');
    expect(loss[0]).toMatchObject({ pluginName: 'scalars', dataClass: 1 });
    expect(loss.slice(1).every((value) => value.pluginName === undefined)).toBe(true);
    const hparams = values.filter((value) => value.pluginName === 'hparams');
    expect(hparams.map((value) => value.tag)).toEqual(['_hparams_/session_start_info', '_hparams_/session_end_info']);
    for (const value of hparams) {
      expect(value.dataClass).toBe(2);
      // dtype DT_FLOAT (field 1 = 1), tensor_shape { dim { } } (field 2, one empty dim of field 2): 6 bytes.
      expect([...value.tensor!]).toEqual([0x08, 0x01, 0x12, 0x02, 0x12, 0x00]);
      expect(decodeHparams(value.pluginContent!).version).toBe(0);
    }
  });
});

/** `count` copies of the trained run under `dir`, each with its own learning rate (and seed). */
function copies(dir: string, count: number): string[] {
  return Array.from({ length: count }, (_, index) => {
    const copy = path.join(dir, `run-${String(index).padStart(3, '0')}`);
    fs.cpSync(runDir, copy, { recursive: true });
    fs.rmSync(path.join(copy, 'tensorboard'), { recursive: true });
    const configFile = path.join(copy, 'config.json');
    const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
    config.optimizer.learningRate = 0.001 * (1 + (index % 50));
    config.seed = 1 + Math.floor(index / 50);
    fs.writeFileSync(configFile, JSON.stringify(config));
    return copy;
  });
}

describe('inertia export tensorboard', () => {
  it('exports a hundred runs with the tensor count and open files flat, and again without doubling', () => {
    const dir = path.join(root, 'hundred');
    const folders = copies(dir, 100);
    const tensors = tf.memory().numTensors;
    const files = openFiles();
    const started = performance.now();
    const result = exportTensorboard([dir]);
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `export tensorboard: 100 runs in ${seconds.toFixed(2)} s; tensors ${tensors} -> ${tf.memory().numTensors}; open files ${files} -> ${openFiles()}`,
    );
    expect(result.runs).toHaveLength(100);
    expect(result.skipped).toEqual([]);
    expect(result.logdir).toBe(path.resolve(dir));
    expect(tf.memory().numTensors).toBe(tensors);
    expect(openFiles()).toBe(files);

    // Two seeds of one learning rate share a session group; another learning rate does not.
    const start = (folder: string) => sessionOf(onlyEvents(folder)).start!;
    expect(start(folders[7]).hparams['optimizer.learningRate']).toBeCloseTo(0.008, 12);
    expect(start(folders[7]).hparams).not.toHaveProperty('seed');
    expect(start(folders[57]).groupName).toBe(start(folders[7]).groupName);
    expect(start(folders[8]).groupName).not.toBe(start(folders[7]).groupName);

    const before = scalarsOf(onlyEvents(folders[0]));
    exportTensorboard([dir]);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(openFiles()).toBe(files);
    expect(scalarsOf(onlyEvents(folders[0]))).toEqual(before);
  });

  it("keeps older event files' scalars and adds the hyperparameters; skips folders it cannot read", () => {
    const dir = path.join(root, 'older');
    const [older, broken] = copies(dir, 2);
    fs.mkdirSync(path.join(older, 'tensorboard'));
    fs.writeFileSync(path.join(older, 'tensorboard', 'events.out.tfevents.1700000000.host.1.0.v2'), '');
    fs.rmSync(path.join(broken, 'metrics.csv'));
    const result = exportTensorboard([dir]);
    expect(result.runs).toEqual([expect.objectContaining({ dir: older, scalars: false })]);
    expect(result.skipped).toEqual([{ dir: broken, reason: expect.stringContaining('no metrics.csv') }]);
    const own = eventFiles(older).filter((file) => file.endsWith('.inertia'));
    expect(own).toHaveLength(1);
    const events = readEventFile(own[0]);
    expect(scalarsOf(events).size).toBe(0);
    expect(sessionOf(events).start!.hparams['optimizer.kind']).toBe('heavy-ball');
  });

  it('runs from the command line: --json parses, a folder without runs is one line and exit 1', () => {
    const dir = path.join(root, 'cli');
    copies(dir, 3);
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [CLI, 'export', ...args], { encoding: 'utf8', env: { ...process.env, CI: '1' } });
    const ok = run('tensorboard', dir, '--json');
    expect(ok.status).toBe(0);
    const result = JSON.parse(ok.stdout);
    expect(result).toMatchObject({ format: 'tensorboard', skipped: [], logdir: path.resolve(dir) });
    expect(result.runs).toHaveLength(3);
    expect(ok.stderr).toContain('export: 3/3 runs');
    const empty = fs.mkdtempSync(path.join(root, 'empty-'));
    const none = run('tensorboard', empty);
    expect(none.status).toBe(1);
    expect(none.stderr).toContain('No run folders');
  }, 60_000);
});
