/**
 * One sweep run's config.json is the same file whether the sweep trains it here or a queue
 * worker trains it from the job's payload (which fills in the defaults of absent fields).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compare } from '../../src/compare/index.js';
import { loadDataset } from '../../src/data/index.js';
import { makePayload, parsePayload } from '../../src/exec/queue/protocol.js';
import { expandGrid, makeGrid } from '../../src/sweep/grid.js';
import { train } from '../../src/train/train.js';
import { tempFolder } from '../helpers/runs.js';

const root = tempFolder('inertia-config-json-');

describe('config.json', () => {
  it('is the same for a sweep run trained locally and from its queue payload', async () => {
    const grid = makeGrid(
      {},
      // Evaluated on the test split, which the comparison below reads.
      {
        optimizer: 'heavy-ball',
        lr: '0.05',
        momentum: '0.9',
        seeds: 1,
        dataset: 'synthetic',
        epochs: '1',
        'validation-size': 0,
      },
    );
    const [run] = expandGrid(grid);
    // The grid leaves loss and reduction out; the payload's check fills in their defaults.
    expect(run.config.loss).toBeUndefined();
    const payload = parsePayload(JSON.parse(JSON.stringify(makePayload(run.id, run.config))), run.id);
    expect(payload.config).toMatchObject({ loss: 'cross-entropy', reduction: 'mean' });

    const dataset = await loadDataset('synthetic', { trainLimit: 64, testLimit: 32 });
    const options = (outRoot: string) => ({ outRoot: path.join(root, outRoot), runId: run.id, dataset, plot: false });
    await train({ ...run.config, maxSteps: 1 }, options('local'));
    await train({ ...payload.config, maxSteps: 1 }, options('queue'));
    const read = (outRoot: string) => fs.readFileSync(path.join(root, outRoot, run.id, 'config.json'), 'utf8');
    expect(read('local')).toBe(read('queue'));
    expect(JSON.parse(read('local'))).toMatchObject({ loss: 'cross-entropy', reduction: 'mean', seed: 1 });

    // A run recorded before loss and reduction were written out joins the same setting in compare.
    const old = path.join(root, 'old', run.id);
    fs.cpSync(path.join(root, 'local', run.id), old, { recursive: true });
    const { loss, reduction, ...before } = JSON.parse(read('old')) as Record<string, unknown>;
    expect([loss, reduction]).toEqual(['cross-entropy', 'mean']);
    fs.writeFileSync(path.join(old, 'config.json'), JSON.stringify(before));
    const compared = await compare({
      runs: [old, path.join(root, 'queue', run.id)],
      out: path.join(root, 'cmp'),
      metrics: ['test/accuracy'],
    });
    expect(compared.labelFields).toEqual([]);
    expect(compared.table.rows.map((row) => row.runs.length)).toEqual([2]);
  });
});
