/**
 * The queue executor against a real Redis server (started here on a free port) and real
 * `inertia worker` processes: a bad job is refused with the message a bad flag gets while the
 * other runs finish, results come back as run folders, and the sweep's queue is removed at the end.
 */
import { getEventListeners } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import type { ExecutorEvent, PlannedRun } from '../../src/exec/executor.js';
import { QueueExecutor } from '../../src/exec/queue/coordinator.js';
import { KEY_PREFIX } from '../../src/exec/queue/protocol.js';
import { pause } from '../../src/exec/queue/worker.js';
import { readRunRecord } from '../../src/runs/runFolder.js';
import type { TrainConfig } from '../../src/train/config.js';
import { runCli, startCli, stopCli, waitFor, type CliProcess } from '../helpers/cli.js';
import { describeWithRedis, privateRedis } from '../helpers/redis.js';
import { tempFolder, tinyRun } from '../helpers/runs.js';

const PASSWORD = 'hunter2-secret';
const redis = privateRedis({ password: PASSWORD });
const root = tempFolder('inertia-queue-');
const workers: CliProcess[] = [];

afterAll(async () => {
  await Promise.all(workers.map(stopCli));
});

function config(optimizer: Record<string, unknown>): TrainConfig {
  return tinyRun(optimizer as unknown as TrainConfig['optimizer']);
}

describe('pause between queue polls', () => {
  it('leaves no abort listener behind, and ends at once when the signal aborts', async () => {
    const controller = new AbortController();
    for (let i = 0; i < 25; i++) await pause(1, controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    const started = performance.now();
    const waiting = pause(60_000, controller.signal);
    controller.abort();
    await waiting;
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describeWithRedis(redis, 'queue executor on Redis', () => {
  it('trains runs on a worker process, refuses bad jobs with a clear error, and cleans up', async () => {
    const worker = startCli(['worker', '--queue', redis.url]);
    workers.push(worker);
    const executor = new QueueExecutor({ url: redis.url, sweepId: 'refuse-test' });
    // A payload that is not a job at all, put on the sweep's queue behind the coordinator's back.
    const raw = new Queue('refuse-test', {
      connection: { host: '127.0.0.1', port: redis.port, password: PASSWORD },
      prefix: KEY_PREFIX,
    });
    await raw.add('train', 'not a job', { jobId: 'junk' });

    const runs: PlannedRun[] = [
      { id: 'good-1', config: config({ kind: 'heavy-ball', learningRate: 0.1, momentum: 0.9 }) },
      { id: 'bad-kind', config: config({ kind: 'nope', learningRate: 0.1 }) },
      { id: 'good-2', config: config({ kind: 'sgd', learningRate: 0.1 }) },
      // Checked as strictly as `inertia train --config`: a dataset that is a path, a field no run has.
      {
        id: 'bad-dataset',
        config: { ...config({ kind: 'sgd', learningRate: 0.1 }), dataset: '../../etc/passwd' as never },
      },
      { id: 'unknown-field', config: { ...config({ kind: 'sgd', learningRate: 0.1 }), colour: 'red' } as TrainConfig },
    ];
    const events: ExecutorEvent[] = [];
    const attempts = await executor.execute(runs, root, (event) => events.push(event));

    expect(attempts.map((a) => [a.runId, a.status])).toEqual([
      ['good-1', 'finished'],
      ['bad-kind', 'failed'],
      ['good-2', 'finished'],
      ['bad-dataset', 'failed'],
      ['unknown-field', 'failed'],
    ]);
    const bad = attempts[1];
    // The same message `inertia train --optimizer nope` validation gives, and no retries.
    expect(bad.status === 'failed' && bad.error).toContain('Invalid optimizer kind: "nope" (expected one of:');
    expect(bad.status === 'failed' && bad.attempts).toBe(1);
    const [, , , badDataset, unknownField] = attempts;
    expect(badDataset.status === 'failed' && badDataset.error).toContain(
      'Job bad-dataset: Invalid dataset in job bad-dataset: "../../etc/passwd" (expected one of:',
    );
    expect(unknownField.status === 'failed' && unknownField.error).toContain(
      'Job unknown-field: Unknown field "colour" in job unknown-field (known fields:',
    );
    expect([badDataset, unknownField].map((a) => a.status === 'failed' && a.attempts)).toEqual([1, 1]);
    for (const id of ['good-1', 'good-2']) {
      const record = readRunRecord(path.join(root, id)) as unknown as Record<string, unknown>;
      expect(record.status).toBe('completed');
      // The password never reaches a run folder.
      expect(record.executor).toMatchObject({ kind: 'queue', queue: `redis://:***@127.0.0.1:${redis.port}` });
      expect(fs.readFileSync(path.join(root, id, 'run.json'), 'utf8')).not.toContain(PASSWORD);
      expect(fs.readFileSync(path.join(root, id, 'metrics.csv'), 'utf8')).toMatch(/^step,epoch,split,metric,value\n/);
    }
    const finished = attempts.filter((a) => a.status === 'finished');
    for (const attempt of finished) {
      const t = attempt.status === 'finished' ? attempt.timings! : undefined;
      expect(t!.queuedAt).toBeLessThanOrEqual(t!.startedAt);
      expect(t!.startedAt).toBeLessThanOrEqual(t!.finishedAt);
      expect(t!.finishedAt).toBeLessThanOrEqual(t!.collectedAt);
    }
    expect(events.filter((e) => e.type === 'run-start').map((e) => e.type === 'run-start' && e.runId)).toEqual(
      expect.arrayContaining(['good-1', 'good-2']),
    );
    await waitFor(worker.stderr, /refused Job junk: malformed payload \(expected an object, got string\)/);
    expect(worker.stderr()).toMatch(/refused Job bad-kind: Invalid optimizer kind: "nope"/);
    expect(worker.stderr()).not.toMatch(/\n\s+at /); // no stack traces
    expect(worker.stderr()).toContain(`serving sweep refuse-test`);
    expect(worker.stderr()).not.toContain(PASSWORD);
    expect(executor.description).toBe(`queue redis://:***@127.0.0.1:${redis.port}, sweep refuse-test`);

    // At the end the sweep's queue is gone, junk included.
    await executor.close();
    expect(await raw.getJobCounts()).toMatchObject({ waiting: 0, active: 0, completed: 0, failed: 0 });
    await raw.close();
  }, 120_000);

  it('sends --compile with every job: the runs a worker trains record it', async () => {
    // A worker whose own default is auto: only the job can turn compiled steps off.
    workers.push(startCli(['worker', '--queue', redis.url], { INERTIA_COMPILE: 'auto' }));
    const compiledSteps = (mode: string) => {
      const out = path.join(root, `compile-${mode}`);
      const tiny = ['--dataset', 'synthetic', '--optimizer', 'sgd', '--lr', '0.1', '--hidden', '8', '--epochs', '1'];
      const limits = ['--train-limit', '128', '--test-limit', '64', '--batch-size', '32'];
      const sweep = runCli(['sweep', '--queue', redis.url, '--out', out, '--compile', mode, ...tiny, ...limits]);
      expect(sweep.code, sweep.stderr.join('\n')).toBe(0);
      const [runId] = fs.readdirSync(path.join(out, 'runs'));
      return readRunRecord(path.join(out, 'runs', runId))?.summary?.compiled_steps;
    };
    expect(compiledSteps('off')).toBe(false);
    expect(compiledSteps('on')).toBe(true);
  }, 120_000);
});
