/**
 * The command line under faults, as a user meets them: names that would escape --out, bad
 * data folders and limits, integer flags, too many workers, two studies on one folder, and
 * stop signals. Each failure is one `inertia:` line and a non-zero exit, never a stack trace.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { tempFolder } from '../helpers/runs.js';

const out = tempFolder('inertia-faults-');
const env = { ...process.env, CI: '1', INERTIA_BACKEND: 'cpu' };

/** The lines inertia itself wrote to stderr (TensorFlow's own log lines excluded). */
const ownLines = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('inertia'));

function inertia(args: string[], options: { cwd?: string } = {}) {
  // Killed after a minute: a command that spins or reads forever fails its test instead of hanging it.
  const result = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env,
    cwd: options.cwd,
    timeout: 60_000,
    killSignal: 'SIGKILL',
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function expectUserError(args: string[], message: string | RegExp, options: { cwd?: string } = {}) {
  const result = inertia(args, options);
  expect(result.code).toBe(1);
  const lines = ownLines(result.stderr);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(
    typeof message === 'string' ? new RegExp(message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : message,
  );
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

const quickTrain = ['train', '--dataset', 'synthetic', '--train-limit', '200', '--test-limit', '50', '--epochs', '1'];
const sgd = ['--optimizer', 'heavy-ball', '--lr', '0.05', '--momentum', '0.9', '--quiet'];

/** Resolves when `check` is true (polled), or rejects after `seconds`. */
async function until(check: () => boolean, seconds = 60): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('faults on the command line', () => {
  it('a run id never escapes --out: separators, control characters and long names are refused', () => {
    // The full table of rejected names is in test/util/names.test.ts; here, the command line end to end.
    const cwd = fs.mkdtempSync(path.join(out, 'escape-'));
    for (const [id, reason] of [
      ['../../../escaped', 'Invalid run id "../../../escaped": it contains "/"'],
      ['x\ny', 'Invalid run id "x\\ny": it contains "\\n"'],
      ['x'.repeat(300), 'it is 300 bytes long (at most 255)'],
    ]) {
      expectUserError([...quickTrain, ...sgd, '--out', 'a/b/out', '--run-id', id], reason, { cwd });
    }
    expect(fs.readdirSync(cwd)).toEqual([]);
  }, 120_000);

  it('--data-dir must be a readable folder; limits larger than the split are errors', () => {
    const file = path.join(out, 'a-file');
    fs.writeFileSync(file, 'x');
    const loop = path.join(out, 'loop');
    fs.symlinkSync(loop, loop);
    const mnist = ['train', '--dataset', 'mnist-digits', ...sgd, '--out', out];
    expectUserError(
      [...mnist, '--data-dir', path.join(out, 'missing')],
      `--data-dir ${path.join(out, 'missing')} does not exist`,
    );
    expectUserError([...mnist, '--data-dir', file], `--data-dir ${file} is not a folder`);
    expectUserError([...mnist, '--data-dir', loop], `--data-dir ${loop} is a symbolic-link loop`);
    expectUserError(
      [...mnist, '--train-limit', '100000'],
      'Invalid trainLimit: 100000 (mnist-digits has 8000 examples in that split',
    );
    expect(fs.readdirSync(out).filter((name) => name.startsWith('mnist-digits'))).toEqual([]);
    // The sweep checks its --data-dir the same way, before its folder exists.
    const sweepOut = path.join(out, 'sweep-data-dir');
    expectUserError(
      ['sweep', '--dataset', 'mnist', '--optimizer', 'sgd', '--lr', '0.1', '--out', sweepOut, '--data-dir', file],
      `--data-dir ${file} is not a folder`,
    );
    expect(fs.existsSync(sweepOut)).toBe(false);
  }, 120_000);

  it('a --config or --grid file must be a small regular file: /dev/zero, a pipe, a link to /dev/urandom are one line', () => {
    const zero = path.join(out, 'zero.json');
    fs.symlinkSync('/dev/zero', zero);
    const random = path.join(out, 'random.json');
    fs.symlinkSync('/dev/urandom', random);
    const pipe = path.join(out, 'pipe.json');
    expect(spawnSync('mkfifo', [pipe]).status).toBe(0);
    const large = path.join(out, 'large.json');
    fs.writeFileSync(large, `{"seed": 1, "pad": "${'x'.repeat(2 ** 20)}"}`);
    const train = ['train', '--out', path.join(out, 'config-runs'), '--quiet', '--config'];
    expectUserError([...train, zero], `--config ${zero} is a character device, not a regular file; pass a file`);
    expectUserError([...train, random], `--config ${random} is a character device, not a regular file; pass a file`);
    expectUserError([...train, pipe], `--config ${pipe} is a named pipe, not a regular file; pass a file`);
    expectUserError(
      [...train, large],
      `--config ${large} is larger than 1048576 bytes, the most inertia reads from it`,
    );
    expectUserError(
      ['sweep', '--grid', zero, '--out', path.join(out, 'grid-sweep')],
      `the grid file ${zero} is a character device, not a regular file; pass a file`,
    );
    expect(fs.existsSync(path.join(out, 'config-runs'))).toBe(false);
    expect(fs.existsSync(path.join(out, 'grid-sweep'))).toBe(false);
  }, 120_000);

  it('--out or --data-dir under /proc or /sys is refused with one line', () => {
    const kernel = (folder: string, flag = '--out') =>
      `${folder} is under ${folder.startsWith('/proc') ? '/proc' : '/sys'}, a kernel file system`.replace(
        /^/,
        flag === '--out' ? '' : '--data-dir ',
      );
    expectUserError([...quickTrain, ...sgd, '--out', '/proc/x'], kernel('/proc/x'));
    expectUserError([...quickTrain, ...sgd, '--out', '/sys'], kernel('/sys'));
    expectUserError(
      ['sweep', '--dataset', 'synthetic', '--optimizer', 'sgd', '--lr', '0.1', '--out', '/proc/x/sweep'],
      kernel('/proc/x/sweep'),
    );
    const link = path.join(out, 'to-proc');
    fs.symlinkSync('/proc/self', link);
    expectUserError([...quickTrain, ...sgd, '--out', path.join(link, 'x')], `${path.join(link, 'x')} is under /proc`);
    expectUserError(
      ['train', '--dataset', 'mnist', ...sgd, '--out', out, '--data-dir', '/sys/kernel'],
      kernel('/sys/kernel', '--data-dir'),
    );
  }, 120_000);

  it('a sweep whose runs all failed says so and exits 3', () => {
    const empty = path.join(out, 'no-dataset');
    fs.mkdirSync(empty);
    const dir = path.join(out, 'all-failed');
    const result = inertia([
      'sweep',
      '--dataset',
      'mnist',
      '--optimizer',
      'sgd',
      '--lr',
      '0.1,0.2',
      '--workers',
      '1',
      '--data-dir',
      empty,
      '--out',
      dir,
    ]);
    expect(result.code).toBe(3);
    expect(ownLines(result.stderr).at(-1)).toBe(
      `inertia: every run of the sweep failed (2 of 2); their errors are in ${path.join(dir, 'report.md')} and ${path.join(dir, 'summary.csv')}`,
    );
  }, 60_000);

  it('a model too large for memory is one line before TensorFlow allocates it', () => {
    expectUserError(
      [...quickTrain, ...sgd, '--hidden', '100000000', '--out', path.join(out, 'huge')],
      /^inertia: The mlp with hidden sizes 100000000 has 7\.95e\+10 parameters .*; choose smaller --hidden sizes$/,
    );
    expect(fs.existsSync(path.join(out, 'huge'))).toBe(false);
  }, 60_000);

  it('integer flags reject hexadecimal, fractions and empty values', () => {
    const base = ['train', '--dataset', 'synthetic', ...sgd];
    expectUserError([...base, '--epochs', '0x10'], 'Invalid --epochs value: "0x10" (expected a decimal integer >= 0)');
    expectUserError([...base, '--seed', ''], 'Invalid --seed value: ""');
    expectUserError([...base, '--batch-size', '2.5'], 'Invalid --batch-size value: "2.5"');
    expectUserError(
      [...base, '--seed', '4294967296'],
      'Invalid seed value: 4294967296 (expected an integer from 0 to 4294967295; pick one in that range)',
    );
  }, 120_000);

  it('--workers above the core count is refused, saying why', () => {
    const cores = os.cpus().length;
    expectUserError(
      ['study', '--preset', 'quick', '--out', path.join(out, 'workers'), '--workers', String(cores + 1)],
      `Invalid workers value: ${cores + 1} (this machine has ${cores} cores`,
    );
    expectUserError(
      ['study', '--preset', 'quick', '--out', path.join(out, 'workers'), '--workers', '1000'],
      'use at most',
    );
  }, 120_000);

  it('SIGTERM and SIGINT mark a training run interrupted, with its stop time', async () => {
    for (const [signal, code] of [
      ['SIGTERM', 143],
      ['SIGINT', 130],
    ] as const) {
      const runId = `stopped-${signal}`;
      const child = spawn(
        process.execPath,
        [CLI, 'train', '--dataset', 'synthetic', '--epochs', '500', ...sgd, '--out', out, '--run-id', runId],
        { env },
      );
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (status) => resolve(status)));
      await until(() => fs.existsSync(path.join(out, runId, 'run.json')), 120);
      child.kill(signal);
      expect(await exited).toBe(code);
      const record = JSON.parse(fs.readFileSync(path.join(out, runId, 'run.json'), 'utf8'));
      expect(record.status).toBe('interrupted');
      expect(record.error).toBe(`stopped by ${signal}`);
      expect(Date.parse(record.stoppedAt)).toBeGreaterThanOrEqual(Date.parse(record.startedAt));
      expect(ownLines(stderr)).toEqual([`inertia: stopped by ${signal}; ${path.join(out, runId)} marked interrupted`]);
    }
  }, 240_000);

  it('a second study on the same folder is refused while the first runs; SIGINT stops the first cleanly', async () => {
    const studyOut = path.join(out, 'study');
    const args = ['study', '--preset', 'quick', '--out', studyOut, '--workers', '1', '--quiet'];
    const first = spawn(process.execPath, [CLI, ...args], { env: { ...env, INERTIA_BACKEND: '' } });
    let stderr = '';
    first.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => first.on('exit', (status) => resolve(status)));
    const runsDir = path.join(studyOut, 'quick', 'runs');
    await until(() => fs.existsSync(runsDir) && fs.readdirSync(runsDir).length > 0, 120);
    expectUserError(
      args,
      new RegExp(
        `^inertia: ${path.join(studyOut, 'quick')} is in use by inertia study --preset quick \\(pid ${first.pid} on `,
      ),
    );
    first.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(ownLines(stderr)).toEqual([
      'inertia: stopped by SIGINT; finished runs are kept, unfinished ones marked interrupted; rerun the same command to resume',
    ]);
    const statuses = fs
      .readdirSync(runsDir)
      .map((id) => JSON.parse(fs.readFileSync(path.join(runsDir, id, 'run.json'), 'utf8')).status);
    expect(statuses).not.toContain('running');
    expect(statuses).toContain('interrupted');
    expect(fs.existsSync(path.join(studyOut, 'quick', '.lock'))).toBe(false);
  }, 300_000);

  it('a second sweep on the same folder is refused while the first runs; SIGINT marks its run interrupted', async () => {
    const sweepOut = path.join(out, 'sweep-stopped');
    const args = [
      'sweep',
      '--dataset',
      'synthetic',
      '--optimizer',
      'sgd',
      '--lr',
      '0.05',
      '--epochs',
      '500',
      '--train-limit',
      '200',
      '--out',
      sweepOut,
      '--workers',
      '1',
      '--compile',
      'off',
      '--quiet',
    ];
    const first = spawn(process.execPath, [CLI, ...args], { env });
    let stderr = '';
    first.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => first.on('exit', (status) => resolve(status)));
    const runsDir = path.join(sweepOut, 'runs');
    await until(() => fs.existsSync(runsDir) && fs.readdirSync(runsDir).length > 0, 120);
    expectUserError(args, new RegExp(`^inertia: ${sweepOut} is in use by inertia sweep \\(pid ${first.pid} on `));
    first.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(ownLines(stderr)).toEqual([
      'inertia: stopped by SIGINT; finished runs are kept, unfinished ones marked interrupted; rerun the same command to resume',
    ]);
    const [runId] = fs.readdirSync(runsDir);
    const record = JSON.parse(fs.readFileSync(path.join(runsDir, runId, 'run.json'), 'utf8'));
    expect(record.status).toBe('interrupted');
    expect(record.stoppedAt).not.toBeNull();
    expect(fs.existsSync(path.join(sweepOut, '.lock'))).toBe(false);
  }, 240_000);
});
