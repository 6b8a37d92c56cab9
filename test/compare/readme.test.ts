/**
 * The `inertia compare` lines of the README's "Comparing runs" section, run as written (through
 * bash, so unquoted globs expand as in a shell) in a folder laid out as `train` and the study
 * lay out their runs: out/runs/<id> with a test split, out/study/default/runs/e3-* evaluated on
 * a validation split only.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../src/data/index.js';
import type { TrainConfig } from '../../src/train/config.js';
import { train } from '../../src/train/train.js';
import { syntheticConfig, tempFolder } from '../helpers/runs.js';

const cwd = tempFolder('inertia-readme-compare-');
const cli = path.resolve('dist/cli.js');

/** The README's `npx inertia compare ...` lines between "## Comparing runs" and the next section. */
function readmeCompareLines(): string[] {
  const readme = fs.readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('## Comparing runs'));
  const body = section.slice(0, section.indexOf('\n## ', 1));
  return body.split('\n').filter((line) => line.startsWith('npx inertia compare '));
}

function run(config: Partial<TrainConfig>): TrainConfig {
  return syntheticConfig({ hidden: [8], epochs: 2, batchSize: 64, logEvery: 1, normEvery: 0, ...config });
}

const validation = { size: 64, seed: 7, evaluate: 'validation' as const };

beforeAll(async () => {
  const dataset = await loadDataset('synthetic', { trainLimit: 256, testLimit: 128 });
  const at = (folder: string, runId: string) => ({ outRoot: path.join(cwd, folder), runId, dataset, plot: false });
  await train(
    run({ optimizer: { kind: 'heavy-ball', learningRate: 0.05, momentum: 0.9 } }),
    at('out/runs', 'heavy-ball-1'),
  );
  await train(
    run({ optimizer: { kind: 'nesterov', learningRate: 0.05, momentum: 0.9 } }),
    at('out/runs', 'nesterov-1'),
  );
  const study = 'out/study/default/runs';
  for (const seed of [1, 2]) {
    const optimizer = { kind: 'heavy-ball' as const, learningRate: 0.1, momentum: 0.9 };
    await train(run({ optimizer, seed, validation }), at(study, `e3-heavy-ball-lr0.1-mu0.9-seed${seed}`));
  }
  const sgd = { kind: 'sgd' as const, learningRate: 0.1 };
  await train(run({ optimizer: sgd, seed: 1, validation }), at(study, 'e3-sgd-lr0.1-mu0-seed1'));
});

describe("the README's compare examples", () => {
  it('are two command lines', () => {
    expect(readmeCompareLines()).toHaveLength(2);
  });

  it('run as written and write the figures they name', () => {
    const [first, second] = readmeCompareLines().map((line) => {
      const command = line.replace(/^npx inertia /, `${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} `);
      const result = spawnSync('bash', ['-c', command], { cwd, encoding: 'utf8' });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      return result.stdout;
    });
    // Heavy ball and Nesterov on the test split; losses on a log axis.
    expect(first).toMatch(/^2 runs compared \(legend: optimizer.kind\)/);
    const testLoss = JSON.parse(fs.readFileSync(path.join(cwd, 'out/compare/test-loss.vl.json'), 'utf8')) as {
      layer: { encoding: { y: { scale: { type?: string } }; color: { scale: { domain: string[] } } } }[];
    };
    expect(testLoss.layer[1].encoding.y.scale.type).toBe('log');
    expect(testLoss.layer[1].encoding.color.scale.domain).toEqual(['kind=heavy-ball', 'kind=nesterov']);

    // The study's grid: validation-only runs, two seeds of one setting sharing a line.
    expect(second).toMatch(/^3 runs compared \(legend: optimizer.kind, optimizer.learningRate\)/);
    expect(fs.readdirSync(path.join(cwd, 'out/cmp')).filter((name) => name.endsWith('.svg'))).toEqual([
      'train-batch_loss.svg',
      'train-loss.svg',
      'validation-accuracy.svg',
      'validation-loss.svg',
    ]);
    const accuracy = JSON.parse(fs.readFileSync(path.join(cwd, 'out/cmp/validation-accuracy.vl.json'), 'utf8')) as {
      layer: { encoding: { color: { scale: { domain: string[] } } } }[];
    };
    expect(accuracy.layer[1].encoding.color.scale.domain).toEqual([
      'kind=heavy-ball learningRate=0.1',
      'kind=sgd learningRate=0.1',
    ]);
    const final = fs.readFileSync(path.join(cwd, 'out/cmp/final.md'), 'utf8');
    expect(final).toMatch(/\| kind=heavy-ball learningRate=0.1 \| 2 \| 0 \|/);
    expect(final).not.toContain('test/');
  });
});
