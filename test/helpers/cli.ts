/** Runs the compiled CLI (dist/cli.js, built by `npm test`'s pretest) as a child process. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'cli.js');

/** TensorFlow 2.21's C library logs a line or two while it loads, whatever TF_CPP_MIN_LOG_LEVEL says. */
const TENSORFLOW_LOG = /^(WARNING: All log messages before absl|[IWE]\d{4} )/;

/** Runs the CLI to its end with CI=1 (no progress bars); `stderr` is its lines without TensorFlow's load messages. */
export function runCli(args: string[]): { code: number | null; stdout: string; stderr: string[] } {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, CI: '1' } });
  const stderr = result.stderr.split('\n').filter((line) => !TENSORFLOW_LOG.test(line));
  return { code: result.status, stdout: result.stdout, stderr };
}

export interface CliProcess {
  child: ChildProcess;
  /** Everything written to stdout / stderr so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
}

export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Resolves once `text()` matches `pattern` (polling), or rejects after `timeoutMs`. */
export async function waitFor(text: () => string, pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = text().match(pattern);
    if (match) return match;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} in:\n${text()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** SIGTERM (a worker finishes its active runs), then the exit. */
export async function stopCli(cli: CliProcess): Promise<void> {
  if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGTERM');
  await cli.exited;
}
