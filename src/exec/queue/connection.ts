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

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/**
 * What a Redis client's error says about the connection, as the end of a line naming the
 * server, or null when it is not about the connection (a bad job, a bug): those are reported
 * as they are, never as an outage.
 */
export function connectionProblem(error: Error): string | null {
  const code = (error as NodeJS.ErrnoException).code;
  const text = error.message;
  if (code !== undefined && CONNECTION_CODES.has(code)) return `unreachable (${code})`;
  if (/^(WRONGPASS|NOAUTH|NOPERM)\b|^ERR (AUTH|invalid password|Client sent AUTH)/.test(text)) {
    return `refused the connection (${text.split('\n')[0]}); check the user and password in the URL`;
  }
  if (/Unknown RESP type|Protocol error|ParserError/i.test(`${error.name} ${text}`)) {
    return 'answered with something that is not the Redis protocol; check the host and port (is it a Redis server?)';
  }
  if (/Connection is closed|connect ETIMEDOUT|Stream isn't writeable/.test(text)) return `unreachable (${text})`;
  return null;
}

/**
 * The health of one side's Redis connections, said in lines: each cause of trouble once per
 * outage (a changed cause is said again), and "reachable again" when a client is ready.
 * `troubledSince` is the start of the current outage (null while connected).
 */
export class RedisHealth {
  troubledSince: number | null = null;
  private said = new Set<string>();

  constructor(
    private readonly label: string,
    private readonly masked: string,
    private readonly say: (line: string) => void,
  ) {}

  /** Says a connection error once per cause; returns false for an error that is not about the connection. */
  readonly onError = (error: Error): boolean => {
    const problem = connectionProblem(error);
    if (problem === null) return false;
    this.troubledSince ??= Date.now();
    if (this.said.has(problem)) return true;
    this.said.add(problem);
    this.say(`${this.label}: Redis at ${this.masked} ${problem}; retrying with backoff`);
    return true;
  };

  readonly onReady = (): void => {
    if (this.troubledSince === null) return;
    this.troubledSince = null;
    this.said = new Set();
    this.say(`${this.label}: Redis at ${this.masked} reachable again`);
  };

  /** The causes said in the current outage, for a final message. */
  causes(): string {
    return [...this.said].join('; ');
  }
}

/** The queue URL of a command: the flag, else $INERTIA_QUEUE, else none (the local executor). */
export function queueUrlFrom(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = flag ?? env.INERTIA_QUEUE;
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
