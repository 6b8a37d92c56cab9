/**
 * `inertia serve --queue`: the state of a real Redis queue (started here) read with BullMQ's
 * getters: a registered sweep with one failed, one active and one waiting job, in the JSON API
 * and on the page in headless Chromium; no queue section without a queue; an unreachable
 * Redis is an error line, not a hung page.
 */
import path from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KEY_PREFIX, REGISTRY_KEY } from '../../src/exec/queue/protocol.js';
import { serveDashboard, type Dashboard } from '../../src/serve/server.js';
import type { QueueState } from '../../src/serve/queueState.js';
import { describeWithRedis, freePort, privateRedis } from '../helpers/redis.js';
import { tempFolder } from '../helpers/runs.js';
import { BROWSER_TESTS, launchChromium } from '../helpers/chromium.js';

const PASSWORD = 'serve-secret';
const SWEEP = 'serve-queue-test';
const root = tempFolder('inertia-serve-queue-');
const redis = privateRedis({ password: PASSWORD });
let queue: Queue;
let release: () => void = () => {};
const workers: Worker[] = [];
let dashboard: Dashboard;

/** Resolves once `condition` holds (checked every 50 ms), or rejects after `timeoutMs`. */
async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the queue');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function json<T>(base: string, pathname: string): Promise<T> {
  const response = await fetch(new URL(pathname, base));
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

beforeAll(async () => {
  if (redis.missing) return;
  const connection = { host: '127.0.0.1', port: redis.port, password: PASSWORD };
  queue = new Queue(SWEEP, { connection, prefix: KEY_PREFIX });
  const client = new Redis(connection);
  await client.hset(
    REGISTRY_KEY,
    SWEEP,
    JSON.stringify({ sweepId: SWEEP, version: '9.9.9', registeredAt: Date.now() }),
  );
  client.disconnect();
  const workerConnection = { ...connection, maxRetriesPerRequest: null };
  // One job fails (with a reason that holds markup: text on the page, never HTML) ...
  await queue.add('run', { runId: 'sgd-lr0.1-seed1' }, { jobId: 'sgd-lr0.1-seed1', attempts: 1 });
  const failing = new Worker(
    SWEEP,
    async () => {
      throw new Error('<b>Invalid lr</b> value');
    },
    { connection: workerConnection, prefix: KEY_PREFIX, name: 'failing-worker' },
  );
  await until(async () => (await queue.getJobCounts('failed')).failed === 1, 20_000);
  await failing.close();
  // ... of the next two, one stays active until the tests end and the other waits.
  for (const runId of ['sgd-lr0.3-seed1', 'sgd-lr1-seed1']) {
    await queue.add('run', { runId }, { jobId: runId, attempts: 1 });
  }
  const held = new Promise<void>((resolve) => (release = resolve));
  workers.push(
    new Worker(SWEEP, () => held, { connection: workerConnection, prefix: KEY_PREFIX, name: 'box-7', concurrency: 1 }),
  );
  await until(async () => (await queue.getJobCounts('active')).active === 1, 20_000);
  dashboard = await serveDashboard({ folder: root, port: 0, queue: redis.url });
}, 60_000);

afterAll(async () => {
  release();
  await dashboard?.close();
  await Promise.all(workers.map((worker) => worker.close()));
  await queue?.close();
});

describeWithRedis(redis, 'inertia serve --queue', () => {
  it("answers the registered sweep's job counts, its active job's worker and its failed job's reason", async () => {
    const state = await json<QueueState>(dashboard.url, '/api/queue');
    expect(state.queue).toBe(`redis://:***@127.0.0.1:${redis.port}`);
    expect(JSON.stringify(state)).not.toContain(PASSWORD);
    expect(state.sweeps).toHaveLength(1);
    const [sweep] = state.sweeps;
    expect(sweep).toMatchObject({
      sweepId: SWEEP,
      version: '9.9.9',
      counts: { waiting: 1, active: 1, delayed: 0, failed: 1, completed: 0 },
      waiting: ['sgd-lr1-seed1'],
    });
    expect(sweep.active).toEqual([
      { runId: 'sgd-lr0.3-seed1', worker: 'box-7', startedAt: expect.any(Number), attempts: expect.any(Number) },
    ]);
    expect(sweep.failed).toEqual([
      { runId: 'sgd-lr0.1-seed1', reason: '<b>Invalid lr</b> value', attempts: 1, finishedAt: expect.any(Number) },
    ]);
  });

  it('answers { queue: null } without a queue, and an error line when Redis does not answer', async () => {
    const plain = await serveDashboard({ folder: root, port: 0 });
    const away = await serveDashboard({ folder: root, port: 0, queue: `redis://127.0.0.1:${await freePort()}` });
    try {
      expect(await json(plain.url, '/api/queue')).toEqual({ queue: null });
      const started = Date.now();
      const state = await json<QueueState>(away.url, '/api/queue');
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(state.sweeps).toEqual([]);
      expect(state.error).toMatch(/^Cannot read redis:\/\/127\.0\.0\.1:\d+: /);
    } finally {
      await plain.close();
      await away.close();
    }
  });

  it.skipIf(!BROWSER_TESTS)(
    'shows the queue on the page: counts, the active worker, the failed reason as text',
    async () => {
      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        await page.goto(dashboard.url);
        const section = page.locator(`#queue .queued-sweep[data-sweep="${SWEEP}"]`);
        await section.waitFor({ timeout: 15_000 });
        const text = await section.innerText();
        expect(text).toContain(`${SWEEP} (inertia 9.9.9`);
        expect(text).toMatch(/waiting\s+active\s+delayed\s+failed\s+completed\s+1\s+1\s+0\s+1\s+0/);
        expect(text).toContain('box-7');
        expect(text).toContain('<b>Invalid lr</b> value');
        expect(await section.locator('b').count()).toBe(0);
        expect(text).toContain('Waiting: sgd-lr1-seed1');
        expect(await page.locator('#queue h2').innerText()).toBe(`Queue redis://:***@127.0.0.1:${redis.port}`);
        // Without a queue the section stays hidden.
        const plain = await serveDashboard({ folder: path.join(root), port: 0 });
        try {
          const other = await browser.newPage();
          await other.goto(plain.url);
          await other.locator('#status').filter({ hasText: 'runs, updated' }).waitFor({ timeout: 15_000 });
          expect(await other.locator('#queue').isHidden()).toBe(true);
        } finally {
          await plain.close();
        }
      } finally {
        await browser.close();
      }
    },
    60_000,
  );
});
