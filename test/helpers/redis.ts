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
import { afterAll, beforeAll, describe } from 'vitest';

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

/** A test file's own Redis server: its address once started, and why it cannot start here. */
export interface PrivateRedis {
  /** Why the queue tests cannot run here ({@link redisMissing}), or null. */
  readonly missing: string | null;
  readonly url: string;
  readonly port: number;
}

/**
 * A private Redis for the calling test file: started before its tests (before the file's own
 * beforeAll hooks registered after this call) and stopped after them (after the file's own
 * afterAll hooks, which run in reverse order). Nothing starts when redis-server is missing.
 */
export function privateRedis(options: { password?: string } = {}): PrivateRedis {
  const missing = redisMissing();
  let server: TestRedis | undefined;
  beforeAll(async () => {
    if (missing === null) server = await startRedis(options);
  });
  afterAll(async () => {
    await server?.stop();
  });
  const started = (): TestRedis => {
    if (server === undefined) throw new Error('the private Redis is not running: read its address inside a test');
    return server;
  };
  return {
    missing,
    get url() {
      return started().url;
    },
    get port() {
      return started().port;
    },
  };
}

/** A describe block that runs only where `redis` can start; where it cannot, its title says why it was skipped. */
export function describeWithRedis(redis: PrivateRedis, title: string, body: () => void): void {
  describe.skipIf(redis.missing !== null)(`${title}${redis.missing ? ` (skipped: ${redis.missing})` : ''}`, body);
}
