/**
 * `inertia train --schedule ...` and `--optimizer-spec file.json`: the flags become the run's
 * optimizer (a schedule around the rate, a chain of stage configs), conflicting or missing
 * flags and bad files are refused with one line that says the fix, and a run trained from a
 * spec file records it in config.json and trains again from it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempFolder } from '../helpers/runs.js';
import { configFromArgs } from '../../src/commands/train.js';
import { trainOptions, type TrainArgs } from '../../src/commands/trainOptions.js';
import { MAX_OPTIMIZER_SPEC_BYTES, readOptimizerSpecFile } from '../../src/train/optimizerSpecFile.js';
import { UserError } from '../../src/util/errors.js';
import { flattenConfig } from '../../src/compare/settings.js';
import { hparamsOf } from '../../src/runs/tensorboard.js';

const defaults = Object.fromEntries(
  Object.entries(trainOptions).map(([flag, option]) => [flag, 'default' in option ? option.default : undefined]),
) as unknown as TrainArgs;

const out = tempFolder('inertia-stages-');

function write(name: string, value: unknown): string {
  const file = path.join(out, name);
  fs.writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

const SPEC = [
  { name: 'clipByGlobalNorm', maxNorm: 1 },
  { name: 'multiSteps', everyK: 2, inner: { name: 'scaleByAdam' } },
  { name: 'addDecayedWeights', weightDecay: 0.01 },
  {
    name: 'scaleByLearningRate',
    learningRate: { schedule: 'warmup-cosine', peakValue: 0.01, warmupSteps: 2, decaySteps: 12 },
  },
];

describe('--schedule', () => {
  const args = (fields: Record<string, unknown>, given: string[] = []) =>
    configFromArgs({ ...defaults, ...fields } as TrainArgs, new Set(given));

  it('shapes the run learning rate (--lr, else the kind default) into the schedule', () => {
    const warmup = args({
      optimizer: 'sgd',
      lr: 0.1,
      schedule: 'warmup-cosine',
      'warmup-steps': 10,
      'decay-steps': 100,
    });
    expect(warmup.optimizer).toEqual({
      kind: 'sgd',
      learningRate: { schedule: 'warmup-cosine', initValue: 0, peakValue: 0.1, warmupSteps: 10, decaySteps: 100 },
    });
    const adam = args({ optimizer: 'adam', schedule: 'cosine-decay', 'decay-steps': 50, 'end-lr': 1e-4 });
    expect((adam.optimizer as { learningRate: unknown }).learningRate).toEqual({
      schedule: 'cosine-decay',
      initValue: 1e-3,
      decaySteps: 50,
      alpha: 0.1,
    });
    const step = args({
      optimizer: 'heavy-ball',
      lr: 0.1,
      momentum: 0.9,
      schedule: 'step-decay',
      'decay-steps': 30,
      'decay-rate': 0.1,
    });
    expect((step.optimizer as { learningRate: unknown }).learningRate).toEqual({
      schedule: 'exponential-decay',
      initValue: 0.1,
      transitionSteps: 30,
      decayRate: 0.1,
      staircase: true,
    });
    expect(
      (
        args({ optimizer: 'sgd', lr: 0.2, schedule: 'linear-warmup', 'warmup-steps': 5 }).optimizer as {
          learningRate: unknown;
        }
      ).learningRate,
    ).toEqual({
      schedule: 'linear',
      initValue: 0,
      endValue: 0.2,
      transitionSteps: 5,
    });
  });

  it.each([
    [
      { optimizer: 'sgd', lr: 0.1, 'decay-steps': 10 },
      '--decay-steps needs --schedule (one of: cosine-decay, warmup-cosine, linear-warmup, exponential-decay, step-decay); add it or drop --decay-steps',
    ],
    [
      { optimizer: 'sgd', lr: 0.1, schedule: 'warmup-cosine', 'decay-steps': 10 },
      '--schedule warmup-cosine needs --warmup-steps (it takes --warmup-steps, --decay-steps, --end-lr)',
    ],
    [
      { optimizer: 'sgd', lr: 0.1, schedule: 'cosine-decay', 'decay-steps': 10, 'decay-rate': 0.5 },
      '--decay-rate does not apply to --schedule cosine-decay (it takes --decay-steps, --end-lr)',
    ],
    [
      { optimizer: 'sgd', schedule: 'cosine-decay', 'decay-steps': 10 },
      '--schedule cosine-decay needs --lr (the rate it starts from or peaks at)',
    ],
    [
      { optimizer: 'polyak', schedule: 'cosine-decay', 'decay-steps': 10 },
      '--schedule does not apply to --optimizer polyak (it has no learning rate)',
    ],
    [
      { optimizer: 'sgd', lr: 0.1, schedule: 'warmup-cosine', 'warmup-steps': 10, 'decay-steps': 10 },
      'decaySteps (10) must be larger than warmupSteps (10)',
    ],
  ])('refuses %j', (fields, message) => {
    expect(() => args(fields)).toThrow(UserError);
    expect(() => args(fields)).toThrow(message);
  });
});

describe('--optimizer-spec', () => {
  it('reads a list of stage configs as the run optimizer', () => {
    const file = write('spec.json', SPEC);
    const config = configFromArgs({ ...defaults, 'optimizer-spec': file } as TrainArgs, new Set(['optimizer-spec']));
    expect(config.optimizer).toEqual({ kind: 'chain', stages: SPEC });
  });

  it.each([
    [
      ['optimizer-spec', 'optimizer'],
      { optimizer: 'adam' },
      '--optimizer cannot be combined with --optimizer-spec: the file describes the whole optimizer',
    ],
    [['optimizer-spec', 'lr'], { lr: 0.1 }, '--lr cannot be combined with --optimizer-spec'],
    [
      ['optimizer-spec', 'schedule'],
      { schedule: 'cosine-decay', 'decay-steps': 5 },
      '--schedule cannot be combined with --optimizer-spec',
    ],
  ])('refuses %j together', (given, fields, message) => {
    const file = write('spec.json', SPEC);
    expect(() =>
      configFromArgs({ ...defaults, 'optimizer-spec': file, ...fields } as TrainArgs, new Set(given)),
    ).toThrow(message);
  });

  it('refuses files that are not small regular JSON files of stage configs, saying the fix', () => {
    fs.mkdirSync(path.join(out, 'folder.json'), { recursive: true });
    const cases: [string, string | RegExp][] = [
      [path.join(out, 'folder.json'), /--optimizer-spec .*folder.json is a folder, not a regular file; pass a file/],
      [
        write('big.json', ' '.repeat(MAX_OPTIMIZER_SPEC_BYTES + 1)),
        /is larger than 65536 bytes, the most inertia reads from it; pass a smaller file/,
      ],
      [
        write('broken.json', '[{ "name": '),
        /Cannot parse --optimizer-spec .*broken.json: .*; fix the JSON \(expected a list of stage configs, e.g. \[/,
      ],
      [
        write('object.json', { kind: 'adam' }),
        /Invalid --optimizer-spec .*object.json: {"kind":"adam"} \(expected a non-empty JSON list of stage configs/,
      ],
      [
        write('typo.json', [{ name: 'clip', maxdelta: 1 }]),
        /In stage 1 of --optimizer-spec .*typo.json \(clip\): Invalid maxDelta value: undefined/,
      ],
      [path.join(out, 'missing.json'), /^Cannot read --optimizer-spec .*missing.json \(ENOENT\); check the path$/],
    ];
    for (const [file, message] of cases) {
      expect(() => readOptimizerSpecFile(file)).toThrow(UserError);
      expect(() => readOptimizerSpecFile(file)).toThrow(message);
    }
  });

  it('trains from the file, records the chain in config.json, and --config trains it again', () => {
    const file = write('run-spec.json', SPEC);
    const common = ['--dataset', 'synthetic', '--train-limit', '128', '--test-limit', '64', '--hidden', '8'];
    const first = runCli([
      'train',
      ...common,
      '--epochs',
      '1',
      '--batch-size',
      '16',
      '--optimizer-spec',
      file,
      '--out',
      out,
      '--run-id',
      'spec',
      '--quiet',
    ]);
    expect(first.stderr.join('\n')).toBe('');
    expect(first.code).toBe(0);
    const config = JSON.parse(fs.readFileSync(path.join(out, 'spec', 'config.json'), 'utf8'));
    expect(config.optimizer).toEqual({ kind: 'chain', stages: SPEC });
    // The plot title, compare's settings and TensorBoard's hyperparameters name every stage.
    expect(fs.readFileSync(path.join(out, 'spec', 'loss.svg'), 'utf8')).toContain(
      'chain (stages clipByGlobalNorm maxNorm 1; multiSteps everyK 2 inner scaleByAdam;',
    );
    expect(flattenConfig(config)).toMatchObject({
      'optimizer.stages.0.name': 'clipByGlobalNorm',
      'optimizer.stages.1.inner.name': 'scaleByAdam',
      'optimizer.stages.3.learningRate.schedule': 'warmup-cosine',
    });
    expect(hparamsOf(config)).toMatchObject({
      'optimizer.stages.0.maxNorm': 1,
      'optimizer.stages.2.weightDecay': 0.01,
    });
    const again = runCli([
      'train',
      '--config',
      path.join(out, 'spec', 'config.json'),
      '--out',
      out,
      '--run-id',
      'again',
      '--quiet',
    ]);
    expect(again.stderr.join('\n')).toBe('');
    const metrics = (run: string) =>
      fs
        .readFileSync(path.join(out, run, 'metrics.csv'), 'utf8')
        .split('\n')
        .filter((line) => !/,(epoch_seconds|samples_per_second),/.test(line))
        .join('\n');
    expect(metrics('again')).toBe(metrics('spec'));
    const bad = runCli(['train', '--optimizer-spec', write('bad.json', [{ name: 'clip' }]), '--out', out, '--quiet']);
    expect(bad.code).toBe(1);
    expect(bad.stderr.join('\n').trim().split('\n')).toHaveLength(1);
    expect(bad.stderr.join('\n')).toMatch(
      /^inertia: In stage 1 of --optimizer-spec .*bad.json \(clip\): Invalid maxDelta value: undefined \(expected a finite number > 0 for clip\)/,
    );
  }, 240_000);
});
