/**
 * `inertia train --config <run>/config.json`: the same run again, bit for bit, with flags on the
 * command line overriding the file's fields; run.json records how the run was started.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempFolder } from '../helpers/runs.js';
import { givenFlags } from '../../src/commands/givenFlags.js';
import { configFromArgs } from '../../src/commands/train.js';
import { trainOptions, type TrainArgs } from '../../src/commands/trainOptions.js';
import { UserError } from '../../src/util/errors.js';

/** The parsed arguments of a bare `inertia train`: every option at its default. */
const defaults = Object.fromEntries(
  Object.entries(trainOptions).map(([flag, option]) => [flag, 'default' in option ? option.default : undefined]),
) as unknown as TrainArgs;

const out = tempFolder('inertia-config-');

function inertia(...args: string[]) {
  const result = runCli(args);
  return { ...result, stderr: result.stderr.join('\n') };
}

const read = (run: string, file: string) => fs.readFileSync(path.join(out, run, file), 'utf8');
const json = (run: string, file: string) => JSON.parse(read(run, file)) as Record<string, unknown>;
/** metrics.csv without the wall-clock rows, which differ between any two runs. */
const deterministicMetrics = (run: string) =>
  read(run, 'metrics.csv')
    .split('\n')
    .filter((line) => !/,(epoch_seconds|samples_per_second),/.test(line))
    .join('\n');

function expectOneLineError(args: string[], message: RegExp) {
  const result = inertia(...args);
  expect(result.code).toBe(1);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(message);
}

describe('train --config', () => {
  it('reproduces a run bit for bit, and flags override the file', () => {
    const first = inertia(
      'train',
      ...['--dataset', 'synthetic', '--train-limit', '256', '--test-limit', '128', '--model', 'mlp'],
      ...['--hidden', '16', '--lr', '0.05', '--momentum', '0.9', '--epochs', '2', '--batch-size', '32'],
      ...['--log-every', '2', '--norm-every', '3', '--out', out, '--run-id', 'first', '--quiet'],
    );
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const configFile = path.join(out, 'first', 'config.json');

    const again = inertia('train', '--config', configFile, '--out', out, '--run-id', 'again', '--quiet');
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(read('again', 'config.json')).toBe(read('first', 'config.json'));
    const metrics = deterministicMetrics('first');
    expect(metrics.split('\n').length).toBeGreaterThan(40);
    expect(deterministicMetrics('again')).toBe(metrics);

    const record = json('again', 'run.json');
    expect(record.command).toEqual([
      'inertia',
      'train',
      '--config',
      configFile,
      '--out',
      out,
      '--run-id',
      'again',
      '--quiet',
    ]);
    expect(record.inertiaVersion).toBe(JSON.parse(fs.readFileSync('package.json', 'utf8')).version);
    expect(typeof record.gitDirty).toBe('boolean');
    expect(record.gitCommit).toMatch(/^[0-9a-f]{40}$/);
    // The plot is titled by what was trained, not by the run id.
    expect(read('again', 'loss.svg')).toContain(
      'heavy-ball (learningRate 0.05, momentum 0.9): mlp 16 on synthetic, seed 1',
    );

    const changed = inertia(
      'train',
      ...[
        '--config',
        configFile,
        '--seed',
        '2',
        '--lr=0.1',
        '--epochs',
        '1',
        '--out',
        out,
        '--run-id',
        'changed',
        '--quiet',
      ],
    );
    expect(changed.stderr).toBe('');
    const before = json('first', 'config.json');
    const after = json('changed', 'config.json');
    expect(after).toEqual({
      ...before,
      seed: 2,
      epochs: 1,
      optimizer: { ...(before.optimizer as object), learningRate: 0.1 },
      data: after.data,
    });
  }, 240_000);

  it('checks the file like the flags, with one line naming the field', () => {
    const bad = fs.mkdtempSync(path.join(out, 'bad-'));
    const write = (name: string, value: unknown) => {
      const file = path.join(bad, name);
      fs.writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
      return file;
    };
    const optimizer = { kind: 'heavy-ball', learningRate: 0.1, momentum: 0.9 };
    const cases: [unknown, RegExp][] = [
      ['{ not json', /Cannot read --config .*bad-0.json: .*; fix the JSON, or pass a run folder's config.json$/],
      [{ optimizer, lerningRate: 0.1 }, /Unknown field "lerningRate" in .*known fields: dataset/],
      [{ optimizer, epochs: '3' }, /Invalid epochs in .*: "3" \(expected a number\)/],
      [{ optimizer, dataset: 'cifar' }, /Invalid dataset in .*"cifar" \(expected one of: mnist-digits/],
      [{ epochs: 1 }, /Missing field "optimizer"/],
      [{ optimizer: { ...optimizer, momentum: 1.5 } }, /Invalid momentum value: 1.5/],
      [{ optimizer, model: 'cnn', hidden: [8] }, /Hidden sizes apply to the mlp model only; drop --hidden for cnn/],
      [{ optimizer, inputs: 'scaled' }, /Invalid inputs value: "scaled" \(expected one of: unit, standardized, raw\)/],
      [{ optimizer, init: 'lecun' }, /Invalid init value: "lecun" \(expected one of: glorot, he, glorot-0.1\)/],
      [
        { optimizer, labelSmoothing: 1 },
        /Invalid labelSmoothing value: 1 \(expected a number with 0 <= e < 1, e.g. 0.1\)/,
      ],
      [{ optimizer, labelSmoothing: '0.1' }, /Invalid labelSmoothing in .*: "0.1" \(expected a number\)/],
      [
        { optimizer, loss: 'mse', labelSmoothing: 0.1 },
        /labelSmoothing applies to the cross-entropy loss only; drop it \(--label-smoothing\) or use --loss cross-entropy/,
      ],
    ];
    cases.forEach(([content, message], i) => {
      const args = { ...defaults, config: write(`bad-${i}.json`, content) };
      expect(() => configFromArgs(args)).toThrow(UserError);
      expect(() => configFromArgs(args)).toThrow(message);
    });
    // The CLI prints the same check as one line and leaves no run folder behind.
    expectOneLineError(
      ['train', '--config', write('range.json', { optimizer: { ...optimizer, momentum: 1.5 } }), '--out', bad],
      /^inertia: Invalid momentum value: 1.5/,
    );
    expect(fs.readdirSync(bad).filter((name) => !name.endsWith('.json'))).toEqual([]);
  });

  it('writes the new settings only when they differ from their defaults', () => {
    const optimizer = 'heavy-ball';
    const base = { ...defaults, optimizer, lr: 0.1, momentum: 0.9 } as TrainArgs;
    const plain = configFromArgs(base);
    for (const field of ['init', 'inputs', 'labelSmoothing']) expect(plain).not.toHaveProperty(field);
    // Naming a default is the same run: the same config.json.
    const named = configFromArgs({ ...base, init: 'glorot', inputs: 'unit', 'label-smoothing': 0 } as TrainArgs);
    expect(named).toEqual(plain);
    const changed = configFromArgs({
      ...base,
      model: 'res-mlp',
      init: 'he',
      inputs: 'standardized',
      'label-smoothing': 0.1,
    } as TrainArgs);
    expect(changed).toEqual({ ...plain, model: 'res-mlp', init: 'he', inputs: 'standardized', labelSmoothing: 0.1 });
  });

  it('tells given flags from defaults', () => {
    expect([...givenFlags(['train', '--lr', '0.1', '--batchSize=8', '--no-keras', '--', '--seed'])]).toEqual([
      'lr',
      'batch-size',
      'no-keras',
      'keras',
    ]);
  });
});
