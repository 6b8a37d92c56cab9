/**
 * Tags and notes on runs through the real CLI: `train` and `sweep` record them in run.json (not in
 * the run id or config.json), a sweep rerun with other tags resumes its finished runs, readRun
 * and `runs ls --filter tag=...` read them, and bad values are one line that says the fix.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makePayload, parsePayload } from '../../src/exec/queue/protocol.js';
import { checkNote, checkTags } from '../../src/runs/labels.js';
import { readRun } from '../../src/runs/readRun.js';
import { runCli } from '../helpers/cli.js';
import { syntheticConfig, tempFolder } from '../helpers/runs.js';

const out = tempFolder('inertia-labels-');

const tiny = ['--dataset', 'synthetic', '--hidden', '8', '--epochs', '1', '--batch-size', '32'];
const limits = ['--train-limit', '128', '--test-limit', '64'];

/** One tiny sgd run (train) or a sweep of one, into `root`, with `flags` on top. */
function quickRun(command: string, root: string, flags: string[]): ReturnType<typeof runCli> {
  return runCli([command, ...tiny, ...limits, '--optimizer', 'sgd', '--lr', '0.1', '--out', root, '--quiet', ...flags]);
}

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
}

/** The CLI's own stderr lines (no blank ones). */
function ownLines(stderr: string[]): string[] {
  return stderr.filter((line) => line !== '');
}

interface ListBody {
  total: number;
  runs: { id: string; tags: string[]; note: string }[];
  columns: string[];
}

describe('checkTags and checkNote', () => {
  it('splits comma-separated tags, keeps the first of repeats, and accepts -_.: in a word', () => {
    expect(checkTags(['baseline,lr:0.1', 'v1.2_a-b', 'baseline'])).toEqual(['baseline', 'lr:0.1', 'v1.2_a-b']);
  });

  it.each([[['two words']], [['a,,b']], [['x'.repeat(41)]], [['café']]])('refuses %j, saying what a tag is', (tags) => {
    expect(() => checkTags(tags)).toThrow(
      /^Invalid tag ".*": a tag is a short word \(1 to 40 letters, digits or -_.:\)/,
    );
  });

  it('accepts a note of 1,000 characters and refuses one longer', () => {
    expect(checkNote('n'.repeat(1000))).toHaveLength(1000);
    expect(() => checkNote('n'.repeat(1001))).toThrow('The note has 1001 characters, more than 1000; shorten it');
  });
});

describe('queue jobs', () => {
  const config = syntheticConfig({ optimizer: { kind: 'sgd', learningRate: 0.1 } });
  const roundTrip = (settings: object) =>
    parsePayload(JSON.parse(JSON.stringify({ ...makePayload('run-1', config), settings })), 'run-1').settings;

  it('carry tags and a note to the worker, checked as on the command line', () => {
    expect(roundTrip({ compile: 'off', tags: ['baseline'], note: 'from the queue' })).toEqual({
      compile: 'off',
      tags: ['baseline'],
      note: 'from the queue',
    });
    expect(() => roundTrip({ tags: ['two words'] })).toThrow('Job run-1: Invalid tag "two words"');
    expect(() => roundTrip({ tags: 'baseline' })).toThrow(
      'Job run-1: malformed tags setting (expected a list of strings)',
    );
    expect(() => roundTrip({ note: 3 })).toThrow('Job run-1: malformed note setting (expected a string)');
    expect(() => roundTrip({ color: 'red' })).toThrow('unknown setting "color" (known: compile, tags, note)');
  });
});

describe('inertia train --tag --note', () => {
  it('records the tags and note in run.json only, and readRun returns them', () => {
    const note = 'first try, lr from the paper';
    const result = quickRun('train', out, [
      '--tag',
      'baseline,small',
      '--tag',
      'v1',
      '--note',
      note,
      '--run-id',
      'tagged',
    ]);
    expect(ownLines(result.stderr)).toEqual([]);
    expect(result.code).toBe(0);
    const dir = path.join(out, 'tagged');
    const record = readJson(path.join(dir, 'run.json'));
    expect(record.tags).toEqual(['baseline', 'small', 'v1']);
    expect(record.note).toBe(note);
    const config = readJson(path.join(dir, 'config.json'));
    expect(Object.keys(config)).not.toContain('tags');
    expect(Object.keys(config)).not.toContain('note');
    expect(readRun(dir)).toMatchObject({ tags: ['baseline', 'small', 'v1'], note });
  }, 60_000);

  it.each([
    [
      'train',
      'a tag with a space',
      ['--tag', 'two words'],
      /^inertia: Invalid tag "two words": a tag is a short word .*e\.g\. --tag baseline/,
    ],
    [
      'train',
      'a note of 1001 characters',
      ['--note', 'n'.repeat(1001)],
      /^inertia: The note has 1001 characters, more than 1000; shorten it/,
    ],
    ['sweep', 'a tag with a space', ['--tag', 'a,b c'], /^inertia: Invalid tag "b c": a tag is a short word/],
  ])(
    '%s refuses %s in one line, writing no run',
    (command, _label, flags, message) => {
      const root = path.join(out, 'refused');
      const result = quickRun(command, root, flags);
      expect(result.code).toBe(1);
      expect(ownLines(result.stderr)).toEqual([expect.stringMatching(message)]);
      expect(fs.existsSync(root)).toBe(false);
    },
    60_000,
  );
});

describe('inertia sweep --tag --note', () => {
  const dir = path.join(out, 'sweep');
  const sweep = (flags: string[]) =>
    // On the test split (--validation-size 0): the runs are the grid's, no final run is added.
    runCli([
      'sweep',
      ...tiny,
      ...limits,
      ...['--optimizer', 'sgd', '--lr', '0.05,0.1', '--validation-size', '0', '--out', dir, '--quiet', ...flags],
    ]);
  const runsDir = path.join(dir, 'runs');

  it('tags every run; a rerun with another tag resumes them, keeping their tags, config and ids', () => {
    const first = sweep(['--workers', '2', '--tag', 'baseline', '--note', 'grid over lr']);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('2 runs (2 trained, 0 resumed');
    const ids = fs.readdirSync(runsDir).filter((name) => !name.startsWith('.'));
    expect(ids).toHaveLength(2);
    const configs = ids.map((id) => fs.readFileSync(path.join(runsDir, id, 'config.json'), 'utf8'));
    for (const id of ids) {
      expect(readRun(path.join(runsDir, id))).toMatchObject({ tags: ['baseline'], note: 'grid over lr' });
      expect(id).not.toContain('baseline');
    }

    const again = sweep(['--tag', 'other']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('2 runs (0 trained, 2 resumed');
    expect(fs.readdirSync(runsDir).filter((name) => !name.startsWith('.'))).toEqual(ids);
    expect(ids.map((id) => fs.readFileSync(path.join(runsDir, id, 'config.json'), 'utf8'))).toEqual(configs);
    expect(ids.map((id) => readRun(path.join(runsDir, id)).tags)).toEqual([['baseline'], ['baseline']]);
  }, 120_000);

  it('runs ls selects by tag, shows tags and notes, and reads runs without them', () => {
    const ls = (filter: string) => {
      const result = runCli(['runs', 'ls', out, '--filter', filter, '--json']);
      expect(result.code).toBe(0);
      return JSON.parse(result.stdout) as ListBody;
    };
    const baseline = ls('tag=baseline');
    expect(baseline.runs.map((run) => run.id).sort()).toEqual([
      'sweep/runs/sgd-lr0.05-seed1',
      'sweep/runs/sgd-lr0.1-seed1',
      'tagged',
    ]);
    expect(baseline.columns.slice(0, 2)).toEqual(['tags', 'note']);
    expect(ls('tag=v1').runs.map((run) => run.id)).toEqual(['tagged']);
    expect(ls('tag=other').runs).toEqual([]);
    expect(ls('tag!=v1').runs.map((run) => run.id)).toHaveLength(2);

    // A run written before tags existed: its run.json has neither field.
    const old = path.join(runsDir, 'sgd-lr0.05-seed1', 'run.json');
    const { tags: _tags, note: _note, ...rest } = readJson(old);
    fs.writeFileSync(old, JSON.stringify(rest));
    expect(readRun(path.dirname(old))).toMatchObject({ tags: [], note: '' });
    expect(ls('tag=baseline').runs.map((run) => run.id)).toHaveLength(2);
    const table = runCli(['runs', 'ls', out, '--filter', 'tag=v1']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^\| id \| status \| tags \| note \|/);
    expect(table.stdout).toContain('| tagged | completed | baseline,small,v1 | first try, lr from the paper |');
  }, 60_000);
});
