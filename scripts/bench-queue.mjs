#!/usr/bin/env node
/**
 * The study on the local executor vs the Redis queue with 1 and 2 `inertia worker` processes:
 * wall time, runs per minute and the queue's overhead per run (enqueue -> start, the hand-off
 * gap between a worker's previous run and its next one, finish -> collected). Starts its own
 * redis-server on a free loopback port. Needs the build (`npm run build`) and redis-server.
 * Usage: node scripts/bench-queue.mjs [preset=default]   (prints a markdown table)
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runStudy } from '../dist/study/study.js';
import { LocalExecutor } from '../dist/exec/local.js';
import { QueueExecutor } from '../dist/exec/queue/coordinator.js';

const preset = process.argv[2] ?? 'default';
const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'inertia-bench-queue-'));

const freePort = () =>
  new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

async function startRedis() {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', root, '--save', ''], {
    stdio: 'ignore',
  });
  for (let i = 0; i < 100; i++) {
    const up = await new Promise((resolve) =>
      net
        .connect(port, '127.0.0.1')
        .once('connect', function () {
          this.end();
          resolve(true);
        })
        .once('error', () => resolve(false)),
    );
    if (up) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill() };
}

/** Wraps an executor to keep every attempt (with its timings). */
function recording(executor, attempts) {
  return {
    description: executor.description,
    slots: executor.slots,
    execute: (runs, runsDir, onEvent) =>
      executor.execute(runs, runsDir, (event) => {
        if (event.type === 'run-end') attempts.push(event.attempt);
        onEvent?.(event);
      }),
    close: () => executor.close(),
  };
}

const median = (values) => {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Per worker slot, the gap between its previous run's finish (or the enqueue) and this run's start. */
function handOffGaps(attempts) {
  const bySlot = new Map();
  for (const a of attempts.filter((a) => a.timings)) bySlot.set(a.worker, [...(bySlot.get(a.worker) ?? []), a]);
  return [...bySlot.values()].flatMap((list) =>
    list
      .sort((a, b) => a.timings.startedAt - b.timings.startedAt)
      .map((a, i) => a.timings.startedAt - Math.max(a.timings.queuedAt, i > 0 ? list[i - 1].timings.finishedAt : 0)),
  );
}

async function measure(name, makeExecutor, workers = 0) {
  const attempts = [];
  const executor = recording(await makeExecutor(), attempts);
  const started = performance.now();
  const result = await runStudy({ preset, out: path.join(root, name.replace(/\W+/g, '-')), executor });
  const seconds = (performance.now() - started) / 1000;
  await executor.close();
  const timed = attempts.filter((a) => a.timings);
  return {
    name,
    workers,
    runs: result.runsTrained,
    seconds,
    perMinute: (60 * result.runsTrained) / seconds,
    enqueueToStart: median(timed.map((a) => a.timings.startedAt - a.timings.queuedAt)),
    handOff: median(handOffGaps(timed)),
    finishToCollected: median(timed.map((a) => a.timings.collectedAt - a.timings.finishedAt)),
  };
}

const rows = [];
const load = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' / ');
const loads = [];
try {
  loads.push(load());
  rows.push(await measure('local, 2 worker processes', () => new LocalExecutor({ workers: 2 })));
  for (const count of [1, 2]) {
    const redis = await startRedis();
    const workers = Array.from({ length: count }, () =>
      spawn(process.execPath, [cli, 'worker', '--queue', redis.url, '--quiet'], { stdio: 'ignore' }),
    );
    try {
      loads.push(load());
      rows.push(
        await measure(
          `queue, ${count} worker process${count > 1 ? 'es' : ''}`,
          () => new QueueExecutor({ url: redis.url, sweepId: `bench-${count}` }),
          count,
        ),
      );
    } finally {
      for (const worker of workers) worker.kill('SIGTERM');
      redis.stop();
    }
  }
  loads.push(load());
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}

const ms = (x) => (Number.isFinite(x) ? `${x.toFixed(0)} ms` : '-');
console.log(
  `preset ${preset}, ${os.cpus().length} cores; load average (1/5/15 min) before each: ${loads.join('; ')}\n`,
);
console.log(
  '| executor | runs | wall time | runs/min | enqueue -> start (median) | hand-off gap (median) | finish -> collected (median) |',
);
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.name} | ${r.runs} | ${r.seconds.toFixed(0)} s | ${r.perMinute.toFixed(1)} | ${ms(r.enqueueToStart)} | ${ms(r.handOff)} | ${ms(r.finishToCollected)} |`,
  );
}
