/**
 * Growing a sweep folder: a list extended or seeds added trains only the new runs and keeps
 * the old ones (under their old ids when the new grid names another field), and a folder swept
 * before sweeps held a validation split out by default goes on choosing on the test split.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalExecutor } from '../../src/exec/local.js';
import { claimFolder, keepTrainedIds } from '../../src/sweep/folder.js';
import { expandGrid, makeGrid } from '../../src/sweep/grid.js';
import type { RunEvent } from '../../src/exec/runBatch.js';
import { runGridSweep } from '../../src/sweep/sweep.js';
import { readCsv } from '../../src/util/csv.js';
import { tempFolder, TINY_SWEEP_FLAGS } from '../helpers/runs.js';

const root = tempFolder('inertia-sweep-grow-');

const tiny = { ...TINY_SWEEP_FLAGS, optimizer: 'sgd' };

const runIds = (dir: string) => fs.readdirSync(path.join(dir, 'runs')).sort();
const mtimes = (dir: string) => runIds(dir).map((id) => fs.statSync(path.join(dir, 'runs', id, 'run.json')).mtimeMs);

describe('growing a sweep folder', () => {
  it('keeps a run trained under another id, and never takes a hidden staging folder for one', () => {
    const runsDir = path.join(root, 'kept', 'runs');
    const [run] = expandGrid(makeGrid({}, { ...tiny, lr: '0.1' }));
    const write = (name: string) => {
      fs.mkdirSync(path.join(runsDir, name), { recursive: true });
      fs.writeFileSync(path.join(runsDir, name, 'config.json'), JSON.stringify(run.config));
    };
    // What a coordinator killed while unpacking leaves: the run's files under a hidden name.
    write(`.incoming-${run.id}-123`);
    expect(keepTrainedIds([run], runsDir)[0].id).toBe(run.id);
    write('sgd-old-name');
    expect(keepTrainedIds([run], runsDir)[0].id).toBe('sgd-old-name');
  });

  it('keeps the validation split of the folder when the default size would change, and refuses another size asked for', () => {
    const dir = path.join(root, 'claim');
    fs.mkdirSync(dir, { recursive: true });
    const stored = makeGrid({}, { ...tiny, lr: '0.1' });
    expect(stored.validation).toBe(10);
    fs.writeFileSync(path.join(dir, 'sweep.json'), JSON.stringify({ grid: stored }));
    // A smaller --train-limit added: the default would hold 6 examples out, the folder holds 10.
    const wider = makeGrid({}, { ...tiny, lr: '0.1', 'train-limit': '64,96' });
    expect(wider.validation).toBe(6);
    const claimed = claimFolder(dir, wider, true);
    expect(claimed.grid.validation).toBe(10);
    expect(claimed.grid.values['train-limit']).toEqual([96, 64]);
    expect(() => claimFolder(dir, wider, false)).toThrow(
      `${dir} holds a sweep evaluated on a validation split of 10 examples, not on a validation split of 6 examples`,
    );
  });

  it('trains only the new values and seeds, keeps the runs trained before and records the union', async () => {
    const dir = path.join(root, 'grow');
    const executor = new LocalExecutor({ workers: 1 });
    const notices: string[] = [];
    const onEvent = (event: RunEvent) => {
      if (event.type === 'notice') notices.push(event.message);
    };
    try {
      const grid = (flags: Record<string, unknown>) => makeGrid({}, { ...tiny, 'validation-size': 0, ...flags });
      const first = await runGridSweep({ grid: grid({ lr: '0.1' }), dir, executor, command: '' });
      expect(first.runs).toMatchObject({ total: 1, trained: 1 });
      expect(runIds(dir)).toEqual(['sgd-seed1']);
      const before = mtimes(dir);

      // lr 0.3 added: the new grid names lr in its ids; the run of lr 0.1 keeps its folder and id.
      const wider = await runGridSweep({ grid: grid({ lr: '0.1,0.3' }), dir, executor, command: '', onEvent });
      expect(wider.runs).toMatchObject({ total: 2, trained: 1, resumed: 1 });
      expect(runIds(dir)).toEqual(['sgd-lr0.3-seed1', 'sgd-seed1']);
      expect(mtimes(dir)[1]).toBe(before[0]);
      expect(notices).toEqual([`${dir} grows: lr 0.1 -> 0.1,0.3 (runs already there are kept)`]);
      expect(readCsv(wider.files.summary).rows.map((row) => [row.run_id, row.lr])).toEqual([
        ['sgd-seed1', '0.1'],
        ['sgd-lr0.3-seed1', '0.3'],
      ]);

      // Only the new values given, and seeds 2-3: the folder's grid is the union.
      const seeds = await runGridSweep({
        grid: grid({ lr: '0.3', seeds: '2-3' }),
        dir,
        executor,
        command: '',
        onEvent,
      });
      expect(seeds.runs).toMatchObject({ total: 6, trained: 4, resumed: 2 });
      const stored = JSON.parse(fs.readFileSync(path.join(dir, 'sweep.json'), 'utf8'));
      expect(stored.grid.values.lr).toEqual([0.1, 0.3]);
      expect(stored.grid.seeds).toBe(3);
      expect(stored.grownAt).toBeDefined();
      expect(notices.at(-1)).toBe(`${dir} grows: seeds 1..1 -> 1..3 (runs already there are kept)`);
      expect(seeds.best[0].runs).toHaveLength(3);

      // The union itself resumes: nothing trained.
      const again = await runGridSweep({ grid: grid({ lr: '0.1,0.3', seeds: 3 }), dir, executor, command: '' });
      expect(again.runs).toMatchObject({ total: 6, trained: 0, resumed: 6 });
    } finally {
      await executor.close();
    }
  }, 180_000);

  it('a folder swept on the test split before validation was the default resumes on the test split', async () => {
    const dir = path.join(root, 'before');
    const executor = new LocalExecutor({ workers: 1 });
    try {
      const old = makeGrid({}, { ...tiny, lr: '0.1', 'validation-size': 0 });
      await runGridSweep({ grid: old, dir, executor, command: '' });
      const notices: string[] = [];
      const byDefault = makeGrid({}, { ...tiny, lr: '0.1' });
      expect(byDefault.validation).toBe(10);
      const resumed = await runGridSweep({
        grid: byDefault,
        dir,
        executor,
        command: '',
        validationByDefault: true,
        onEvent: (event) => {
          if (event.type === 'notice') notices.push(event.message);
        },
      });
      expect(resumed.runs).toMatchObject({ total: 1, trained: 0, resumed: 1 });
      expect(resumed.chosenOn).toBe('test');
      expect(resumed.final).toEqual([]);
      expect(notices).toEqual([
        `${dir} was swept without a validation split (before sweeps held one out by default): it goes on choosing on the test split; pass --validation-size N with another --out to choose on validation`,
      ]);
      // Asked for explicitly, a validation split cannot join the folder.
      await expect(runGridSweep({ grid: byDefault, dir, executor, command: '' })).rejects.toThrow(
        `${dir} holds a sweep evaluated on the test split, not on a validation split of 10 examples (see its sweep.json); choose another --out, or use its settings to resume or grow it`,
      );
    } finally {
      await executor.close();
    }
  }, 120_000);
});
