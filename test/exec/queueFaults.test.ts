/**
 * Faults of the queue against real redis-server processes started here: Redis that cannot be
 * reached, refuses the password or is not Redis at all; Redis restarted without its data mid-sweep;
 * a worker returning another run's folder; jobs whose data or options are not JSON; the
 * coordinator's disk full while results arrive. Workers are in-process (runWorkerService) or
 * stand-ins (a BullMQ worker returning prepared run folders), so that each case is quick.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { ExecutorEvent, PlannedRun } from '../../src/exec/executor.js';
import { sweepIdFor } from '../../src/exec/index.js';
import { QueueExecutor } from '../../src/exec/queue/coordinator.js';
import { JOB_FORMAT, KEY_PREFIX, REGISTRY_KEY, makePayload, packRunFolder } from '../../src/exec/queue/protocol.js';
import { inertiaVersion } from '../../src/util/provenance.js';
import { runWorkerService } from '../../src/exec/queue/worker.js';
import { lockMsFrom } from '../../src/commands/worker.js';
import { UserError } from '../../src/util/errors.js';
import { waitFor } from '../helpers/cli.js';
import { folderWithTmpfs, leaveFree } from '../helpers/disk.js';
import { describeWithRedis, freePort, privateRedis, startRedis } from '../helpers/redis.js';
import { tempFolder, tinyRun } from '../helpers/runs.js';

const root = tempFolder('inertia-queue-faults-');
const redis = privateRedis();
const cleanups: (() => Promise<unknown> | void)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function runs(...ids: string[]): PlannedRun[] {
  return ids.map((id) => ({ id, config: tinyRun({ kind: 'sgd', learningRate: 0.1 }) }));
}

function connection(port: number) {
  return { host: '127.0.0.1', port };
}

/** A run folder as a worker returns it: run.json naming `recordId`, and `config`. */
function archiveOf(recordId: string, config: unknown): string {
  const dir = fs.mkdtempSync(path.join(root, 'archive-'));
  fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ id: recordId, status: 'completed' }));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  return packRunFolder(dir);
}

/**
 * A stand-in worker on one sweep's queue: answers each job with the folder `answer` gives
 * (by default the job's own run), and counts the jobs it answered.
 */
function standInWorker(
  port: number,
  sweepId: string,
  answer: (runId: string, config: unknown) => string = archiveOf,
): { answered: string[]; close(): Promise<void> } {
  const answered: string[] = [];
  const worker = new Worker(
    sweepId,
    async (job) => {
      answered.push(job.id!);
      return { format: JOB_FORMAT, worker: 'stand-in', archive: answer(job.id!, job.data.config) };
    },
    { connection: connection(port), prefix: KEY_PREFIX },
  );
  worker.on('error', () => {});
  const close = () => worker.close();
  cleanups.push(close);
  return { answered, close };
}

/** Resolves once `check` holds (polling), or rejects naming `what` after `timeoutMs`. */
async function eventually(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Notices of an executor, as one text. */
function noticeText(events: ExecutorEvent[]): string {
  return events.map((event) => (event.type === 'notice' ? `${event.message}\n` : '')).join('');
}

/** A TCP server that answers anything with an HTTP error: a port that is not Redis. */
async function notRedis(): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    server.close();
    for (const socket of sockets) socket.destroy();
  });
  return (server.address() as net.AddressInfo).port;
}

describe('the queue id of a sweep folder', () => {
  it('stays with the folder, and a new folder at the same path gets a new one', () => {
    const dir = path.join(root, 'id-sweep');
    const first = sweepIdFor(dir);
    expect(sweepIdFor(dir)).toBe(first);
    expect(first).toMatch(/^id-sweep-[0-9a-f]{10}$/);
    // The same path on another machine of the same name (a container), or the folder made again.
    fs.rmSync(dir, { recursive: true });
    expect(sweepIdFor(dir)).not.toBe(first);
  });
});

describe('INERTIA_QUEUE_LOCK_MS', () => {
  it('is a whole number of milliseconds, else one line at start', () => {
    expect(lockMsFrom({ INERTIA_QUEUE_LOCK_MS: '2000' })).toBe(2000);
    expect(lockMsFrom({})).toBeUndefined();
    for (const value of ['abc', '-5', '1.5', '0']) {
      expect(() => lockMsFrom({ INERTIA_QUEUE_LOCK_MS: value })).toThrow(
        `Invalid INERTIA_QUEUE_LOCK_MS value: "${value}" (expected a whole number of milliseconds > 0`,
      );
    }
  });
});

describeWithRedis(redis, 'queue faults on Redis', () => {
  // Each case: the URL, and what the line must say. The first error comes before execute() starts.
  const unreachable: [string, () => Promise<string>, RegExp][] = [
    ['nothing listens', async () => `redis://127.0.0.1:${await freePort()}`, /unreachable \(ECONNREFUSED\)/],
    [
      'the port is not Redis',
      async () => `redis://127.0.0.1:${await notRedis()}`,
      /answered with something that is not the Redis protocol; check the host and port/,
    ],
    [
      'the password is wrong',
      async () => {
        const guarded = await startRedis({ password: 'right-secret' });
        cleanups.push(() => guarded.stop());
        return `redis://:wrong-secret@127.0.0.1:${guarded.port}`;
      },
      /refused the connection \(WRONGPASS[^)]*\); check the user and password in the URL/,
    ],
  ];

  it.each(unreachable)('a coordinator says within 5 s when %s', async (_case, makeUrl, said) => {
    const executor = new QueueExecutor({ url: await makeUrl(), sweepId: 'unreachable' });
    // A sweep checks its grid and folder before it executes: the first errors come meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const events: ExecutorEvent[] = [];
    executor.execute(runs('r1'), path.join(root, 'unreachable'), (event) => events.push(event)).catch(() => {});
    await waitFor(() => noticeText(events), said, 5_000);
    expect(noticeText(events)).not.toContain('wrong-secret');
    await executor.close();
  });

  it.each(unreachable)(
    'a worker says once when %s, and exits after --exit-on-unreachable',
    async (_case, makeUrl, said) => {
      const lines: string[] = [];
      const serving = runWorkerService({
        url: await makeUrl(),
        concurrency: 1,
        discoverSeconds: 0.2,
        exitOnUnreachableSeconds: 2,
        onLine: (line) => lines.push(line),
      });
      await expect(serving).rejects.toThrow(UserError);
      await expect(serving).rejects.toThrow(
        /^worker: gave up on Redis at redis:\/\/\S+ after 2 s: .+ \(--exit-on-unreachable\)$/,
      );
      expect(lines.filter((line) => said.test(line))).toHaveLength(1);
    },
  );

  it('a worker waiting for Redis ends at once when stopped', async () => {
    const controller = new AbortController();
    const lines: string[] = [];
    const serving = runWorkerService({
      url: `redis://127.0.0.1:${await freePort()}`,
      concurrency: 1,
      signal: controller.signal,
      onLine: (line) => lines.push(line),
    });
    await waitFor(() => lines.join('\n'), /unreachable \(ECONNREFUSED\)/, 5_000);
    controller.abort();
    const outcome = await Promise.race([
      serving.then(() => 'stopped'),
      new Promise((resolve) => setTimeout(() => resolve('still waiting after 5 s'), 5_000)),
    ]);
    expect(outcome).toBe('stopped');
  });

  it('re-registers the sweep and enqueues its jobs again when Redis restarts empty', async () => {
    const own = await startRedis();
    let current = own;
    cleanups.push(() => current.stop());
    const executor = new QueueExecutor({ url: own.url, sweepId: 'restarted', pollSeconds: 1 });
    const events: ExecutorEvent[] = [];
    const done = executor.execute(runs('a', 'b', 'c'), path.join(root, 'restarted'), (event) => events.push(event));
    const plain = new Redis(connection(own.port), { maxRetriesPerRequest: null });
    plain.on('error', () => {});
    cleanups.push(() => plain.disconnect());
    await eventually('the jobs are queued', async () => (await plain.llen('inertia:restarted:wait')) === 3, 10_000);
    // Redis dies with every job and comes back empty on the same port.
    await own.stop();
    current = await startRedis({ port: own.port });
    await eventually(
      'the sweep is registered and its jobs are queued again',
      async () =>
        (await plain.hexists(REGISTRY_KEY, 'restarted')) === 1 && (await plain.llen('inertia:restarted:wait')) === 3,
      15_000,
    );
    standInWorker(own.port, 'restarted');
    const attempts = await done;
    expect(attempts.map((attempt) => attempt.status)).toEqual(['finished', 'finished', 'finished']);
    for (const id of ['a', 'b', 'c']) expect(fs.existsSync(path.join(root, 'restarted', id, 'run.json'))).toBe(true);
    expect(noticeText(events)).toMatch(
      /3 jobs were missing from Redis \(restarted without its data\?\); enqueued again/,
    );
    await executor.close();
  }, 60_000);

  it('refuses a result that is not the run its job asked for, and writes the right ones', async () => {
    const sweepId = 'rogue';
    const dir = path.join(root, 'rogue');
    const other = tinyRun({ kind: 'heavy-ball', learningRate: 0.5, momentum: 0.9 });
    // Run "wrong-id" gets the folder of run "elsewhere"; run "wrong-config" its own id with another config.
    standInWorker(redis.port, sweepId, (runId, config) => {
      if (runId === 'wrong-id') return archiveOf('elsewhere', config);
      if (runId === 'wrong-config') return archiveOf(runId, other);
      return archiveOf(runId, config);
    });
    const executor = new QueueExecutor({ url: redis.url, sweepId });
    const attempts = await executor.execute(runs('right', 'wrong-id', 'wrong-config'), dir);
    await executor.close();
    expect(attempts.map((attempt) => [attempt.runId, attempt.status])).toEqual([
      ['right', 'finished'],
      ['wrong-id', 'failed'],
      ['wrong-config', 'failed'],
    ]);
    const [, wrongId, wrongConfig] = attempts;
    expect(wrongId.status === 'failed' && wrongId.error).toBe(
      'the result of wrong-id is the folder of another run ("elsewhere"); not written',
    );
    expect(wrongConfig.status === 'failed' && wrongConfig.error).toBe(
      'the result of wrong-config holds another config than its job; not written',
    );
    expect(fs.readdirSync(dir).sort()).toEqual(['right']);
  });

  it('fails a job whose data or options are not JSON once, with the reason, never as an outage', async () => {
    const sweepId = 'malformed';
    const plain = new Redis(connection(redis.port));
    cleanups.push(() => plain.disconnect());
    const raw = new Queue(sweepId, { connection: connection(redis.port), prefix: KEY_PREFIX });
    cleanups.push(() => raw.close());
    const config = tinyRun({ kind: 'sgd', learningRate: 0.1 });
    for (const id of ['bad-data', 'bad-options'])
      await raw.add('train', makePayload(id, config), { jobId: id, attempts: 3 });
    await plain.hset(`${KEY_PREFIX}:${sweepId}:bad-data`, 'data', '{"format": 2,');
    await plain.hset(`${KEY_PREFIX}:${sweepId}:bad-options`, 'opts', '{attempts: 3');
    const registration = { sweepId, version: inertiaVersion(), registeredAt: Date.now() };
    await plain.hset(REGISTRY_KEY, sweepId, JSON.stringify(registration));
    await plain.set(`${KEY_PREFIX}:registry:alive:${sweepId}`, '1');

    const controller = new AbortController();
    const lines: string[] = [];
    const serving = runWorkerService({
      url: redis.url,
      concurrency: 1,
      lockMs: 1000,
      discoverSeconds: 0.2,
      signal: controller.signal,
      onLine: (line) => lines.push(line),
    });
    const failed = async (id: string) => (await plain.zscore(`${KEY_PREFIX}:${sweepId}:failed`, id)) !== null;
    await eventually(
      'both jobs failed',
      async () => (await failed('bad-data')) && (await failed('bad-options')),
      20_000,
    );
    // Long enough for a stalled job to be started again (locks of 1 s): none is.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    controller.abort();
    await serving;
    const job = (id: string) => plain.hgetall(`${KEY_PREFIX}:${sweepId}:${id}`);
    const [data, options] = [await job('bad-data'), await job('bad-options')];
    expect(data.failedReason).toMatch(/^Job bad-data: its data is not JSON \(/);
    expect(options.failedReason).toMatch(/^Job bad-options: its options are not JSON \(/);
    expect([data.atm, options.atm, data.ats, options.ats]).toEqual(['1', '1', '1', '1']);
    expect(lines.join('\n')).not.toMatch(/unreachable/);
    expect(lines.join('\n')).toMatch(/refused Job bad-data: its data is not JSON/);
  }, 60_000);

  it('keeps the results it could not write (disk full) in the queue, and collects them on the next run', async () => {
    const disk = folderWithTmpfs('inertia-queue-full-').tmpfs(256);
    if (disk === null) return; // mounting a tmpfs needs root on Linux
    const sweepId = 'disk-full';
    const dir = path.join(disk, 'runs');
    fs.mkdirSync(dir);
    leaveFree(disk, 0);
    const worker = standInWorker(redis.port, sweepId);
    const planned = runs('x', 'y');
    const first = new QueueExecutor({ url: redis.url, sweepId });
    const attempts = await first.execute(planned, dir);
    await first.close();
    expect(attempts.map((attempt) => attempt.status)).toEqual(['failed', 'failed']);
    expect(attempts[0].status === 'failed' && attempts[0].error).toMatch(
      /^its result could not be written here \(.*No space left.*\); it stays in the queue: free the space and run the same command again to collect it$/,
    );
    const raw = new Queue(sweepId, { connection: connection(redis.port), prefix: KEY_PREFIX });
    cleanups.push(() => raw.close());
    expect(await raw.getJobCounts('completed')).toEqual({ completed: 2 });

    // Space again: the same sweep collects both results, training nothing twice.
    fs.rmSync(path.join(disk, 'filler'));
    const second = new QueueExecutor({ url: redis.url, sweepId });
    const again = await second.execute(planned, dir);
    await second.close();
    expect(again.map((attempt) => attempt.status)).toEqual(['finished', 'finished']);
    expect(worker.answered.sort()).toEqual(['x', 'y']);
    expect(fs.readdirSync(dir).sort()).toEqual(['x', 'y']);
    expect(await raw.getJobCounts('completed', 'waiting')).toEqual({ completed: 0, waiting: 0 });
  });
});
