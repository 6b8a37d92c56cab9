import { describe, expect, it } from 'vitest';
import { parseQueueUrl, queueUrlFrom, reconnectDelay } from '../../src/exec/queue/connection.js';

describe('queue connection', () => {
  it('parses host, port, database and credentials', () => {
    const parsed = parseQueueUrl('redis://worker:p%40ss@10.0.0.5:6380/3');
    expect(parsed.masked).toBe('redis://worker:***@10.0.0.5:6380/3');
    expect(parsed.options).toMatchObject({
      host: '10.0.0.5',
      port: 6380,
      db: 3,
      username: 'worker',
      password: 'p@ss',
      maxRetriesPerRequest: null,
    });
    expect(parseQueueUrl('redis://localhost').options).toMatchObject({ host: 'localhost', port: 6379, db: 0 });
    expect(parseQueueUrl('rediss://h:1').options.tls).toEqual({});
  });

  it('refuses what is not a Redis URL, without printing the password', () => {
    expect(() => parseQueueUrl('http://u:pw@host')).toThrow(
      'Invalid --queue value: "http://u:***@host" (expected a redis:// or rediss:// URL, e.g. redis://localhost:6379)',
    );
    expect(() => parseQueueUrl('redis://u:pw@host/x')).toThrow(
      'Invalid --queue database: "x" (expected an integer >= 0 after the /)',
    );
    expect(() => parseQueueUrl('not a url')).toThrow('Invalid --queue value: "not a url"');
  });

  it('takes the flag, else $INERTIA_QUEUE, else none', () => {
    expect(queueUrlFrom('redis://a', { INERTIA_QUEUE: 'redis://b' })).toBe('redis://a');
    expect(queueUrlFrom(undefined, { INERTIA_QUEUE: 'redis://b' })).toBe('redis://b');
    expect(queueUrlFrom(undefined, { INERTIA_QUEUE: ' ' })).toBeUndefined();
    expect(queueUrlFrom(undefined, {})).toBeUndefined();
  });

  it('reconnects after 0.2 s, doubling up to 5 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(reconnectDelay)).toEqual([200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
  });
});
