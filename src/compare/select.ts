/**
 * Turns the command line's folders and glob patterns into run folders: a run folder is taken
 * as it is, any other folder stands for every run folder below it (a sweep, a study).
 */
import fs from 'node:fs';
import path from 'node:path';
import { globSync } from 'tinyglobby';
import { isRunFolder } from '../runs/readRun.js';
import { UserError } from '../util/errors.js';

const GLOB = /[*?[\]{}]/;
/** How deep below a given folder run folders are looked for (a study keeps them at <out>/runs/<id>). */
const MAX_DEPTH = 4;

/** The run folders at or below `dir`, up to `depth` folders down, in name order. */
export function runFoldersBelow(dir: string, depth = MAX_DEPTH): string[] {
  if (isRunFolder(dir)) return [dir];
  if (depth === 0) return [];
  // Hidden folders (a queue's staging folders among them) are never searched.
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort()
    .flatMap((name) => runFoldersBelow(path.join(dir, name), depth - 1));
}

function expand(pattern: string): string[] {
  if (!GLOB.test(pattern)) {
    if (!fs.existsSync(pattern) || !fs.statSync(pattern).isDirectory()) {
      throw new UserError(`${pattern} is not a folder; pass run folders, folders of runs or quoted glob patterns`);
    }
    return [pattern];
  }
  const matches = globSync(pattern, { onlyDirectories: true, expandDirectories: false }).map((match) =>
    match.replace(/\/$/, ''),
  );
  if (matches.length === 0) throw new UserError(`No folder matches ${pattern}`);
  return matches.sort();
}

/** The run folders named by `patterns`, each once, in the order given. */
export function findRunFolders(patterns: readonly string[]): string[] {
  const seen = new Set<string>();
  const folders: string[] = [];
  for (const pattern of patterns) {
    for (const dir of expand(pattern).flatMap((match) => runFoldersBelow(match, MAX_DEPTH))) {
      const resolved = path.resolve(dir);
      if (!seen.has(resolved)) {
        seen.add(resolved);
        folders.push(dir);
      }
    }
  }
  if (folders.length === 0) {
    throw new UserError(`No run folders (with run.json and config.json) in ${patterns.join(' ')}`);
  }
  return folders;
}
