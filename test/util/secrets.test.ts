import { describe, expect, it } from 'vitest';
import { describeError } from '../../src/commands/errors.js';
import { UserError } from '../../src/util/errors.js';
import { maskCommand, maskUrl } from '../../src/util/secrets.js';

describe('maskUrl', () => {
  it('masks the password of a URL and keeps the rest', () => {
    expect(maskUrl('redis://user:s3cret@host:6380/2')).toBe('redis://user:***@host:6380/2');
    expect(maskUrl('redis://:s3cret@host')).toBe('redis://:***@host');
    expect(maskUrl('connect to rediss://a:b@h:1 failed')).toBe('connect to rediss://a:***@h:1 failed');
    expect(maskUrl('redis://host:6379')).toBe('redis://host:6379');
    expect(maskUrl('http://u:pw@host')).toBe('http://u:***@host');
  });

  it('masks a password that holds an @ up to the host, and every URL of a line', () => {
    expect(maskUrl('redis://:p@ss@host:1/0')).toBe('redis://:***@host:1/0');
    expect(maskUrl('--queue=redis://:a@h --x redis://u:b@g')).toBe('--queue=redis://:***@h --x redis://u:***@g');
  });

  it('masks each word of a command line, and the error lines the command line prints', () => {
    expect(maskCommand(['inertia', 'sweep', '--queue', 'redis://:PASSWORD@host:6379'])).toEqual([
      'inertia',
      'sweep',
      '--queue',
      'redis://:***@host:6379',
    ]);
    expect(describeError(new UserError('cannot reach redis://:PASSWORD@host')).text).toBe(
      'inertia: cannot reach redis://:***@host\n',
    );
    expect(describeError(new Error('boom at redis://:PASSWORD@host')).text).not.toContain('PASSWORD');
  });
});
