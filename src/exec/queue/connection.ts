/**
 * Redis connections for the queue: parsing `redis://[user:password@]host[:port][/db]`, a
 * masked form of the URL for anything printed or written, and the retry policy (reconnect
 * with a growing delay, commands wait instead of failing while Redis is away).
 */
import { UserError } from '../../util/errors.js';
import { maskUrl } from '../../util/secrets.js';

export interface QueueConnection {
  /** The URL with its password replaced by `***`: the only form that is ever printed or stored. */
  masked: string;
  /** Options for ioredis (BullMQ passes them through). */
  options: {
    host: string;
    port: number;
    db: number;
    username?: string;
    password?: string;
    tls?: object;
    maxRetriesPerRequest: null;
    retryStrategy: (times: number) => number;
  };
}

/** Delay before reconnect attempt `times` (1, 2, ...): 0.2 s growing to at most 5 s. */
export function reconnectDelay(times: number): number {
  return Math.min(200 * 2 ** Math.min(times - 1, 5), 5000);
}

export function parseQueueUrl(text: string): QueueConnection {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UserError(
      `Invalid --queue value: ${JSON.stringify(maskUrl(text))} (expected redis://[user:password@]host[:port][/db])`,
    );
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new UserError(
      `Invalid --queue value: ${JSON.stringify(maskUrl(text))} (expected a redis:// or rediss:// URL, e.g. redis://localhost:6379)`,
    );
  }
  const dbText = url.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0) {
    throw new UserError(`Invalid --queue database: ${JSON.stringify(dbText)} (expected an integer >= 0 after the /)`);
  }
  const port = url.port === '' ? 6379 : Number(url.port);
  return {
    masked: maskUrl(url.toString()),
    options: {
      host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port,
      db,
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
      maxRetriesPerRequest: null,
      retryStrategy: reconnectDelay,
    },
  };
}

/** The queue URL of a command: the flag, else $INERTIA_QUEUE, else none (the local executor). */
export function queueUrlFrom(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = flag ?? env.INERTIA_QUEUE;
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
