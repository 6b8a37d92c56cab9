/**
 * A real interruption: `inertia train --checkpoint last` in a child process, killed with
 * SIGKILL during its second epoch, then `inertia train --resume`; its metrics.csv (but for
 * the timing rows) and final weights and optimizer state equal those of an uninterrupted run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMetrics } from '../../src/runs/metrics.js';
import { readRunRecord } from '../../src/runs/runFolder.js';
import { checkpointEpochs } from '../../src/train/checkpoint.js';
import { runCli, startCli, waitFor } from '../helpers/cli.js';
import { tempFolder } from '../helpers/runs.js';

const root = tempFolder('inertia-resume-kill-');

const RUN = [
  'train',
  '--dataset',
  'synthetic',
  '--train-limit',
  '16384',
  '--test-limit',
  '256',
  '--hidden',
  '64',
  '--optimizer',
  'adam',
  '--lr',
  '0.003',
  '--epochs',
  '3',
  '--batch-size',
  '32',
  '--checkpoint',
  'last',
  '--out',
  root,
];

const TIMING = new Set(['epoch_seconds', 'samples_per_second']);
const untimed = (dir: string) => readMetrics(path.join(dir, 'metrics.csv')).filter((row) => !TIMING.has(row.metric));

describe('inertia train --resume', () => {
  it('continues a run killed in its second epoch bit for bit', { timeout: 240_000 }, async () => {
    const whole = runCli([...RUN, '--run-id', 'whole', '--quiet']);
    expect(whole.stderr.join('\n')).toBe('');
    expect(whole.code).toBe(0);

    const killed = startCli([...RUN, '--run-id', 'killed'], { CI: '1' });
    // The line of epoch 1 comes after its checkpoint; epoch 2's 512 steps start right after it,
    // and last long enough (about a second, more under load) for the kill to land inside them.
    await waitFor(killed.stderr, /epoch 1\/3: train loss/, 120_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    killed.child.kill('SIGKILL');
    expect(await killed.exited).toBe('SIGKILL');
    const dir = path.join(root, 'killed');
    // Killed before epoch 2 ended: still "running", one checkpoint, metrics up to epoch 1.
    expect(readRunRecord(dir)!.status).toBe('running');
    expect(checkpointEpochs(dir)).toEqual([1]);
    expect(Math.max(...readMetrics(path.join(dir, 'metrics.csv')).map((row) => row.epoch))).toBe(1);

    const resumed = runCli(['train', '--resume', dir, '--quiet']);
    expect(resumed.stderr.join('\n')).toBe('');
    expect(resumed.code).toBe(0);
    expect(untimed(dir)).toEqual(untimed(path.join(root, 'whole')));
    const bytes = (run: string) => fs.readFileSync(path.join(root, run, 'checkpoints', 'epoch-3', 'weights.bin'));
    expect(bytes('killed').equals(bytes('whole'))).toBe(true);
    const record = readRunRecord(dir)!;
    expect(record.status).toBe('completed');
    expect(record.resumed).toEqual([
      { at: expect.any(String), fromEpoch: 1, command: expect.arrayContaining(['--resume']) },
    ]);
    expect(record.summary?.final_test_accuracy).toBe(
      readRunRecord(path.join(root, 'whole'))!.summary?.final_test_accuracy,
    );

    const again = runCli(['train', '--resume', dir, '--quiet']);
    expect(again.code).toBe(1);
    expect(again.stderr.join('\n')).toContain('is completed already; there is nothing to resume');
    const mixed = runCli(['train', '--resume', dir, '--lr', '0.1']);
    expect(mixed.code).toBe(1);
    expect(mixed.stderr.join('\n')).toContain('--lr cannot be combined with --resume');
  });
});
