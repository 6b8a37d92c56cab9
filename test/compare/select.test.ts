/**
 * Which folders compare, export and the dashboard take for runs: those holding run.json and
 * config.json, searched a few levels down, never inside hidden folders (a queue coordinator's
 * staging folders hold a whole run before it is renamed into place).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findRunFolders, runFoldersBelow } from '../../src/compare/select.js';
import { tempFolder } from '../helpers/runs.js';

const root = tempFolder('inertia-select-');

function runFolder(...parts: string[]): string {
  const dir = path.join(root, ...parts);
  fs.mkdirSync(dir, { recursive: true });
  for (const name of ['run.json', 'config.json']) fs.writeFileSync(path.join(dir, name), '{}');
  return dir;
}

describe('runFoldersBelow', () => {
  it('finds run folders below a folder in name order and skips hidden ones', () => {
    const b = runFolder('sweep', 'runs', 'b');
    const a = runFolder('sweep', 'runs', 'a');
    runFolder('sweep', 'runs', '.incoming-c-4242');
    fs.mkdirSync(path.join(root, 'sweep', 'runs', 'not-a-run'));
    expect(runFoldersBelow(path.join(root, 'sweep'))).toEqual([a, b]);
    // A hidden folder named itself is read: it was asked for.
    expect(findRunFolders([path.join(root, 'sweep', 'runs', '.incoming-c-4242')])).toHaveLength(1);
  });
});
