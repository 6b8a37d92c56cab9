/**
 * Graph functions shared across runs (src/graph/functionRegistry.ts): a run that traces the
 * same graph as an earlier run of the process calls the function already registered and
 * verified (no new buildFunction, no new check against eager steps) and still gives the eager
 * run's numbers bit for bit, since hyperparameters are inputs; another batch shape, chain or
 * constant makes another graph, with its own function.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tf, currentBackend } from '../../src/backend.js';
import { loadSynthetic } from '../../src/data/synthetic.js';
import { makeTrainConfig, type TrainOptimizerSpec } from '../../src/train/config.js';
import { CHECKED_CALLS } from '../../src/graph/compile.js';
import { graphSignature, registeredFunctions } from '../../src/graph/functionRegistry.js';
import type { GraphNode, NodeBackend } from '../../src/graph/graphBinding.js';
import { train } from '../../src/train/train.js';

const native = currentBackend() === 'tensorflow';
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'inertia-functions-'));
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

describe('graphSignature', () => {
  const constant = (value: number): GraphNode => ({
    op: 'Const',
    attrs: [{ name: 'dtype', type: 7, value: 1 }],
    inputs: [],
    value: { dtype: 1, shape: [], data: Float32Array.of(value) },
  });
  const graph = (nodes: GraphNode[], outputs = [0, 0]) => ({ nodes, inputs: [], outputs });

  it('is the same for the same graph and differs when a constant, an edge or an output differs', () => {
    expect(graphSignature(graph([constant(0.5)]))).toBe(graphSignature(graph([constant(0.5)])));
    expect(graphSignature(graph([constant(0.5)]))).not.toBe(graphSignature(graph([constant(0.25)])));
    expect(graphSignature(graph([constant(0)]))).not.toBe(graphSignature(graph([constant(-0)])));
    const add = (a: number, b: number): GraphNode => ({ op: 'AddV2', attrs: [], inputs: [a, 0, b, 0] });
    const two = [constant(1), constant(2)];
    expect(graphSignature(graph([...two, add(0, 1)], [2, 0]))).not.toBe(
      graphSignature(graph([...two, add(1, 0)], [2, 0])),
    );
    expect(graphSignature(graph([...two, add(0, 1)], [2, 0]))).not.toBe(
      graphSignature(graph([...two, add(0, 1)], [1, 0])),
    );
  });
});

describe.skipIf(!native)('graph functions shared across runs', () => {
  const dataset = loadSynthetic({ seed: 3, trainLimit: 400, testLimit: 100 });
  // 400 examples in batches of 64: six full batches and one of 16, each shape called twice by epoch 3.
  const config = (optimizer: TrainOptimizerSpec, batchSize = 64) =>
    makeTrainConfig({
      ...{ dataset: 'synthetic', trainLimit: 400, testLimit: 100, model: 'mlp', hidden: [32, 16] },
      ...{ optimizer, epochs: 3, batchSize, seed: 2, normEvery: 0, evalBatchSize: 500 },
    });
  let count = 0;
  const run = (optimizer: TrainOptimizerSpec, compile: 'on' | 'off', batchSize?: number) =>
    train(config(optimizer, batchSize), {
      outRoot: out,
      runId: `run-${++count}`,
      dataset,
      compile,
      plot: false,
      tensorboard: false,
    });
  const values = (r: Awaited<ReturnType<typeof run>>) =>
    r.rows.filter((row) => !/second/.test(row.metric)).map((row) => [row.step, row.metric, row.value]);

  /** Runs `fn` counting the functions TensorFlow is asked to build. */
  async function counting<T>(fn: () => Promise<T>): Promise<{ result: T; built: number }> {
    const backend = tf.backend() as unknown as NodeBackend;
    const real = backend.binding;
    let built = 0;
    backend.binding = Object.create(real, {
      buildFunction: {
        value: (...args: Parameters<NonNullable<typeof real.buildFunction>>) => {
          built += 1;
          return real.buildFunction!(...args);
        },
      },
    });
    try {
      return { result: await fn(), built };
    } finally {
      backend.binding = real;
    }
  }

  it('a run with other hyperparameters reuses the verified functions and matches its eager run bit for bit', async () => {
    const first = await counting(() => run({ kind: 'heavy-ball', learningRate: 0.05, momentum: 0.9 }, 'on'));
    expect(first.result.stepMode).toEqual({ compile: 'on', compiled: true, fallback: null });
    // The full batch's step and the last partial batch's, the training and test splits' evaluations.
    expect(first.built).toBeLessThanOrEqual(4);
    const checked = registeredFunctions().map((fn) => [fn.name, fn.checks, fn.verified]);
    expect(checked.slice(-4).map(([, checks, verified]) => [checks, verified])).toEqual(
      Array(4).fill([CHECKED_CALLS, true]),
    );

    const other: TrainOptimizerSpec = { kind: 'heavy-ball', learningRate: 0.02, momentum: 0.5 };
    const second = await counting(() => run(other, 'on'));
    expect(second.built).toBe(0);
    // Same functions, not checked again.
    expect(registeredFunctions().map((fn) => [fn.name, fn.checks, fn.verified])).toEqual(
      expect.arrayContaining(checked.slice(-4)),
    );
    const eager = await run(other, 'off');
    expect(second.result.stepMode.compiled).toBe(true);
    expect(values(second.result)).toEqual(values(eager));
  });

  it('another batch size or another chain gets its own functions', async () => {
    await run({ kind: 'heavy-ball', learningRate: 0.05, momentum: 0.9 }, 'on');
    // 400 / 50: full batches only.
    const batch = await counting(() => run({ kind: 'heavy-ball', learningRate: 0.05, momentum: 0.9 }, 'on', 50));
    expect(batch.built).toBe(1);
    const chain = await counting(() => run({ kind: 'nesterov', learningRate: 0.05, momentum: 0.9 }, 'on'));
    expect(chain.built).toBe(2);
    const eager = await run({ kind: 'nesterov', learningRate: 0.05, momentum: 0.9 }, 'off');
    expect(values(chain.result)).toEqual(values(eager));
  });
});
