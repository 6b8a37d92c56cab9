/**
 * A private Redis server for tests: `redis-server` on a free loopback port with a temporary
 * directory and no persistence, stopped afterwards. Without redis-server the queue tests are
 * skipped locally, but fail in CI (CI=true or INERTIA_REQUIRE_REDIS=1), where .ci/run installs it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface TestRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export const redisRequired = process.env.CI === 'true' || process.env.INERTIA_REQUIRE_REDIS === '1';

/** Why the queue tests cannot run here, or null when redis-server is available. */
export function redisMissing(): string | null {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error === undefined && probe.status === 0) return null;
  const reason = 'redis-server is not installed (apt-get install redis-server); the queue tests need a real Redis';
  if (redisRequired) throw new Error(`${reason}, and CI requires them`);
  return reason;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`redis-server exited with code ${child.exitCode}`));
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.end();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`redis-server did not listen on port ${port}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/** Starts redis-server on `port` (default: a free one), requiring `password` when given. */
export async function startRedis(options: { port?: number; password?: string } = {}): Promise<TestRedis> {
  const chosen = options.port ?? (await freePort());
  const auth = options.password === undefined ? [] : ['--requirepass', options.password];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inertia-redis-'));
  const child = spawn(
    'redis-server',
    ['--port', String(chosen), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', ...auth],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  await waitForPort(chosen, child, 10_000);
  return {
    url: `redis://${options.password === undefined ? '' : `:${options.password}@`}127.0.0.1:${chosen}`,
    port: chosen,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
