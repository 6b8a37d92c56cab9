/**
 * The state of a queue for the dashboard, read with BullMQ's own getters: every sweep or
 * study registered on the Redis server (`inertia sweep --queue`, `inertia study --queue`), its
 * job counts, and its active jobs (which worker, since when), the first waiting ones and the
 * failed ones with their reasons. Read-only: nothing is added, moved or removed.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { parseQueueUrl } from '../exec/queue/connection.js';
import { KEY_PREFIX, REGISTRY_KEY, type JobPayload, type SweepRegistration } from '../exec/queue/protocol.js';

/** Jobs listed per state (the counts cover them all). */
const LISTED = 20;
/** How long one reading waits for Redis before it answers with the error instead. */
const READ_TIMEOUT_MS = 3000;

export interface QueuedSweepState {
  sweepId: string;
  version: string;
  registeredAt: number;
  counts: { waiting: number; active: number; delayed: number; failed: number; completed: number };
  active: { runId: string; worker: string; startedAt: number | null; attempts: number }[];
  waiting: string[];
  failed: { runId: string; reason: string; attempts: number; finishedAt: number | null }[];
}

export interface QueueState {
  /** The URL with its password masked. */
  queue: string;
  sweeps: QueuedSweepState[];
  /** Set when Redis could not be read (the sweeps are then empty). */
  error?: string;
}

export interface QueueReader {
  read(): Promise<QueueState>;
  close(): Promise<void>;
}

/** A reader of the queue at `url` (redis://...); connects on the first read. */
export function openQueueState(url: string): QueueReader {
  const connection = parseQueueUrl(url);
  // Commands fail at once while Redis is away (the page shows it), instead of waiting for it.
  const options = { ...connection.options, enableOfflineQueue: false, lazyConnect: true };
  const redis = new Redis(options);
  redis.on('error', () => {});
  const queues = new Map<string, Queue>();
  const queueOf = (sweepId: string) => {
    let queue = queues.get(sweepId);
    if (queue === undefined) {
      queue = new Queue(sweepId, { connection: redis, prefix: KEY_PREFIX });
      queue.on('error', () => {});
      queues.set(sweepId, queue);
    }
    return queue;
  };
  const readSweeps = async (): Promise<QueuedSweepState[]> => {
    if (redis.status === 'wait') await redis.connect();
    const registry = await redis.hgetall(REGISTRY_KEY);
    const registrations = Object.values(registry).flatMap((text) => {
      try {
        return [JSON.parse(text) as SweepRegistration];
      } catch {
        return [];
      }
    });
    registrations.sort((a, b) => b.registeredAt - a.registeredAt);
    return Promise.all(registrations.map((registration) => sweepState(queueOf(registration.sweepId), registration)));
  };
  return {
    async read() {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${READ_TIMEOUT_MS / 1000} s`)), READ_TIMEOUT_MS);
      });
      try {
        return { queue: connection.masked, sweeps: await Promise.race([readSweeps(), timeout]) };
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        return { queue: connection.masked, sweeps: [], error: `Cannot read ${connection.masked}: ${reason}` };
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await Promise.allSettled([...queues.values()].map((queue) => queue.close()));
      redis.disconnect();
    },
  };
}

async function sweepState(queue: Queue<JobPayload>, registration: SweepRegistration): Promise<QueuedSweepState> {
  const [counts, active, waiting, failed] = await Promise.all([
    queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed'),
    queue.getActive(0, LISTED - 1),
    queue.getWaiting(0, LISTED - 1),
    queue.getFailed(0, LISTED - 1),
  ]);
  const runId = (job: { id?: string; data?: JobPayload }) => String(job.data?.runId ?? job.id ?? '');
  return {
    sweepId: registration.sweepId,
    version: registration.version,
    registeredAt: registration.registeredAt,
    counts: {
      waiting: counts.waiting ?? 0,
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
      failed: counts.failed ?? 0,
      completed: counts.completed ?? 0,
    },
    active: active.flatMap((job) =>
      job
        ? [
            {
              runId: runId(job),
              worker: job.processedBy ?? '',
              startedAt: job.processedOn ?? null,
              attempts: job.attemptsMade,
            },
          ]
        : [],
    ),
    waiting: waiting.flatMap((job) => (job ? [runId(job)] : [])),
    failed: failed.flatMap((job) =>
      job
        ? [
            {
              runId: runId(job),
              reason: job.failedReason ?? '',
              attempts: job.attemptsMade,
              finishedAt: job.finishedOn ?? null,
            },
          ]
        : [],
    ),
  };
}
