import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tf } from '../../src/backend.js';
import { readMetrics, type MetricRow } from '../../src/runs/metrics.js';
import { readRunRecord } from '../../src/runs/runFolder.js';
import { makeTrainConfig, type TrainConfig, type TrainConfigOverrides } from '../../src/train/config.js';
import { checkpointEpochs, readCheckpoint } from '../../src/train/checkpoint.js';
import { resumeRun } from '../../src/train/resume.js';
import { train } from '../../src/train/train.js';
import { UserError } from '../../src/util/errors.js';
import { tempFolder } from '../helpers/runs.js';
import { configFromArgs } from '../../src/commands/train.js';
import { trainOptions, type TrainArgs } from '../../src/commands/trainOptions.js';

const root = tempFolder('inertia-checkpoint-');

function config(overrides: Partial<TrainConfigOverrides> = {}): TrainConfig {
  return makeTrainConfig({
    dataset: 'synthetic',
    trainLimit: 320,
    testLimit: 128,
    model: 'mlp',
    hidden: [16],
    optimizer: { kind: 'heavy-ball', learningRate: 0.05, momentum: 0.9 },
    epochs: 3,
    batchSize: 64,
    logEvery: 2,
    normEvery: 3,
    checkpoint: 'every-epoch',
    ...overrides,
  });
}

const TIMING = new Set(['epoch_seconds', 'samples_per_second']);
const untimed = (rows: MetricRow[]) => rows.filter((row) => !TIMING.has(row.metric));

/** The model's weights (not the optimizer's) of a checkpoint, as plain numbers. */
function checkpointWeights(dir: string, epoch: number): number[][] {
  const checkpoint = readCheckpoint(dir, epoch);
  const values = checkpoint.modelWeights.map((entry) => Array.from(entry.tensor.dataSync()));
  tf.dispose([...checkpoint.modelWeights, ...checkpoint.optimizerWeights].map((entry) => entry.tensor));
  return values;
}

/**
 * A copy of a finished run as a run interrupted during epoch `epoch + 1` would leave it:
 * checkpoints up to `epoch`, run.json `interrupted`, metrics.csv holding a later epoch's rows too.
 */
function interruptedCopy(dir: string, id: string, epoch: number): string {
  const copy = path.join(root, id);
  fs.cpSync(dir, copy, { recursive: true });
  for (const later of checkpointEpochs(copy).filter((e) => e > epoch)) {
    fs.rmSync(path.join(copy, 'checkpoints', `epoch-${later}`), { recursive: true });
  }
  const record = readRunRecord(copy)!;
  const { files: _files, summary: _summary, checkpoints: _checkpoints, ...rest } = record;
  fs.writeFileSync(path.join(copy, 'run.json'), JSON.stringify({ ...rest, id, status: 'interrupted' }));
  return copy;
}

describe('checkpoints', () => {
  it('every-epoch writes a TensorFlow.js model folder per epoch with the optimizer weights', async () => {
    const result = await train(config(), { outRoot: root, runId: 'every-epoch', plot: false });
    expect(checkpointEpochs(result.dir)).toEqual([1, 2, 3]);
    const folder = path.join(result.dir, 'checkpoints', 'epoch-3');
    expect(fs.readdirSync(folder).sort()).toEqual(['model.json', 'weights.bin']);
    const modelJson = JSON.parse(fs.readFileSync(path.join(folder, 'model.json'), 'utf8'));
    const specs = modelJson.weightsManifest[0].weights as tf.io.WeightsManifestEntry[];
    // heavy-ball: the iteration count and one velocity per trainable variable.
    expect(specs.filter((spec) => spec.group === 'optimizer').map((spec) => spec.name)).toHaveLength(1 + 4);
    expect(modelJson.userDefinedMetadata.inertia).toMatchObject({ epoch: 3, step: 15 });
    // tfjs-layers loads it: the model with the weights of the end of epoch 3.
    const loaded = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: modelJson.modelTopology,
        weightSpecs: specs,
        weightData: new Uint8Array(fs.readFileSync(path.join(folder, 'weights.bin'))).buffer,
      }),
    );
    const expected = checkpointWeights(result.dir, 3);
    expect(loaded.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(expected);
    loaded.dispose();
    expect(readRunRecord(result.dir)!.checkpoints).toMatchObject({
      mode: 'every-epoch',
      kept: [1, 2, 3].map((epoch) => ({ epoch, path: `checkpoints/epoch-${epoch}` })),
    });
  });

  it('last keeps the newest only; best keeps the epoch with the lowest held-out loss once finished', async () => {
    const last = await train(config({ checkpoint: 'last' }), { outRoot: root, runId: 'last', plot: false });
    expect(checkpointEpochs(last.dir)).toEqual([3]);
    // A rate large enough for the test loss to go up again after its best epoch.
    const best = await train(config({ checkpoint: 'best', epochs: 4, optimizer: { kind: 'sgd', learningRate: 3 } }), {
      outRoot: root,
      runId: 'best',
      plot: false,
    });
    const losses = readMetrics(path.join(best.dir, 'metrics.csv')).filter(
      (row) => row.split === 'test' && row.metric === 'loss' && row.epoch > 0,
    );
    const bestRow = losses.reduce((a, b) => (b.value < a.value ? b : a));
    expect(checkpointEpochs(best.dir)).toEqual([bestRow.epoch]);
    expect(readRunRecord(best.dir)!.checkpoints).toEqual({
      mode: 'best',
      metric: 'test/loss',
      kept: [{ epoch: bestRow.epoch, path: `checkpoints/epoch-${bestRow.epoch}` }],
      best: { epoch: bestRow.epoch, value: bestRow.value, path: `checkpoints/epoch-${bestRow.epoch}` },
    });
  });
});

describe('resumeRun', () => {
  // Kinds whose state is more than a velocity: Adam's moments and count, Prodigy's global
  // distance, schedule-free's average (evaluated at x), tf.train's own momentum, model.fit.
  const cases: [string, Partial<TrainConfigOverrides>][] = [
    ['heavy-ball', {}],
    ['adam', { optimizer: { kind: 'adam', learningRate: 0.01 } }],
    ['prodigy', { optimizer: { kind: 'prodigy' } }],
    ['schedule-free', { optimizer: { kind: 'schedule-free', learningRate: 0.5 } }],
    ['builtin-momentum', { optimizer: { kind: 'builtin-momentum', learningRate: 0.05, momentum: 0.9 } }],
    ['keras', { mode: 'keras' }],
    ['cnn-bn', { model: 'cnn-bn', hidden: undefined, trainLimit: 192, epochs: 2 }],
  ];
  it.each(cases)('continues %s after its checkpoint exactly as the uninterrupted run', async (name, overrides) => {
    const whole = await train(config(overrides), { outRoot: root, runId: `whole-${name}`, plot: false });
    const copy = interruptedCopy(whole.dir, `resumed-${name}`, 1);
    const resumed = await resumeRun(copy, { plot: false });
    expect(resumed.status).toBe('completed');
    expect(resumed.steps).toBe(whole.steps);
    const rowsOf = (dir: string) => untimed(readMetrics(path.join(dir, 'metrics.csv')));
    expect(rowsOf(copy)).toEqual(rowsOf(whole.dir));
    const epochs = whole.rows.at(-1)!.epoch;
    expect(checkpointWeights(copy, epochs)).toEqual(checkpointWeights(whole.dir, epochs));
    expect(resumed.final).toEqual(whole.final);
    const record = readRunRecord(copy)!;
    expect(record.status).toBe('completed');
    expect(record.resumed).toEqual([{ at: expect.any(String), fromEpoch: 1 }]);
  });

  it('refuses a finished run, a run without checkpoints and a run without a checkpoint yet', async () => {
    const finished = await train(config({ epochs: 1 }), { outRoot: root, runId: 'finished', plot: false });
    await expect(resumeRun(finished.dir)).rejects.toThrow(/is completed already; there is nothing to resume/);
    const plain = await train(config({ epochs: 1, checkpoint: undefined }), { outRoot: root, runId: 'plain' });
    await expect(resumeRun(plain.dir)).rejects.toThrow(/trained without checkpoints; train it again with --checkpoint/);
    const early = interruptedCopy(finished.dir, 'no-checkpoint-yet', 0);
    await expect(resumeRun(early)).rejects.toThrow(/has no checkpoint yet/);
    await expect(resumeRun(path.join(root, 'absent'))).rejects.toThrow(UserError);
  });
});

describe('early stopping', () => {
  it('stops when the metric has not improved for `patience` epochs and says why in run.json', async () => {
    // A rate so small that the test accuracy (a multiple of 1/128) cannot change: no epoch improves on the first.
    const result = await train(
      config({
        checkpoint: undefined,
        epochs: 6,
        optimizer: { kind: 'sgd', learningRate: 1e-12 },
        earlyStop: { metric: 'test/accuracy', patience: 2 },
      }),
      { outRoot: root, runId: 'early-stop', plot: false },
    );
    expect(result.rows.at(-1)!.epoch).toBe(3);
    expect(result.steps).toBe(3 * 5);
    const accuracy = result.rows.find((r) => r.epoch === 1 && r.split === 'test' && r.metric === 'accuracy')!.value;
    expect(readRunRecord(result.dir)!.earlyStop).toEqual({
      metric: 'test/accuracy',
      patience: 2,
      stoppedAtEpoch: 3,
      bestEpoch: 1,
      bestValue: accuracy,
      reason: `test/accuracy did not improve on ${accuracy} (epoch 1) for 2 epochs`,
    });
  });

  it('is read from --early-stop <split>/<metric>:<patience>, with --checkpoint, into config.json fields', () => {
    const defaults = Object.fromEntries(
      Object.entries(trainOptions).map(([flag, option]) => [flag, 'default' in option ? option.default : undefined]),
    ) as unknown as TrainArgs;
    const args = { ...defaults, lr: 0.1, momentum: 0.9, 'validation-size': 500 };
    const parsed = configFromArgs({ ...args, 'early-stop': 'validation/accuracy:4', checkpoint: 'best' });
    expect(parsed.earlyStop).toEqual({ metric: 'validation/accuracy', patience: 4 });
    expect(parsed.checkpoint).toBe('best');
    expect(() => configFromArgs({ ...args, 'early-stop': 'validation/loss' })).toThrow(
      'Invalid --early-stop value: "validation/loss" (expected <split>/<metric>:<patience>, e.g. validation/loss:3)',
    );
  });

  it('refuses a metric the run does not record, with the fix', () => {
    expect(() => config({ earlyStop: { metric: 'validation/loss', patience: 3 } })).toThrow(
      'Invalid early-stop metric: "validation/loss" (this run records train/loss, train/accuracy, test/loss, test/accuracy after every epoch; this run has no validation split: add --validation-size N, or stop on test/loss)',
    );
    expect(() => config({ earlyStop: { metric: 'test/loss', patience: 0 } })).toThrow(
      'Invalid early-stop patience: 0 (expected an integer >= 1, the epochs without improvement to wait)',
    );
  });
});
