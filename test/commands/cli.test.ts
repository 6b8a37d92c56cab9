/**
 * The command line as a user meets it: the compiled CLI (`npm test` builds it first), one
 * clear line and a non-zero exit for every user error, never a stack trace.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { tempFolder } from '../helpers/runs.js';

const out = tempFolder('inertia-cli-');

function inertia(...args: string[]) {
  return inertiaWithEnv({}, ...args);
}

/**
 * Runs the CLI with stderr on a file, as a user's terminal or `2> log` would have it (a pipe
 * from spawnSync is a socket, which the backend cannot quiet TensorFlow's load notices on).
 */
function inertiaWithEnv(env: Record<string, string | undefined>, ...args: string[]) {
  const stderrFile = path.join(out, `stderr-${process.pid}-${Date.now()}.txt`);
  const stderrFd = fs.openSync(stderrFile, 'w');
  try {
    const result = spawnSync(process.execPath, [CLI, ...args], {
      encoding: 'utf8',
      env: { ...process.env, CI: '1', ...env },
      stdio: ['ignore', 'pipe', stderrFd],
    });
    return { code: result.status, stdout: result.stdout, stderr: fs.readFileSync(stderrFile, 'utf8') };
  } finally {
    fs.closeSync(stderrFd);
    fs.rmSync(stderrFile, { force: true });
  }
}

function expectUserError(args: string[], message: RegExp) {
  const result = inertia(...args);
  expect(result.code).toBe(1);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^inertia: /);
  expect(lines[0]).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

describe('inertia CLI', () => {
  // One test per case: each spawn loads TensorFlow, which takes seconds on a loaded machine.
  const badCommandLines: [string[], RegExp][] = [
    [['train', '--bogus'], /Unknown argument: bogus/],
    [['train', '--optimizer', 'lion'], /Invalid values:[\s\S]*lion/],
    [
      ['train', '--optimizer', 'sgd', '--lr', '0.1', '--beta1', '0.9'],
      /--beta1 \(beta1\) does not apply to --optimizer sgd \(it takes --lr\)/,
    ],
    [
      ['train', '--optimizer', 'polyak', '--lr', '0.1'],
      /--lr \(learningRate\) does not apply to --optimizer polyak \(it takes --epsilon, --max-lr, --f-min\)/,
    ],
    [['train', '--optimizer', 'adam', '--decay', '0.9'], /--decay \(decay\) does not apply/],
    [['train', '--optimizer', 'adam', '--beta1', '1'], /Invalid beta1 value: 1 \(expected 0 <= beta1 < 1 for adam\)/],
    [['train', '--optimizer', 'prodigy', '--d0', '0'], /Invalid d0 value: 0/],
    [
      ['train', '--optimizer', 'rprop', '--alpha', '50'],
      /--alpha \(alpha\) does not apply to --optimizer rprop \(it takes --lr, --eta-minus, --eta-plus, --min-step, --max-step\)/,
    ],
    [
      ['train', '--optimizer', 'mechanic', '--lr', '0.1'],
      /--lr \(learningRate\) does not apply to --optimizer mechanic \(it takes --epsilon, --base-lr, --base-momentum, --weight-decay, --s-init, --num-betas\)/,
    ],
    [
      ['train', '--optimizer', 'schedule-free', '--beta', '0'],
      /Invalid beta value: 0 \(expected 0 < beta < 1 for schedule-free\)/,
    ],
    [['train', '--optimizer', 'momo', '--weight-lr-power', '2'], /--weight-lr-power \(weightLrPower\) does not apply/],
    [
      ['train', '--optimizer', 'builtin-sgd', '--lr', '0.1', '--epsilon', '1e-7'],
      /--epsilon \(epsilon\) does not apply/,
    ],
    [['train', '--optimizer', 'sgd'], /learningRate/],
    [['train', '--optimizer', 'no-lr-momentum', '--momentum', '0.9', '--lr', '0.1'], /learningRate/],
    [['train', '--optimizer', 'heavy-ball', '--lr', '0.1', '--momentum', '1.5'], /momentum/],
    [['train', '--model', 'cnn', '--hidden', '64'], /Hidden sizes apply to the mlp model only; drop --hidden for cnn/],
    [['train', '--hidden', '64,x'], /Invalid --hidden value/],
    [['train', '--epochs', '0', '--lr', '0.1', '--momentum', '0.9'], /Invalid epochs value: 0/],
    [['study', '--preset', 'huge'], /Invalid values:[\s\S]*huge/],
    [['nonsense'], /Unknown argument: nonsense/],
  ];
  it.each(badCommandLines)('fails with one line on bad flags, values and combinations: %j', (args, message) => {
    expectUserError(args, message);
  });

  it('says how to get a missing dataset', () => {
    const empty = fs.mkdtempSync(path.join(out, 'data-'));
    const result = inertia('train', '--dataset', 'mnist', '--lr', '0.1', '--momentum', '0.9', '--out', out);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/mnist/);
    expect(fs.readdirSync(empty)).toHaveLength(0);
  });

  it('documents every train option with its default', () => {
    const result = inertia('train', '--help');
    expect(result.code).toBe(0);
    for (const flag of [
      '--dataset',
      '--model',
      '--optimizer',
      '--lr',
      '--momentum',
      '--gradient-steps',
      '--beta1',
      '--beta2',
      '--epsilon',
      '--decay',
      '--max-lr',
      '--f-min',
      '--d0',
      '--rho',
      '--eta-minus',
      '--eta-plus',
      '--min-step',
      '--max-step',
      '--r-epsilon',
      '--init-sq-dist',
      '--alpha',
      '--epochs',
      '--batch-size',
      '--seed',
      '--keras',
      '--out',
      '--quiet',
      '--backend',
    ]) {
      expect(result.stdout).toContain(flag);
    }
    expect(result.stdout).toMatch(/--epochs[^\n]*\[default: 5\]/);
    expect(result.stdout).toMatch(/--batch-size[^\n]*\[default: 128\]/);
  });

  it('trains and writes a run folder, which is never overwritten', () => {
    const args = [
      'train',
      '--dataset',
      'synthetic',
      '--model',
      'logreg',
      '--optimizer',
      'sgd',
      '--lr',
      '0.5',
      '--epochs',
      '1',
      '--out',
      out,
      '--run-id',
      'cli-run',
      '--quiet',
    ];
    const result = inertia(...args);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/cli-run: completed after 16 steps/);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'cli-run', 'run.json'), 'utf8')).status).toBe('completed');
    expectUserError(args, /already exists and is never overwritten/);
  });

  it('doctor names the backend', () => {
    const result = inertia('doctor');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^backend: (tensorflow|cpu)$/m);
  });

  it('doctor reports oneDNN: on by default, a TF_ENABLE_ONEDNN_OPTS of the user wins', () => {
    const byDefault = inertiaWithEnv({ TF_ENABLE_ONEDNN_OPTS: undefined }, 'doctor');
    expect(byDefault.stdout).toMatch(/^onednn: on \(default of inertia; set TF_ENABLE_ONEDNN_OPTS=0/m);
    const off = inertiaWithEnv({ TF_ENABLE_ONEDNN_OPTS: '0' }, 'doctor');
    expect(off.stdout).toMatch(/^onednn: off \(TF_ENABLE_ONEDNN_OPTS=0 set by you\)/m);
    const on = inertiaWithEnv({ TF_ENABLE_ONEDNN_OPTS: '1' }, 'doctor');
    expect(on.stdout).toMatch(/^onednn: on \(TF_ENABLE_ONEDNN_OPTS=1 set by you\)/m);
  });
});
