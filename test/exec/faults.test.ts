/**
 * Faults of a sweep over a real Redis queue, with `inertia sweep --queue` and `inertia worker`
 * processes: a worker killed mid-run (its job is handed to another worker once its lock
 * lapses) and a coordinator killed and restarted (finished runs are collected, not retrained).
 * Locks last 2 s here (INERTIA_QUEUE_LOCK_MS) so that a stalled job comes back quickly. A sweep
 * stopped by SIGTERM takes its waiting jobs off the queue.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startCli, stopCli, waitFor, type CliProcess } from '../helpers/cli.js';
import { describeWithRedis, privateRedis } from '../helpers/redis.js';
import { tempFolder } from '../helpers/runs.js';
import { readCsv } from '../../src/util/csv.js';
import { Queue } from 'bullmq';
import { QUEUE_ID_FILE, sweepIdFor } from '../../src/exec/index.js';
import { KEY_PREFIX } from '../../src/exec/queue/protocol.js';
import { expandGrid, type SweepGrid } from '../../src/sweep/grid.js';

const ENV = { INERTIA_QUEUE_LOCK_MS: '2000' };
const redis = privateRedis();
const root = tempFolder('inertia-faults-');
let processes: CliProcess[] = [];

// The CLI processes this file's tests start are stopped after each test.
afterEach(async () => {
  await Promise.all(processes.map(stopCli));
  processes = [];
});

function start(args: string[]): CliProcess {
  const cli = startCli(args, ENV);
  processes.push(cli);
  return cli;
}

/** A sweep of 6 synthetic runs of a few seconds each. */
function sweepArgs(out: string): string[] {
  return [
    'sweep',
    '--queue',
    redis.url,
    '--out',
    out,
    '--dataset',
    'synthetic',
    '--optimizer',
    'heavy-ball,sgd',
    '--lr',
    '0.05,0.1,0.2',
    '--momentum',
    '0.9',
    '--hidden',
    '32',
    '--epochs',
    '2',
    '--train-limit',
    '1024',
    '--test-limit',
    '256',
    '--batch-size',
    '32',
    // The queue's faults, not the choice: every run evaluates on the test split, none is added after.
    '--validation-size',
    '0',
  ];
}

function summary(dir: string): Record<string, string>[] {
  return readCsv(path.join(dir, 'summary.csv')).rows;
}

/** How often each run appears in a worker's "finished" lines. */
function trainedCounts(...workers: CliProcess[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const worker of workers)
    for (const match of worker.stderr().matchAll(/^worker: (\S+): (completed|diverged),/gm))
      counts.set(match[1], (counts.get(match[1]) ?? 0) + 1);
  return counts;
}

describeWithRedis(redis, 'sweep faults over the queue', () => {
  it('completes with every run once when a worker is killed mid-run', async () => {
    const out = path.join(root, 'killed-worker');
    const doomed = start(['worker', '--queue', redis.url]);
    const coordinator = start(sweepArgs(out));
    const [, runId] = await waitFor(doomed.stderr, /^worker: (\S+) started$/m, 120_000);
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    const survivor = start(['worker', '--queue', redis.url]);
    expect(await coordinator.exited).toBe(0);

    const rows = summary(out);
    expect(rows).toHaveLength(6);
    expect(new Set(rows.map((row) => row.run_id)).size).toBe(6);
    expect(rows.every((row) => row.status === 'completed')).toBe(true);
    // The run that was cut off was trained again, to the end, by the other worker.
    expect(trainedCounts(doomed).has(runId)).toBe(false);
    expect(trainedCounts(survivor).get(runId)).toBe(1);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'runs', runId, 'run.json'), 'utf8')).status).toBe('completed');
  }, 300_000);

  it('resumes after the coordinator is killed, training nothing twice', async () => {
    const out = path.join(root, 'killed-coordinator');
    const worker = start(['worker', '--queue', redis.url]);
    const first = start(sweepArgs(out));
    const runsDir = path.join(out, 'runs');
    const collected = () =>
      fs.existsSync(runsDir) ? fs.readdirSync(runsDir).filter((name) => !name.startsWith('.')) : [];
    await waitFor(() => worker.stderr(), /(^worker: \S+: completed,[^\n]*\n[\s\S]*){2}/m, 180_000);
    await waitFor(() => String(collected().length > 0), /true/, 60_000);
    first.child.kill('SIGKILL');
    await first.exited;
    const collectedBefore = collected();
    // A kill between unpacking a run and renaming it into place leaves the run in a staging folder.
    const { grid } = JSON.parse(fs.readFileSync(path.join(out, 'sweep.json'), 'utf8')) as { grid: SweepGrid };
    const unpacking = expandGrid(grid).find((run) => !collectedBefore.includes(run.id))!;
    const staging = path.join(runsDir, `.incoming-${unpacking.id}-99999`);
    fs.mkdirSync(staging);
    fs.writeFileSync(path.join(staging, 'config.json'), JSON.stringify(unpacking.config));
    fs.writeFileSync(path.join(staging, 'run.json'), JSON.stringify({ runId: unpacking.id, status: 'completed' }));

    const second = start(sweepArgs(out));
    expect(await second.exited, second.stderr()).toBe(0);
    const rows = summary(out);
    expect(rows).toHaveLength(6);
    expect(rows.every((row) => row.status === 'completed')).toBe(true);
    const counts = trainedCounts(worker);
    expect([...counts.keys()].sort()).toEqual(rows.map((row) => row.run_id).sort());
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
    // Runs already written before the kill are kept as they were.
    expect(second.stdout()).toMatch(new RegExp(`${collectedBefore.length} resumed`));
    // The run that was being unpacked is collected again, and the staging folder is gone.
    expect(fs.readdirSync(runsDir).sort()).toEqual(rows.map((row) => row.run_id).sort());
  }, 300_000);

  it('takes its waiting jobs off the queue when the sweep is stopped', async () => {
    const out = path.join(root, 'stopped');
    const coordinator = start(sweepArgs(out)); // no worker: every job waits
    await waitFor(() => String(fs.existsSync(path.join(out, QUEUE_ID_FILE))), /true/);
    const queue = new Queue(sweepIdFor(out), {
      connection: { host: '127.0.0.1', port: redis.port },
      prefix: KEY_PREFIX,
    });
    try {
      for (let waiting = 0; waiting < 6;) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        waiting = (await queue.getJobCounts('waiting')).waiting;
      }
      coordinator.child.kill('SIGTERM');
      expect(await coordinator.exited).toBe(143);
      expect(await queue.getJobCounts('waiting', 'active')).toEqual({ waiting: 0, active: 0 });
    } finally {
      await queue.close();
    }
  }, 120_000);
});
