import { afterEach, describe, expect, it, vi } from 'vitest';
import { BUG_EXIT, describeError, USER_ERROR_EXIT } from '../../src/commands/errors.js';
import { DatasetError } from '../../src/data/index.js';
import { OptimizerSpecError } from '../../src/optimizers/index.js';
import { RunExistsError } from '../../src/runs/runFolder.js';
import { defaultCompileMode } from '../../src/graph/compileMode.js';
import { ConfigFileError } from '../../src/train/configFile.js';
import { UserError } from '../../src/util/errors.js';

describe('describeError', () => {
  it.each([
    ['UserError', new UserError('Invalid --threads value: 0 (expected a positive integer)')],
    ['DatasetError', new DatasetError('mnist was not found (looked in datasets); run the fetch script', 'mnist')],
    ['OptimizerSpecError', new OptimizerSpecError('Missing learningRate for sgd')],
    ['RunExistsError', new RunExistsError('Run folder out/a already exists and is never overwritten')],
    ['ConfigFileError', new ConfigFileError('Missing field "optimizer" in a.json')],
  ])('prints a %s as one line and exits 1', (name, error) => {
    const { text, exitCode } = describeError(error);
    expect(error.name).toBe(name);
    expect(exitCode).toBe(USER_ERROR_EXIT);
    expect(text).toBe(`inertia: ${error.message}\n`);
  });

  it('joins a multi-line user message into one line', () => {
    expect(describeError(new UserError('first\n  second\n')).text).toBe('inertia: first second\n');
  });

  it('prints anything else with its stack and a request to report it, and exits with another code', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'shape')");
    const { text, exitCode } = describeError(bug);
    expect(exitCode).toBe(BUG_EXIT);
    expect(exitCode).not.toBe(1);
    const lines = text.trim().split('\n');
    expect(lines[0]).toBe('inertia: internal error');
    expect(lines[1]).toBe(`TypeError: ${bug.message}`);
    expect(lines.some((line) => /^\s+at /.test(line))).toBe(true);
    expect(lines.at(-1)).toMatch(/bug in inertia.*please report it/);
  });

  it('treats a thrown non-Error value as a bug too', () => {
    const { text, exitCode } = describeError('plain string');
    expect(exitCode).toBe(BUG_EXIT);
    expect(text).toContain('plain string');
  });
});

describe('user errors outside a flag', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('a bad INERTIA_COMPILE is a UserError naming the choices', () => {
    vi.stubEnv('INERTIA_COMPILE', 'always');
    expect(() => defaultCompileMode()).toThrow(UserError);
    expect(() => defaultCompileMode()).toThrow(
      'Invalid INERTIA_COMPILE value: "always" (expected one of: auto, on, off)',
    );
  });
});
