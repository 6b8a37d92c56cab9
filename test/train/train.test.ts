import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tf } from '../../src/backend.js';
import { readMetrics, METRIC_COLUMNS } from '../../src/runs/metrics.js';
import { readRunRecord, RunExistsError } from '../../src/runs/runFolder.js';
import { makeTrainConfig, TRAIN_DEFAULTS, type TrainConfig } from '../../src/train/config.js';
import { train, trainInMemory } from '../../src/train/train.js';
import { UserError } from '../../src/util/errors.js';
import { trainEvalRows } from '../../src/train/deviceData.js';
import { formatResult } from '../../src/commands/train.js';
import { shortRuns } from '../helpers/runs.js';

const { dataset, root, config } = await shortRuns('inertia-train-', {
  optimizer: { kind: 'heavy-ball', learningRate: 0.05, momentum: 0.9 },
  epochs: 2,
  logEvery: 4,
  normEvery: 3,
});

const TIMING = new Set(['epoch_seconds', 'samples_per_second']);

describe('train', () => {
  it('writes a run folder: config.json, run.json, long-format metrics.csv, loss plot', async () => {
    const result = await train(config(), { outRoot: root, runId: 'layout', dataset });
    expect(result.status).toBe('completed');
    expect(result.steps).toBe(2 * Math.ceil(512 / 64));
    const files = fs.readdirSync(result.dir).sort();
    expect(files).toEqual(expect.arrayContaining(['config.json', 'run.json', 'metrics.csv', 'loss.svg', 'loss.png']));
    expect(fs.statSync(path.join(result.dir, 'loss.png')).size).toBeGreaterThan(1000);
    const csv = fs.readFileSync(path.join(result.dir, 'metrics.csv'), 'utf8');
    expect(csv.split('\n')[0]).toBe(METRIC_COLUMNS.join(','));
    const record = readRunRecord(result.dir)!;
    expect(record.status).toBe('completed');
    expect(record.backend).toBe(tf.getBackend());
    expect(record.summary?.final_test_accuracy).toBeCloseTo(result.final.test.accuracy, 10);
    // Sorted keys, so diffs between runs read well.
    const configText = fs.readFileSync(path.join(result.dir, 'config.json'), 'utf8');
    const keys = Object.keys(JSON.parse(configText));
    expect(keys).toEqual([...keys].sort());
    // Learned something in 16 steps (chance is 10%).
    expect(result.initial.test.accuracy).toBeLessThan(0.3);
    expect(result.final.test.accuracy).toBeGreaterThan(result.initial.test.accuracy + 0.3);
    // TensorBoard events on any backend (written in JavaScript): one file, replaced at the end.
    expect(fs.readdirSync(path.join(result.dir, 'tensorboard'))).toEqual([
      expect.stringMatching(/^events\.out\.tfevents\.\d+\.inertia$/),
    ]);
    // Every metric the study needs is there.
    const metrics = new Set(readMetrics(path.join(result.dir, 'metrics.csv')).map((r) => `${r.split}/${r.metric}`));
    for (const name of [
      'train/batch_loss',
      'train/grad_norm',
      'train/update_norm',
      'train/velocity_norm',
      'train/loss',
      'test/accuracy',
      'train/displacement',
      'train/epoch_seconds',
      'train/samples_per_second',
    ]) {
      expect(metrics).toContain(name);
    }
  });

  it('is deterministic: the same seed gives identical losses and accuracies', async () => {
    const a = await train(config({ seed: 7 }), { outRoot: root, runId: 'same-a', dataset, plot: false });
    const b = await train(config({ seed: 7 }), { outRoot: root, runId: 'same-b', dataset, plot: false });
    const c = await train(config({ seed: 8 }), { outRoot: root, runId: 'other', dataset, plot: false });
    const values = (rows: typeof a.rows) =>
      rows.filter((r) => !TIMING.has(r.metric)).map((r) => `${r.step}/${r.split}/${r.metric}=${r.value}`);
    expect(values(a.rows)).toEqual(values(b.rows));
    expect(values(a.rows)).not.toEqual(values(c.rows));
  });

  it('marks a diverging run as diverged, with the step, instead of crashing', async () => {
    const result = await train(config({ optimizer: { kind: 'sgd', learningRate: 1e4 } }), {
      outRoot: root,
      runId: 'diverged',
      dataset,
      plot: false,
    });
    expect(result.status).toBe('diverged');
    expect(result.divergedAtStep).toBeGreaterThanOrEqual(1);
    expect(result.divergedAtStep).toBeLessThanOrEqual(8);
    const record = readRunRecord(result.dir)!;
    expect(record.status).toBe('diverged');
    expect(record.divergedAtStep).toBe(result.divergedAtStep);
  });

  it('leaks no tensors: the count is flat across epochs and back to baseline after the run', async () => {
    const before = tf.memory().numTensors;
    const atEpochEnd: number[] = [];
    // TensorBoard off: tfjs-node keeps each summary writer (5 tensors) for the life of the process.
    await train(config({ epochs: 4 }), {
      outRoot: root,
      runId: 'leaks',
      dataset,
      plot: false,
      tensorboard: false,
      onProgress: (p) => {
        if (p.samplesPerSecond !== null) atEpochEnd.push(tf.memory().numTensors);
      },
    });
    expect(atEpochEnd).toHaveLength(4);
    expect(new Set(atEpochEnd.slice(1)).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('model.fit mode (--keras) follows the custom loop', async () => {
    const custom = await train(config({ normEvery: 0 }), { outRoot: root, runId: 'mode-custom', dataset, plot: false });
    const keras = await train(config({ normEvery: 0, mode: 'keras' }), {
      outRoot: root,
      runId: 'mode-keras',
      dataset,
      plot: false,
    });
    expect(keras.steps).toBe(custom.steps);
    expect(keras.final.test.loss).toBeCloseTo(custom.final.test.loss, 3);
    expect(Math.abs(keras.final.test.accuracy - custom.final.test.accuracy)).toBeLessThanOrEqual(0.01);
  });

  it('hands the loss to optimizers that need it (polyak), in the custom loop and model.fit alike', async () => {
    const polyak = config({ optimizer: { kind: 'polyak', maxLearningRate: 0.5 }, normEvery: 0 });
    const custom = await train(polyak, { outRoot: root, runId: 'polyak-custom', dataset, plot: false });
    const keras = await train(
      { ...polyak, mode: 'keras' },
      { outRoot: root, runId: 'polyak-keras', dataset, plot: false },
    );
    expect(custom.status).toBe('completed');
    expect(custom.final.train.loss).toBeLessThan(0.8 * custom.initial.train.loss);
    expect(keras.final.test.loss).toBeCloseTo(custom.final.test.loss, 3);
  });

  it('never overwrites an existing run folder', async () => {
    await train(config({ epochs: 1 }), { outRoot: root, runId: 'taken', dataset, plot: false });
    await expect(train(config({ epochs: 1 }), { outRoot: root, runId: 'taken', dataset, plot: false })).rejects.toThrow(
      RunExistsError,
    );
  });

  it('stops after maxSteps and scales the loss only for differentiation', async () => {
    const result = await train(
      config({ maxSteps: 5, lossScale: 100, optimizer: { kind: 'sgd', learningRate: 0.0005 } }),
      { outRoot: root, runId: 'max-steps', dataset, plot: false },
    );
    expect(result.steps).toBe(5);
    // The recorded loss is the unscaled cross-entropy (about ln 10 at the start).
    const first = result.rows.find((r) => r.metric === 'batch_loss')!;
    expect(first.value).toBeGreaterThan(1.5);
    expect(first.value).toBeLessThan(4);
  });

  it('evalEvery adds held-out evaluations inside each epoch without changing the training', async () => {
    // 512 examples in batches of 64: 8 steps per epoch, so evaluations at steps 3 and 6 inside
    // each epoch (9, 12, 15 in the second) besides the epoch ends (8, 16).
    const plain = await train(config({ normEvery: 0 }), { outRoot: root, runId: 'eval-plain', dataset, plot: false });
    const often = await train(config({ normEvery: 0, evalEvery: 3 }), {
      outRoot: root,
      runId: 'eval-every',
      dataset,
      plot: false,
    });
    const steps = (rows: typeof often.rows) =>
      rows.filter((r) => r.split === 'test' && r.metric === 'accuracy').map((r) => r.step);
    expect(steps(plain.rows)).toEqual([0, 8, 16]);
    expect(steps(often.rows)).toEqual([0, 3, 6, 8, 9, 12, 15, 16]);
    const losses = (rows: typeof often.rows) => rows.filter((r) => r.metric === 'batch_loss').map((r) => r.value);
    expect(losses(often.rows)).toEqual(losses(plain.rows));
    expect(often.final.test).toEqual(plain.final.test);
    expect(() => config({ evalEvery: 3, mode: 'keras' })).toThrow(/evalEvery applies to the custom loop only/);
  });

  it('trainEvalSize evaluates the training split on a fixed subset without changing the training', async () => {
    const plain = await train(config({ normEvery: 0 }), {
      outRoot: root,
      runId: 'train-eval-all',
      dataset,
      plot: false,
    });
    const subset = await train(config({ normEvery: 0, trainEvalSize: 100 }), {
      outRoot: root,
      runId: 'train-eval-100',
      dataset,
      plot: false,
    });
    const whole = await train(config({ normEvery: 0, trainEvalSize: 512 }), {
      outRoot: root,
      runId: 'train-eval-512',
      dataset,
      plot: false,
    });
    const losses = (rows: typeof plain.rows) => rows.filter((r) => r.metric === 'batch_loss').map((r) => r.value);
    expect(losses(subset.rows)).toEqual(losses(plain.rows));
    expect(subset.final.test).toEqual(plain.final.test);
    // A subset of 100 of the 512 examples: the same weights give another training-split number.
    expect(subset.final.train.loss).not.toEqual(plain.final.train.loss);
    expect(subset.final.train.accuracy * 100).toBeCloseTo(Math.round(subset.final.train.accuracy * 100), 6);
    // As many as the split holds: the whole split, as without the field.
    expect(whole.final.train).toEqual(plain.final.train);
    const rows = trainEvalRows(512, 100)!;
    expect(rows.length).toBe(100);
    expect(new Set(rows).size).toBe(100);
    expect(Array.from(rows)).toEqual(Array.from(rows).sort((a, b) => a - b));
    expect(Array.from(trainEvalRows(512, 100)!)).toEqual(Array.from(rows));
    expect(trainEvalRows(512, 512)).toBeNull();
    expect(() => config({ trainEvalSize: 0 })).toThrow(/Invalid trainEvalSize value: 0/);
  });

  it('sum reduction is the mean loss scaled by the batch size; batch_loss stays the mean', async () => {
    // 512 examples in batches of 64: every batch is full, so sum = 64 x mean on every step.
    const sgd = { kind: 'sgd', learningRate: 0.0005 } as const;
    const summed = await train(config({ epochs: 1, normEvery: 0, optimizer: sgd, reduction: 'sum' }), {
      outRoot: root,
      runId: 'reduction-sum',
      dataset,
      plot: false,
    });
    const scaled = await train(config({ epochs: 1, normEvery: 0, optimizer: sgd, lossScale: 64 }), {
      outRoot: root,
      runId: 'reduction-scaled',
      dataset,
      plot: false,
    });
    const losses = (rows: typeof summed.rows) => rows.filter((r) => r.metric === 'batch_loss').map((r) => r.value);
    expect(losses(summed.rows)[0]).toBeGreaterThan(1.5);
    expect(losses(summed.rows)[0]).toBeLessThan(4);
    losses(summed.rows).forEach((loss, i) => expect(loss).toBeCloseTo(losses(scaled.rows)[i], 4));
    expect(summed.final.test.accuracy).toBeCloseTo(scaled.final.test.accuracy, 6);
  });

  it('trains on squared error when asked, in the custom loop and in model.fit alike', async () => {
    const mse = { epochs: 1, normEvery: 0, loss: 'mse', optimizer: { kind: 'sgd', learningRate: 0.2 } } as const;
    const custom = await train(config(mse), { outRoot: root, runId: 'mse-custom', dataset, plot: false });
    const keras = await train(config({ ...mse, mode: 'keras' }), {
      outRoot: root,
      runId: 'mse-keras',
      dataset,
      plot: false,
    });
    const losses = custom.rows.filter((r) => r.metric === 'batch_loss').map((r) => r.value);
    // Squared error of near-zero logits against one-hot labels starts near 1/10, not at ln 10.
    expect(losses[0]).toBeGreaterThan(0.05);
    expect(losses[0]).toBeLessThan(0.5);
    expect(losses.at(-1)!).toBeLessThan(losses[0]);
    expect(keras.final.test.accuracy).toBeCloseTo(custom.final.test.accuracy, 2);
  });

  it('names the held-out split: a run evaluated on a validation split reports validation, never test, numbers', async () => {
    const validation = { size: 128, seed: 7, evaluate: 'validation' as const };
    const result = await train(config({ validation }), { outRoot: root, runId: 'validation-named', dataset });
    expect(result.heldOut).toBe('validation');
    expect(Object.keys(result.final).sort()).toEqual(['train', 'validation']);
    expect(Object.keys(result.initial).sort()).toEqual(['train', 'validation']);
    expect(result.final.test).toBeUndefined();
    const last = readMetrics(path.join(result.dir, 'metrics.csv')).filter(
      (row) => row.split === 'validation' && row.metric === 'accuracy',
    );
    expect(result.final.validation?.accuracy).toBe(last.at(-1)?.value);
    const summary = readRunRecord(result.dir)!.summary!;
    expect(summary.final_validation_accuracy).toBe(result.final.validation?.accuracy);
    expect(summary).not.toHaveProperty('final_test_accuracy');
    // What `inertia train` prints for it.
    const printed = formatResult(result);
    expect(printed).toMatch(/validation accuracy \d+\.\d+%, validation loss \d\.\d{4}, train loss/);
    expect(printed).not.toMatch(/test/);
    // The same training examples evaluated on the test split: `final.test`, and `test` in the text.
    const tested = await train(config({ validation: { ...validation, evaluate: 'test' } }), {
      outRoot: root,
      runId: 'test-named',
      dataset,
    });
    expect(Object.keys(tested.final).sort()).toEqual(['test', 'train']);
    expect(formatResult(tested)).toMatch(/test accuracy \d+\.\d+%, test loss/);
  });

  it('trains in memory with the same numbers as a run folder, and writes no files', async () => {
    const before = fs.readdirSync(root).length;
    const inMemory = await trainInMemory(config({ epochs: 1 }), { dataset });
    const folder = await train(config({ epochs: 1 }), { outRoot: root, runId: 'in-memory-twin', dataset, plot: false });
    expect(fs.readdirSync(root).length).toBe(before + 1);
    const values = (rows: typeof inMemory.rows) =>
      rows.filter((row) => !TIMING.has(row.metric)).map((row) => [row.step, row.metric, row.split, row.value]);
    expect(values(inMemory.rows)).toEqual(values(folder.rows));
    expect(inMemory.steps).toBe(Math.ceil(512 / 64));
  });
});

describe('makeTrainConfig', () => {
  it('fills every field it is not given from TRAIN_DEFAULTS (undefined keeps the default)', () => {
    const made = makeTrainConfig({ optimizer: { kind: 'sgd', learningRate: 0.1 }, epochs: undefined, seed: 7 });
    expect(made).toEqual({ ...TRAIN_DEFAULTS, optimizer: { kind: 'sgd', learningRate: 0.1 }, seed: 7 });
  });

  it('rejects invalid configs with one UserError naming the field', () => {
    const cases: [Partial<TrainConfig>, string | RegExp][] = [
      [{ loss: 'hinge' as never }, 'Invalid loss value: "hinge" (expected one of: cross-entropy, mse)'],
      [{ reduction: 'max' as never }, 'Invalid reduction value: "max" (expected one of: mean, sum)'],
      [{ epochs: 0 }, 'Invalid epochs value: 0 (expected a positive integer)'],
      [{ lossScale: -1 }, 'Invalid lossScale value: -1 (expected a finite number > 0)'],
      [{ seed: -2 }, 'Invalid seed value: -2 (expected an integer from 0 to 4294967295; pick one in that range)'],
      [{ model: 'logreg', hidden: [8] }, 'Hidden sizes apply to the mlp model only; drop --hidden for logreg'],
      [{ optimizer: { kind: 'no-lr-momentum', momentum: 0.9, learningRate: 0.1 } }, /learningRate/],
    ];
    for (const [overrides, message] of cases) {
      let caught: unknown;
      try {
        config(overrides);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(UserError);
      expect((caught as Error).message).toMatch(message);
    }
  });
});
