/**
 * What decides a verdict is more than criteria.ts: the verdict functions in the experiments,
 * the interval code, the tie rules. Their source files are hashed one by one; the study writes
 * the hashes into its folder (decision.json) and the report names every file that changed
 * since the study it is compared with, so a decision cannot change silently.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { gitState, PACKAGE_ROOT } from '../util/provenance.js';
import { sha256File } from '../util/fs.js';
import { stableJson } from '../util/json.js';

/** Source files (relative to the package root) that hold criteria, verdict rules, intervals and tie-breaks. */
export function decisionFiles(root = PACKAGE_ROOT): string[] {
  const experiments = path.join('src', 'study', 'experiments');
  const listed = fs.existsSync(path.join(root, experiments))
    ? fs
        .readdirSync(path.join(root, experiments))
        .filter((name) => name.endsWith('.ts'))
        .map((name) => path.join(experiments, name))
    : [];
  return [
    'src/study/criteria.ts',
    'src/study/atlasAnalysis.ts',
    'src/study/verdict.ts',
    'src/util/intervals.ts',
    'src/study/seedGroups.ts',
    'src/study/theory.ts',
    'src/util/stats.ts',
    ...listed,
  ]
    .map((file) => file.split(path.sep).join('/'))
    .sort();
}

export interface DecisionHashes {
  /** SHA-256 of each file's source; null where the source is not installed (a package without src/). */
  files: Record<string, string | null>;
  /** SHA-256 of the per-file hashes as sorted JSON. */
  hash: string;
  commit: string | null;
  dirty: boolean | null;
}

export function decisionHashes(root = PACKAGE_ROOT): DecisionHashes {
  const files = Object.fromEntries(
    decisionFiles(root).map((file) => {
      const full = path.join(root, file);
      return [file, fs.existsSync(full) ? sha256File(full) : null];
    }),
  );
  const state = root === PACKAGE_ROOT ? gitState() : null;
  return {
    files,
    hash: crypto.createHash('sha256').update(stableJson(files)).digest('hex'),
    commit: state?.commit ?? null,
    dirty: state?.dirty ?? null,
  };
}

/** Files added, removed or changed between two sets of hashes, sorted. */
export function changedDecisionFiles(before: DecisionHashes, after: DecisionHashes): string[] {
  const names = new Set([...Object.keys(before.files), ...Object.keys(after.files)]);
  return [...names].filter((name) => before.files[name] !== after.files[name]).sort();
}

/** The hashes a study folder recorded (decision.json), or null when it has none or cannot be read. */
export function readDecisionHashes(file: string): DecisionHashes | null {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as DecisionHashes;
    return typeof parsed.hash === 'string' && typeof parsed.files === 'object' ? parsed : null;
  } catch {
    return null;
  }
}

/** A study the current decision files are compared with: a label for the report and its hashes. */
export interface DecisionBaseline {
  label: string;
  hashes: DecisionHashes | null;
}

/** Where a published study's decision hashes are kept, next to its report in docs/. */
export function publishedDecisionFile(preset: string, root = PACKAGE_ROOT): string {
  return path.join(root, 'docs', `${preset}-study-decision.json`);
}

/** The report's lines on the decision hash: this study's, and what changed against each baseline. */
export function decisionLines(current: DecisionHashes, baselines: readonly DecisionBaseline[]): string[] {
  const lines = [
    `SHA-256 of the decision files (criteria, verdict functions, interval code and tie-breaks: ${Object.keys(current.files).length} source files, per-file hashes in \`decision.json\`): \`${current.hash}\`.`,
  ];
  for (const baseline of baselines) {
    if (baseline.hashes === null) {
      lines.push(`Against ${baseline.label}: no per-file hashes recorded there, so no comparison.`);
      continue;
    }
    const changed = changedDecisionFiles(baseline.hashes, current);
    const at = baseline.hashes.commit ? ` (commit ${baseline.hashes.commit.slice(0, 7)})` : '';
    lines.push(
      changed.length === 0
        ? `Against ${baseline.label}${at}: no decision file changed.`
        : `Against ${baseline.label}${at}: changed ${changed.map((f) => `\`${f}\``).join(', ')}.`,
    );
  }
  return lines;
}
