/**
 * The one printer of every command's output, and the list of commands the parser is built from.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { COMMANDS } from '../../src/commands/cli/index.js';
import { outputOf, printOutput } from '../../src/commands/output.js';

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

function printed(json: boolean, ...args: Parameters<typeof outputOf<{ runs: number }>>) {
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  printOutput(outputOf(...args), json);
  const calls = (spy: typeof stdout) => spy.mock.calls.map(([chunk]) => String(chunk));
  const seen = { stdout: calls(stdout), stderr: calls(stderr), exitCode: process.exitCode };
  vi.restoreAllMocks();
  process.exitCode = undefined;
  return seen;
}

describe('command output', () => {
  const text = (result: { runs: number }) => `${result.runs} runs`;

  it('prints the text, or with --json the record as one indented document', () => {
    expect(printed(false, { runs: 3 }, text)).toEqual({ stdout: ['3 runs\n'], stderr: [], exitCode: undefined });
    expect(printed(true, { runs: 3 }, text).stdout).toEqual(['{\n  "runs": 3\n}\n']);
    expect(printed(true, { runs: 3 }, text, (result) => ({ total: result.runs })).stdout).toEqual([
      '{\n  "total": 3\n}\n',
    ]);
  });

  it('prints the warning on stderr after the result and sets the exit code', () => {
    const failed = printed(true, { runs: 0 }, text, undefined, { warning: 'every run failed', exitCode: 3 });
    expect(failed).toEqual({ stdout: ['{\n  "runs": 0\n}\n'], stderr: ['every run failed\n'], exitCode: 3 });
  });

  it('lists every command once, each with examples of itself', () => {
    const names = COMMANDS.map((command) => command.name);
    expect(names).toEqual([
      ...['doctor', 'setup', 'bench', 'train', 'study', 'compare', 'export', 'sweep', 'worker', 'serve', 'runs'],
    ]);
    for (const command of COMMANDS) {
      expect(command.examples.length, command.name).toBeGreaterThanOrEqual(2);
      for (const [line] of command.examples) expect(line.startsWith(`$0 ${command.name}`), line).toBe(true);
    }
  });
});
