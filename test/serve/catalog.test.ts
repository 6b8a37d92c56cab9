/** The run catalog reads running and broken run folders as they are, and sees files change. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunCatalog } from '../../src/serve/catalog.js';
import { tempFolder } from '../helpers/runs.js';

const root = tempFolder('inertia-catalog-');

function writeRun(id: string, status: string, config = '{"optimizer":{"kind":"sgd","learningRate":0.1},"seed":1}') {
  const dir = path.join(root, id);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), config);
  fs.writeFileSync(
    path.join(dir, 'run.json'),
    JSON.stringify({ id, status, startedAt: '2026-01-01T00:00:00Z', stoppedAt: null }),
  );
  return dir;
}

describe('RunCatalog', () => {
  it('lists a running run before its first metric, follows its metrics.csv, and marks a broken run unreadable', () => {
    const running = writeRun('sweep/runs/a', 'running');
    writeRun('sweep/runs/broken', 'completed', '{"optimizer":');
    const catalog = new RunCatalog(root);

    const first = catalog.runs().map((entry) => entry.summary);
    expect(first.map((run) => [run.id, run.status])).toEqual([
      ['sweep/runs/a', 'running'],
      ['sweep/runs/broken', 'unreadable'],
    ]);
    expect(first[0].final).toEqual({});
    expect(first[0].config['optimizer.kind']).toBe('sgd');
    expect(first[1].error).toMatch(/JSON/);

    fs.writeFileSync(path.join(running, 'metrics.csv'), 'step,epoch,split,metric,value\n4,1,test,loss,0.5\n');
    expect(catalog.runs()[0].summary.final).toEqual({ 'test/loss': 0.5 });
    fs.appendFileSync(path.join(running, 'metrics.csv'), '8,2,test,loss,0.25\n');
    expect(catalog.runs()[0].summary.final).toEqual({ 'test/loss': 0.25 });
  });
});
