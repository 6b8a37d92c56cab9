import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkName, childFolder, InvalidNameError, nameProblem } from '../../src/util/names.js';

describe('names that become folders', () => {
  it.each([
    ['../../../escaped', /contains "\/"/],
    ['/abs', /contains "\/"/],
    ['a/b', /contains "\/"/],
    ['a\\b', /contains "\\\\"/],
    ['..', /names a folder/],
    ['.', /names a folder/],
    ['', /empty/],
    ['line\nbreak', /contains "\\n"/],
    ['semi;colon', /contains ";"/],
    ['tab\there', /contains "\\t"/],
    [' padded', /white space/],
    ['x'.repeat(256), /256 bytes long \(at most 255\)/],
    ['é'.repeat(128), /256 bytes long/],
  ])('rejects %j', (name, reason) => {
    expect(() => checkName(name, 'run id')).toThrow(InvalidNameError);
    expect(() => checkName(name, 'run id')).toThrow(reason);
    expect(() => checkName(name, 'run id')).toThrow(/^Invalid run id /);
  });

  it.each(['e3-sgd-lr0.1-mu0.9-seed1', 'synthetic-mlp-heavy-ball-seed1-20260101-120000', 'x'.repeat(255), 'a..b'])(
    'accepts %j',
    (name) => {
      expect(nameProblem(name)).toBeNull();
      expect(childFolder('out/runs', name, 'run id')).toBe(path.join('out/runs', name));
      expect(path.dirname(path.resolve(childFolder('out/runs', name, 'run id')))).toBe(path.resolve('out/runs'));
    },
  );
});
