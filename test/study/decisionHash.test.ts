import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  changedDecisionFiles,
  decisionFiles,
  decisionHashes,
  decisionLines,
  readDecisionHashes,
} from '../../src/study/decisionHash.js';
import { stableJson } from '../../src/util/json.js';
import { tempFolder } from '../helpers/runs.js';

function sourceTree(): string {
  const root = tempFolder('decision-');
  for (const file of ['src/study/criteria.ts', 'src/study/seedGroups.ts', 'src/study/experiments/eAFairChance.ts']) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), `// ${file}\n`);
  }
  return root;
}

describe('the decision hash', () => {
  it('covers criteria, verdict functions, intervals and tie-breaks, the experiments included', () => {
    const files = decisionFiles();
    for (const file of [
      'src/study/criteria.ts',
      'src/util/intervals.ts',
      'src/study/seedGroups.ts',
      'src/util/stats.ts',
      'src/study/experiments/eAFairChance.ts',
      'src/study/experiments/e2NoLearningRate.ts',
    ]) {
      expect(files).toContain(file);
    }
    expect(Object.values(decisionHashes().files).every((h) => /^[0-9a-f]{64}$/.test(h ?? ''))).toBe(true);
  });

  it('names the file whose tie-break changed, and the report line says so', () => {
    const root = sourceTree();
    const before = decisionHashes(root);
    expect(before.files['src/study/criteria.ts']).toMatch(/^[0-9a-f]{64}$/);
    expect(before.files['src/util/intervals.ts']).toBeNull();
    fs.appendFileSync(path.join(root, 'src/study/seedGroups.ts'), '// first on ties\n');
    const after = decisionHashes(root);
    expect(after.hash).not.toBe(before.hash);
    expect(changedDecisionFiles(before, after)).toEqual(['src/study/seedGroups.ts']);
    fs.writeFileSync(path.join(root, 'decision.json'), stableJson(before));
    const lines = decisionLines(after, [
      { label: 'the previous study', hashes: readDecisionHashes(path.join(root, 'decision.json')) },
      { label: 'the published study', hashes: readDecisionHashes(path.join(root, 'missing.json')) },
    ]);
    expect(lines[0]).toContain(after.hash);
    expect(lines[1]).toBe('Against the previous study: changed `src/study/seedGroups.ts`.');
    expect(lines[2]).toContain('no per-file hashes recorded there');
  });
});
