/**
 * The quick study trained through a real Redis queue by two `inertia worker` processes gives
 * the same summary.csv (timing aside) and the same verdicts as the local pool. Both run the
 * compiled code (dist/), so both train in worker processes with one TensorFlow thread each.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type * as LocalModule from '../../src/exec/local.js';
import type * as CoordinatorModule from '../../src/exec/queue/coordinator.js';
import type * as StudyModule from '../../src/study/study.js';
import { startCli, stopCli, type CliProcess } from '../helpers/cli.js';
import { describeWithRedis, privateRedis } from '../helpers/redis.js';
import { tempFolder } from '../helpers/runs.js';

const dist = (file: string) => new URL(`../../dist/${file}`, import.meta.url).href;
const redis = privateRedis();
const root = tempFolder('inertia-study-queue-');
const workers: CliProcess[] = [];

// The CLI processes this file's tests start are stopped after them (before its Redis).
afterAll(async () => {
  await Promise.all(workers.map(stopCli));
});

/** summary.csv without the wall-time column, as sorted lines. */
function summaryWithoutTiming(file: string): string[] {
  const [header, ...lines] = fs.readFileSync(file, 'utf8').trim().split('\n');
  const columns = header.split(',');
  const keep = columns.map((column) => column !== 'seconds');
  const cut = (line: string) =>
    line
      .split(',')
      .filter((_, i) => keep[i])
      .join(',');
  return [cut(header), ...lines.map(cut).sort()];
}

describeWithRedis(redis, 'study over the queue', () => {
  it('gives the same summary and verdicts as the local executor', async () => {
    const { runStudy } = (await import(dist('study/study.js'))) as typeof StudyModule;
    const { LocalExecutor } = (await import(dist('exec/local.js'))) as typeof LocalModule;
    const { QueueExecutor } = (await import(dist('exec/queue/coordinator.js'))) as typeof CoordinatorModule;

    const local = new LocalExecutor({ workers: 2 });
    const localStudy = await runStudy({ preset: 'quick', out: path.join(root, 'local'), executor: local });
    await local.close();

    workers.push(startCli(['worker', '--queue', redis.url]), startCli(['worker', '--queue', redis.url]));
    const queue = new QueueExecutor({ url: redis.url, sweepId: 'study-quick' });
    const workersSeen = new Set<string>();
    const queueStudy = await runStudy({
      preset: 'quick',
      out: path.join(root, 'queue'),
      executor: queue,
      onEvent: (event) => {
        if (event.type === 'run-start') workersSeen.add(event.worker);
      },
    });
    await queue.close();

    expect(queueStudy.runsTrained).toBe(localStudy.runsTrained);
    expect(summaryWithoutTiming(queueStudy.files.summary)).toEqual(summaryWithoutTiming(localStudy.files.summary));
    const fromRuns = (verdicts: typeof localStudy.verdicts) =>
      verdicts.filter((v) => v.id !== 'e5.step-cost').map((v) => [v.id, v.outcome, v.measured]);
    expect(fromRuns(queueStudy.verdicts)).toEqual(fromRuns(localStudy.verdicts));
    // Both worker processes took part.
    const processes = new Set([...workersSeen].map((worker) => worker.split('/')[0]));
    expect(processes.size).toBe(2);
  }, 900_000);
});
