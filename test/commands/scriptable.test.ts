/**
 * The command line for scripts: `--json` prints one parsable document on stdout, exit codes
 * say what happened, mistyped commands and flags get a suggestion, every --help has examples.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempFolder } from '../helpers/runs.js';

const out = tempFolder('inertia-json-');

function inertia(...args: string[]) {
  const result = runCli(args);
  return { ...result, stderr: result.stderr.filter((line) => line !== '') };
}

const tiny = ['--dataset', 'synthetic', '--train-limit', '128', '--test-limit', '64', '--model', 'logreg'];

describe('scriptable CLI', () => {
  it('train --json: one JSON document on stdout, progress on stderr; exit 2 on divergence with --fail-on-diverge', () => {
    const ok = inertia(
      'train',
      ...tiny,
      '--optimizer',
      'sgd',
      '--lr',
      '0.5',
      '--epochs',
      '2',
      '--out',
      out,
      '--run-id',
      'ok',
      '--json',
    );
    expect(ok.code).toBe(0);
    const record = JSON.parse(ok.stdout) as Record<string, unknown>;
    expect(record).toMatchObject({ id: 'ok', status: 'completed', steps: 2, divergedAtStep: null });
    expect(record.dir).toBe(path.join(out, 'ok'));
    expect(record).not.toHaveProperty('rows');
    expect((record.final as { test: { accuracy: number } }).test.accuracy).toBeGreaterThan(0);
    // Progress is not silenced, it goes to stderr: one line per epoch.
    expect(ok.stderr.filter((line) => /^epoch \d\/2: train loss/.test(line))).toHaveLength(2);

    const args = [...tiny, '--optimizer', 'sgd', '--lr', '1e6', '--epochs', '2', '--log-every', '1', '--out', out];
    const diverged = inertia('train', ...args, '--run-id', 'diverged', '--json', '--fail-on-diverge', '--quiet');
    expect(diverged.code).toBe(2);
    const divergedRecord = JSON.parse(diverged.stdout);
    expect(divergedRecord).toMatchObject({ id: 'diverged', status: 'diverged' });
    expect(divergedRecord.divergedAtStep).toBeGreaterThanOrEqual(1);
    const tolerated = inertia('train', ...args, '--run-id', 'tolerated', '--quiet');
    expect(tolerated.code).toBe(0);
    expect(tolerated.stdout).toMatch(/tolerated: DIVERGED at step \d/);
  }, 240_000);

  it('doctor and compare --json parse', () => {
    const doctor = inertia('doctor', '--json');
    expect(doctor.code).toBe(0);
    const report = JSON.parse(doctor.stdout);
    expect(report.backend).toMatch(/^(tensorflow|cpu)$/);
    if (report.backend === 'tensorflow' && process.env.INERTIA_REQUIRE_NATIVE === '1') {
      // The binding the installer built: this checkout's graph functions, with its patch recorded.
      expect(report.compiledSteps).toEqual({
        available: true,
        graphFunctionsVersion: 1,
        patch: expect.stringMatching(/^[0-9a-f]{16}$/),
      });
    }
    const cpu = JSON.parse(inertia('doctor', '--backend', 'cpu', '--json').stdout);
    expect(cpu.compiledSteps).toEqual({ available: false, reason: expect.stringContaining('this run uses cpu') });
    // Command lines are written out in full, one argument a line, as a user would type them.
    const compare = inertia(
      'compare',
      path.join(out, 'ok'),
      '--metric',
      'test/loss',
      '--out',
      path.join(out, 'cmp'),
      '--json',
    );
    expect(compare.code).toBe(0);
    const result = JSON.parse(compare.stdout);
    expect(result.figures).toEqual([
      expect.objectContaining({ metric: 'test/loss', svg: path.join(out, 'cmp', 'test-loss.svg') }),
    ]);
  });

  it('study --json (smoke preset): the study record on stdout, one progress line per run on stderr', () => {
    const study = inertia('study', '--preset', 'smoke', '--workers', '1', '--out', path.join(out, 'study'), '--json');
    expect(study.code).toBe(0);
    const record = JSON.parse(study.stdout);
    expect(record.dir).toBe(path.join(out, 'study', 'smoke'));
    expect(record.verdicts.length).toBeGreaterThan(5);
    for (const verdict of record.verdicts) {
      expect(verdict).toEqual(expect.objectContaining({ id: expect.any(String), outcome: expect.any(String) }));
    }
    expect(fs.existsSync(record.files.report)).toBe(true);
    expect(fs.existsSync(record.files.summary)).toBe(true);
    const runs = study.stderr.filter((line) => /^\[\d+\/\d+\] .*: (completed|diverged)/.test(line));
    const total = Number(/^\[\d+\/(\d+)\]/.exec(runs[0])![1]);
    expect(runs).toHaveLength(total);
  }, 300_000);

  it('bench --json (--smoke): where bench.csv and bench.md went, and every section, on stdout; progress on stderr', () => {
    const bench = inertia(
      'bench',
      '--smoke',
      '--sections',
      'optimizer,training,backends',
      '--out',
      path.join(out, 'bench'),
      '--json',
    );
    expect(bench.code).toBe(0);
    const outcome = JSON.parse(bench.stdout);
    expect(path.dirname(outcome.csv)).toBe(outcome.dir);
    expect(path.dirname(outcome.dir)).toBe(path.join(out, 'bench'));
    expect(fs.readFileSync(outcome.csv, 'utf8').split('\n')[0]).toContain('section');
    expect(fs.existsSync(outcome.markdown)).toBe(true);
    expect(outcome.sections.map((section: { section: string }) => section.section)).toEqual([
      'optimizer',
      'training',
      'backends',
    ]);
    expect(bench.stderr.filter((line) => line.startsWith('bench: ')).length).toBeGreaterThanOrEqual(3);
  }, 300_000);

  it('suggests the nearest command or flag, and checks integers at parse time', () => {
    const cases: [string[], RegExp][] = [
      [['trian'], /^inertia: Unknown argument: trian \(Did you mean train\?\)$/],
      [['train', '--lrr', '0.1'], /^inertia: Unknown argument: lrr \(--lrr: did you mean --lr\?\)$/],
      [['compare', 'x', '--metrc', 'test/loss'], /did you mean --metric\?/],
      [
        ['worker', '--concurency', '2'],
        /^inertia: Unknown argument: concurency \(--concurency: did you mean --concurrency\?\)$/,
      ],
      [['train', '--epochs', '2.5'], /^inertia: Invalid --epochs value: "2.5" \(expected a decimal integer >= 0\)$/],
      [['study', '--seeds', 'three'], /^inertia: Invalid --seeds value: "three" \(expected a decimal integer >= 0\)$/],
    ];
    for (const [args, message] of cases) {
      const result = inertia(...args);
      expect(result.code).toBe(1);
      expect(result.stderr).toHaveLength(1);
      expect(result.stderr[0]).toMatch(message);
    }
  });

  it('every command has examples in --help, and the exit codes are documented', () => {
    for (const command of ['doctor', 'bench', 'train', 'study', 'compare', 'sweep', 'export', 'runs', 'worker']) {
      const help = inertia(command, '--help');
      expect(help.code).toBe(0);
      const examples = help.stdout.split('Examples:')[1] ?? '';
      expect(
        examples.split('\n').filter((line) => line.trim().startsWith(`inertia ${command}`)).length,
      ).toBeGreaterThanOrEqual(3);
      if (command !== 'worker') expect(help.stdout).toContain('--json');
    }
    expect(inertia('--help').stdout.replace(/\s+/g, ' ')).toMatch(
      /Exit codes: 0 ok; 1 user error.*2 the run diverged, with --fail-on-diverge/,
    );
  });
});
