/**
 * A returned run archive is inflated only up to the size it declares (its gzip trailer) and a
 * hard cap: a small archive that inflates to far more is one line, not gigabytes in memory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { packRunFolder, removeStagingFolders, unpackRunFolder } from '../../src/exec/queue/protocol.js';
import { tempFolder } from '../helpers/runs.js';

const root = tempFolder('inertia-archive-');

/** An archive of one file of `bytes` zeros: a few KB compressed. */
function zerosArchive(bytes: number): Buffer {
  return gzipSync(JSON.stringify({ 'metrics.csv': Buffer.alloc(bytes).toString('base64') }));
}

describe('unpackRunFolder bounds', () => {
  it('unpacks a packed run folder', () => {
    const source = path.join(root, 'source');
    fs.mkdirSync(path.join(source, 'plots'), { recursive: true });
    fs.writeFileSync(path.join(source, 'run.json'), '{}');
    fs.writeFileSync(path.join(source, 'plots', 'loss.svg'), '<svg/>');
    const runsDir = path.join(root, 'runs-ok');
    expect(unpackRunFolder(packRunFolder(source), runsDir, 'a')).toBe(true);
    expect(fs.readFileSync(path.join(runsDir, 'a', 'plots', 'loss.svg'), 'utf8')).toBe('<svg/>');
  });

  it('refuses an archive that declares more than the cap, before inflating it', () => {
    const archive = zerosArchive(4 * 2 ** 20);
    expect(archive.length).toBeLessThan(20_000);
    const runsDir = path.join(root, 'runs-large');
    expect(() => unpackRunFolder(archive.toString('base64'), runsDir, 'b', undefined, 2 ** 20)).toThrow(
      /^Run b: the result declares 5592\d{3} bytes, more than the 1048576 a run folder may hold$/,
    );
    expect(fs.existsSync(path.join(runsDir, 'b'))).toBe(false);
  });

  it('stops an archive that inflates past the size it declares (a forged trailer)', () => {
    const archive = zerosArchive(4 * 2 ** 20);
    archive.writeUInt32LE(100, archive.length - 4);
    const runsDir = path.join(root, 'runs-forged');
    expect(() => unpackRunFolder(archive.toString('base64'), runsDir, 'c')).toThrow(
      'Run c: the result is not a valid run archive (it inflates to more than the 100 bytes it declares)',
    );
    expect(fs.existsSync(path.join(runsDir, 'c'))).toBe(false);
  });
});

describe('removeStagingFolders', () => {
  it('removes the staging folders a killed collector left, and nothing else', () => {
    const runsDir = path.join(root, 'runs-stale');
    for (const name of ['.incoming-a-41', '.incoming-b-42', 'a', '.other'])
      fs.mkdirSync(path.join(runsDir, name), { recursive: true });
    fs.writeFileSync(path.join(runsDir, '.incoming-a-41', 'run.json'), '{}');
    expect(removeStagingFolders(runsDir).sort()).toEqual(['.incoming-a-41', '.incoming-b-42']);
    expect(fs.readdirSync(runsDir).sort()).toEqual(['.other', 'a']);
    expect(removeStagingFolders(path.join(root, 'absent'))).toEqual([]);
  });
});
