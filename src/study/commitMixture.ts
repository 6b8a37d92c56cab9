/**
 * One commit per study: the run folders of a study record the commit that trained them
 * (run.json). A study resumed at a commit whose training code differs from a run's would mix
 * results of two programs, so it is refused unless mixing is allowed, and then the report lists
 * the mixture.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readRunRecord } from '../runs/runFolder.js';
import { UserError } from '../util/errors.js';

/** The files whose change changes what a run trains: models, data, optimizers, the training loop, the backend. */
export const TRAINING_PATHS = [
  'src/train',
  'src/optimizers',
  'src/models',
  'src/data',
  'src/backend.ts',
  'package-lock.json',
] as const;

/** Runs trained at one recorded commit, and the training files that differ from the current commit there. */
export interface CommitGroup {
  /** The recorded commit, or null for runs that recorded none. */
  commit: string | null;
  runs: number;
  /** Runs trained from a tree with uncommitted changes. */
  dirty: number;
  /** Training files changed between the recorded commit and the current one (null: could not be compared). */
  changed: string[] | null;
}

export interface CommitMixture {
  current: string | null;
  groups: CommitGroup[];
}

/** The commit (and dirty flag) every finished run folder under `runsDir` recorded, grouped by commit. */
function recordedCommits(runsDir: string): Map<string | null, { runs: number; dirty: number }> {
  const groups = new Map<string | null, { runs: number; dirty: number }>();
  if (!fs.existsSync(runsDir)) return groups;
  for (const name of fs.readdirSync(runsDir).sort()) {
    let record;
    try {
      record = readRunRecord(path.join(runsDir, name));
    } catch {
      continue;
    }
    if (!record || record.status === 'running' || record.status === 'failed' || record.status === 'interrupted')
      continue;
    const group = groups.get(record.gitCommit) ?? { runs: 0, dirty: 0 };
    group.runs += 1;
    if (record.gitDirty) group.dirty += 1;
    groups.set(record.gitCommit, group);
  }
  return groups;
}

/**
 * The mixture of commits in a study folder. `changedSince(commit)` lists the training files
 * changed from `commit` to the current one (git diff --name-only), or null when they cannot be
 * compared (a commit git does not know).
 */
export function commitMixture(
  runsDir: string,
  current: string | null,
  changedSince: (commit: string) => string[] | null,
): CommitMixture {
  const groups = [...recordedCommits(runsDir)].map(([commit, counts]) => ({
    commit,
    ...counts,
    changed: commit === null || current === null ? null : commit === current ? [] : changedSince(commit),
  }));
  return { current, groups };
}

/** Groups whose training code differs from the current commit's, or cannot be compared. */
export function differingGroups(mixture: CommitMixture): CommitGroup[] {
  return mixture.groups.filter((g) => g.changed === null || g.changed.length > 0);
}

const short = (commit: string | null) => (commit ? commit.slice(0, 7) : 'unrecorded');

function groupText(g: CommitGroup): string {
  const changed =
    g.changed === null
      ? 'training code not comparable'
      : g.changed.length === 0
        ? 'same training code'
        : `training code differs: ${g.changed.join(', ')}`;
  return `${short(g.commit)}: ${g.runs} runs${g.dirty > 0 ? ` (${g.dirty} from a tree with uncommitted changes)` : ''}, ${changed}`;
}

/** Refuses, in one line, to resume runs trained by other training code, unless mixing is allowed. */
export function checkCommitMixture(mixture: CommitMixture, allowMixed: boolean, studyDir: string): void {
  const differing = differingGroups(mixture);
  if (differing.length === 0 || allowMixed) return;
  const runs = differing.reduce((sum, g) => sum + g.runs, 0);
  throw new UserError(
    `${studyDir} holds ${runs} runs trained at ${differing.map((g) => short(g.commit)).join(', ')}, whose training code differs from the current commit ${short(mixture.current)}; remove the study folder to rerun at one commit, or pass --allow-mixed-commits to resume (the report then lists the mixture)`,
  );
}

/** The report's line on the commits the runs were trained at. */
export function mixtureText(mixture: CommitMixture): string {
  if (mixture.groups.length === 0) return `every run trained now at ${short(mixture.current)}`;
  const differing = differingGroups(mixture);
  const head =
    differing.length === 0
      ? `one training code: every run's recorded commit has the training code of ${short(mixture.current)}`
      : `MIXED: runs from ${differing.length} commit(s) whose training code differs from ${short(mixture.current)} (resumed with --allow-mixed-commits)`;
  return `${head}; ${mixture.groups.map(groupText).join('; ')}`;
}
