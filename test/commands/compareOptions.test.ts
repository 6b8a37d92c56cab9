/**
 * compare's list flags: comma-separated, repeated, or both, read as one list, so
 * `--metric a --metric b,c` names three metrics and never reaches compare as an array of lists.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { compareOptions } from '../../src/commands/compareOptions.js';
import { CLI } from '../helpers/cli.js';
import { tempFolder } from '../helpers/runs.js';

const root = tempFolder('inertia-compare-flags-');

describe('compare list flags', () => {
  it('reads comma lists and repeated flags alike', () => {
    expect(compareOptions.metric.coerce('train/loss, test/loss')).toEqual(['train/loss', 'test/loss']);
    expect(compareOptions.metric.coerce(['train/loss', 'test/loss,test/accuracy'])).toEqual([
      'train/loss',
      'test/loss',
      'test/accuracy',
    ]);
    expect(compareOptions.label.coerce(['optimizer.kind', ''])).toEqual(['optimizer.kind']);
  });

  it('a repeated --metric reaches compare: an empty folder is the usual one line', () => {
    const empty = path.join(root, 'empty');
    fs.mkdirSync(empty, { recursive: true });
    const child = spawnSync(
      process.execPath,
      [CLI, 'compare', '--metric', 'train/loss', '--metric', 'test/loss', empty],
      { encoding: 'utf8' },
    );
    expect(child.status).toBe(1);
    expect(child.stderr.trim()).toBe(`inertia: No run folders (with run.json and config.json) in ${empty}`);
  });
});
