/** Filters and sort orders over run summaries, as the dashboard's API and `runs ls` apply them. */
import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../src/serve/catalog.js';
import { FilterError, fieldValue, filterRuns, parseFilter, sortRuns, tableColumns } from '../../src/serve/query.js';

function run(id: string, kind: string, lr: number, accuracy?: number, tags: string[] = []): RunSummary {
  return {
    tags,
    note: '',
    id,
    status: 'completed',
    startedAt: null,
    stoppedAt: null,
    config: { 'optimizer.kind': kind, 'optimizer.learningRate': lr, seed: 1 },
    final: accuracy === undefined ? {} : { 'test/accuracy': accuracy },
  };
}

const RUNS = [
  run('a/sgd-1', 'sgd', 0.1, 0.8, ['baseline', 'v1']),
  run('b/adam-1', 'adam', 0.001, 0.95, ['v1']),
  run('b/adam-2', 'adam', 0.01),
];
const ids = (runs: readonly RunSummary[]) => runs.map((entry) => entry.id);

describe('filterRuns', () => {
  it.each([
    ['', ['a/sgd-1', 'b/adam-1', 'b/adam-2']],
    ['optimizer.kind=adam', ['b/adam-1', 'b/adam-2']],
    ['optimizer.kind!=adam', ['a/sgd-1']],
    ['optimizer.kind=adam optimizer.learningRate=0.01', ['b/adam-2']],
    ['test/accuracy>0.9', ['b/adam-1']],
    ['test/accuracy<=0.8', ['a/sgd-1']],
    ['ADAM-2', ['b/adam-2']],
    ['status=completed a/', ['a/sgd-1']],
    ['nofield=1', []],
    ['tag=v1', ['a/sgd-1', 'b/adam-1']],
    ['tag=baseline optimizer.kind=sgd', ['a/sgd-1']],
    ['tag!=baseline', ['b/adam-1', 'b/adam-2']],
    ['tag=v', []],
    ['tags=baseline', ['a/sgd-1']],
  ])('%j keeps %j', (filter, expected) => {
    expect(ids(filterRuns(RUNS, filter))).toEqual(expected);
  });

  it('rejects a term without a field, and a comparison with a non-number, saying what to write', () => {
    expect(() => parseFilter('=adam')).toThrow(FilterError);
    expect(() => parseFilter('=adam')).toThrow('names no field; write field=value, e.g. optimizer.kind=adam');
    expect(() => parseFilter('test/accuracy>high')).toThrow('"high", which is not a number');
  });
});

describe('sortRuns', () => {
  it('sorts numbers as numbers, descending with a leading -, runs without the field last', () => {
    expect(ids(sortRuns(RUNS, 'optimizer.learningRate'))).toEqual(['b/adam-1', 'b/adam-2', 'a/sgd-1']);
    expect(ids(sortRuns(RUNS, '-test/accuracy'))).toEqual(['b/adam-1', 'a/sgd-1', 'b/adam-2']);
    expect(ids(sortRuns(RUNS, 'test/accuracy'))).toEqual(['a/sgd-1', 'b/adam-1', 'b/adam-2']);
    expect(ids(sortRuns(RUNS, '-id'))).toEqual(['b/adam-2', 'b/adam-1', 'a/sgd-1']);
    expect(ids(sortRuns(RUNS, 'tags'))).toEqual(['a/sgd-1', 'b/adam-1', 'b/adam-2']);
  });
});

describe('tableColumns', () => {
  it('puts tags and note first when a run has them, and leaves them out when none has', () => {
    expect(tableColumns(RUNS).slice(0, 2)).toEqual(['tags', 'optimizer.kind']);
    expect(tableColumns([{ ...RUNS[2], note: 'rerun' }, RUNS[1]]).slice(0, 2)).toEqual(['tags', 'note']);
    expect(tableColumns([RUNS[2]])).not.toContain('tags');
    expect(fieldValue(RUNS[0], 'tags')).toBe('baseline,v1');
    expect(fieldValue(RUNS[2], 'tags')).toBeUndefined();
  });
});
