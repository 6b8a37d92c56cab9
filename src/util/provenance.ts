/**
 * Where a result came from: inertia's version, and its git commit and whether the tree had
 * uncommitted changes, but only when inertia runs from its own checkout. Installed as a
 * dependency inside another project's repository, git would answer for that project instead,
 * so nothing is recorded then.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: this file is <root>/src/util/ or <root>/dist/util/. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

let cachedVersion: string | undefined;

/** inertia's version from its package.json. */
export function inertiaVersion(): string {
  cachedVersion ??= (
    JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }
  ).version;
  return cachedVersion;
}

export interface GitState {
  commit: string;
  /** True when tracked files had uncommitted changes. */
  dirty: boolean;
}

function git(args: string[]): string {
  return execFileSync('git', args, { cwd: PACKAGE_ROOT, stdio: ['ignore', 'pipe', 'ignore'] })
    .toString()
    .trim();
}

let cachedState: GitState | null | undefined;

/** The commit and dirty flag of inertia's own checkout, or null when inertia does not run from one. */
export function gitState(): GitState | null {
  if (cachedState !== undefined) return cachedState;
  try {
    const top = git(['rev-parse', '--show-toplevel']);
    if (fs.realpathSync(top) !== fs.realpathSync(PACKAGE_ROOT)) {
      cachedState = null;
    } else {
      cachedState = {
        commit: git(['rev-parse', 'HEAD']),
        dirty: git(['status', '--porcelain', '--untracked-files=no']) !== '',
      };
    }
  } catch {
    cachedState = null;
  }
  return cachedState;
}

/** The git commit of the code that made a result, or null outside inertia's own checkout. */
export function gitCommit(): string | null {
  return gitState()?.commit ?? null;
}

/**
 * The files under `paths` that differ between `commit` and HEAD of inertia's own checkout
 * (git diff --name-only), or null when git cannot compare them (no checkout, unknown commit).
 */
export function changedSince(commit: string, paths: readonly string[]): string[] | null {
  if (gitState() === null) return null;
  try {
    const out = git(['diff', '--name-only', `${commit}..HEAD`, '--', ...paths]);
    return out === '' ? [] : out.split('\n');
  } catch {
    return null;
  }
}
