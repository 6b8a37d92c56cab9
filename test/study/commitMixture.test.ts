import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCommitMixture, commitMixture, mixtureText } from '../../src/study/commitMixture.js';
import { UserError } from '../../src/util/errors.js';
import { tempFolder } from '../helpers/runs.js';

/** A run folder whose run.json records `commit`, as a finished run of an earlier study would. */
function finishedRun(runsDir: string, id: string, commit: string, dirty = false): void {
  fs.mkdirSync(path.join(runsDir, id), { recursive: true });
  fs.writeFileSync(
    path.join(runsDir, id, 'run.json'),
    JSON.stringify({ id, status: 'completed', gitCommit: commit, gitDirty: dirty }),
  );
}

/** A tiny git repository with a training file changed between two commits; returns both commits and a diff function. */
function repository() {
  const root = tempFolder('mixture-repo-');
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: root })
      .toString()
      .trim();
  git('init', '-q');
  fs.mkdirSync(path.join(root, 'src', 'train'), { recursive: true });
  fs.mkdirSync(path.join(root, 'src', 'study'), { recursive: true });
  fs.writeFileSync(path.join(root, 'src', 'train', 'step.ts'), 'one\n');
  fs.writeFileSync(path.join(root, 'src', 'study', 'report.ts'), 'one\n');
  git('add', '.');
  git('commit', '-qm', 'first');
  const first = git('rev-parse', 'HEAD');
  fs.writeFileSync(path.join(root, 'src', 'study', 'report.ts'), 'two\n');
  git('commit', '-qam', 'report only');
  const reportOnly = git('rev-parse', 'HEAD');
  fs.writeFileSync(path.join(root, 'src', 'train', 'step.ts'), 'two\n');
  git('commit', '-qam', 'training step');
  const head = git('rev-parse', 'HEAD');
  const changedSince = (commit: string, target = head) => {
    try {
      const out = git('diff', '--name-only', `${commit}..${target}`, '--', 'src/train');
      return out === '' ? [] : out.split('\n');
    } catch {
      return null;
    }
  };
  return { first, reportOnly, head, changedSince };
}

describe('one commit per study', () => {
  it('refuses in one line to resume runs whose training code differs, unless mixing is allowed', () => {
    const { first, head, changedSince } = repository();
    const runsDir = path.join(tempFolder('mixture-'), 'runs');
    finishedRun(runsDir, 'a', first);
    finishedRun(runsDir, 'b', head);
    const mixture = commitMixture(runsDir, head, changedSince);
    expect(mixture.groups.find((g) => g.commit === first)?.changed).toEqual(['src/train/step.ts']);
    let refusal: unknown;
    try {
      checkCommitMixture(mixture, false, 'out/study/full');
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(UserError);
    const message = (refusal as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toContain(`1 runs trained at ${first.slice(0, 7)}`);
    expect(message).toContain('--allow-mixed-commits');
    expect(() => checkCommitMixture(mixture, true, 'out/study/full')).not.toThrow();
    expect(mixtureText(mixture)).toMatch(/^MIXED: .*training code differs: src\/train\/step\.ts/);
  });

  it('resumes runs from a commit that changed only code outside training, and refuses an unknown commit', () => {
    // Runs of the first commit, resumed at the second, which changed only the report.
    const { first, reportOnly, changedSince } = repository();
    const atReportOnly = (commit: string) => changedSince(commit, reportOnly);
    const runsDir = path.join(tempFolder('mixture-'), 'runs');
    finishedRun(runsDir, 'a', first, true);
    const same = commitMixture(runsDir, reportOnly, atReportOnly);
    expect(() => checkCommitMixture(same, false, 'study')).not.toThrow();
    expect(mixtureText(same)).toContain('one training code');
    expect(mixtureText(same)).toContain('1 from a tree with uncommitted changes');
    finishedRun(runsDir, 'b', 'f'.repeat(40));
    expect(() => checkCommitMixture(commitMixture(runsDir, reportOnly, atReportOnly), false, 'study')).toThrow(
      UserError,
    );
  });
});
