/**
 * A sweep folder's sweep.json, and growing it. A folder holds one grid: a command with the
 * same grid resumes it; one that extends it (new values in a list, more seeds, more trials of
 * a search) grows it: sweep.json then holds the union, field by field, and only the runs not
 * yet in the folder are trained. A command whose runs could not sit beside the folder's
 * (another validation split, another search space) is refused.
 */
import { describeSchedule } from '../train/scheduledRate.js';
import fs from 'node:fs';
import path from 'node:path';
import { writeJsonFile } from '../runs/runFolder.js';
import { runConfigKey } from '../train/config.js';
import { UserError } from '../util/errors.js';
import { onFile } from '../util/fs.js';
import { stableJson } from '../util/json.js';
import { GRID_FIELDS, seedList, seedsValue, type GridRun, type SweepGrid } from './grid.js';

/** The sweep.json of `file`, or a one-line error naming the file when it cannot be read. */
function readSweepFile(file: string): { grid: SweepGrid; createdAt?: string } {
  const text = onFile(file, () => fs.readFileSync(file, 'utf8'));
  let data: { grid?: SweepGrid; createdAt?: string } | null;
  try {
    data = JSON.parse(text) as typeof data;
  } catch (error) {
    throw new UserError(
      `${file} is not valid JSON (${error instanceof Error ? error.message : String(error)}); fix or remove it, or choose another --out`,
    );
  }
  if (typeof data?.grid !== 'object' || data.grid === null) {
    throw new UserError(
      `${file} holds no "grid" object, so it is not a sweep's sweep.json; fix or remove it, or choose another --out`,
    );
  }
  return { grid: data.grid, createdAt: data.createdAt };
}

const splitOf = (grid: SweepGrid) =>
  grid.validation === undefined ? 'the test split' : `a validation split of ${grid.validation} examples`;

const describeSeeds = (grid: SweepGrid) => (typeof grid.seeds === 'number' ? `1..${grid.seeds}` : grid.seeds.join(','));

function union(stored: readonly (string | number)[], given: readonly (string | number)[]): (string | number)[] {
  return [...stored, ...given.filter((value) => !stored.includes(value))];
}

/** A grid's learning-rate schedule in words. */
function scheduleOf(grid: SweepGrid): string {
  return grid.schedule === undefined ? 'a constant learning rate' : `the schedule ${describeSchedule(grid.schedule)}`;
}

/** The grid of a folder that held `stored` after a command asking for `given`; throws when they cannot share it. */
export function grownGrid(stored: SweepGrid, given: SweepGrid, dir: string): { grid: SweepGrid; changes: string[] } {
  const refuse = (why: string) =>
    new UserError(
      `${dir} holds a sweep ${why} (see its sweep.json); choose another --out, or use its settings to resume or grow it`,
    );
  if (stored.validation !== given.validation) {
    throw refuse(`evaluated on ${splitOf(stored)}, not on ${splitOf(given)}`);
  }
  const { trials: _storedTrials, ...storedSearch } = stored.search ?? { trials: 0 };
  const { trials: _givenTrials, ...givenSearch } = given.search ?? { trials: 0 };
  if (
    stableJson(storedSearch) !== stableJson(givenSearch) ||
    stableJson(stored.distributions) !== stableJson(given.distributions)
  ) {
    throw refuse('of another search or other distributions');
  }
  if (stableJson(stored.schedule) !== stableJson(given.schedule)) {
    throw refuse(`with ${scheduleOf(stored)}, not ${scheduleOf(given)}`);
  }
  if (stored.search !== undefined && stableJson(stored.values) !== stableJson(given.values)) {
    // A trial's draw depends on every list: another list would change the trials already trained.
    throw refuse('drawing from other lists (a search grows by --trials and --seeds only)');
  }
  const changes: string[] = [];
  const values: SweepGrid['values'] = {};
  for (const field of GRID_FIELDS) {
    const before = stored.values[field];
    const asked = given.values[field];
    if (before === undefined && asked === undefined) continue;
    const after = union(before ?? [], asked ?? []);
    values[field] = after;
    if (after.length > (before?.length ?? 0))
      changes.push(`${field} ${(before ?? []).join(',') || '(none)'} -> ${after.join(',')}`);
  }
  const seeds = seedsValue([...seedList(stored), ...seedList(given)]);
  const grid: SweepGrid = { ...stored, values, seeds };
  if (stableJson(seeds) !== stableJson(stored.seeds))
    changes.push(`seeds ${describeSeeds(stored)} -> ${describeSeeds(grid)}`);
  if (stored.search !== undefined && given.search!.trials > stored.search.trials) {
    grid.search = { ...stored.search, trials: given.search!.trials };
    changes.push(`trials ${stored.search.trials} -> ${given.search!.trials}`);
  }
  return { grid, changes };
}

export interface ClaimedFolder {
  file: string;
  grid: SweepGrid;
  /** Lines for the user: a folder grown, or one swept before that keeps its test-split choice. */
  notices: string[];
}

/**
 * The grid the folder will hold after this command: `given` for a new folder, else the folder's
 * grid grown by it. `validationByDefault`: `given.validation` is the default size, not asked
 * for, so a folder swept before validation was the default keeps choosing on the test split.
 */
export function claimFolder(dir: string, given: SweepGrid, validationByDefault: boolean): ClaimedFolder {
  const file = path.join(dir, 'sweep.json');
  if (!fs.existsSync(file)) return { file, grid: given, notices: [] };
  const stored = readSweepFile(file).grid;
  const notices: string[] = [];
  let asked = given;
  if (validationByDefault && stored.validation !== undefined && given.validation !== stored.validation) {
    // The default size follows the training examples (e.g. a --train-limit added): the folder keeps its split.
    asked = { ...given, validation: stored.validation };
  } else if (stored.validation === undefined && given.validation !== undefined && validationByDefault) {
    const { validation: _default, ...onTest } = given;
    asked = onTest;
    notices.push(
      `${dir} was swept without a validation split (before sweeps held one out by default): it goes on choosing on the test split; pass --validation-size N with another --out to choose on validation`,
    );
  }
  if (stableJson(stored) === stableJson(asked)) return { file, grid: stored, notices };
  const { grid, changes } = grownGrid(stored, asked, dir);
  if (changes.length > 0) notices.push(`${dir} grows: ${changes.join('; ')} (runs already there are kept)`);
  return { file, grid, notices };
}

/** Writes (or rewrites, when grown) the folder's sweep.json. */
export function writeSweepFile(claimed: ClaimedFolder, runs: number): void {
  const before = fs.existsSync(claimed.file) ? readSweepFile(claimed.file) : undefined;
  if (before !== undefined && stableJson(before.grid) === stableJson(claimed.grid)) return;
  const createdAt = before?.createdAt ?? new Date().toISOString();
  writeJsonFile(claimed.file, {
    grid: claimed.grid,
    runs,
    createdAt,
    ...(before === undefined ? {} : { grownAt: new Date().toISOString() }),
  });
}

/**
 * The planned runs with the id of a run folder already holding the same config, where the
 * planned id has no folder: a grid grown by a list of two or more values names that field in
 * its new run ids, and the runs trained before keep their folders under their old ids.
 */
export function keepTrainedIds(runs: readonly GridRun[], runsDir: string): GridRun[] {
  let trained: Map<string, string> | undefined;
  const planned = new Set(runs.map((run) => run.id));
  return runs.map((run) => {
    if (fs.existsSync(path.join(runsDir, run.id))) return run;
    trained ??= trainedConfigs(runsDir, planned);
    const id = trained.get(runConfigKey(run.config));
    return id === undefined ? run : { ...run, id };
  });
}

/** Config key -> run id of the folders under `runsDir` whose id is not planned. */
function trainedConfigs(runsDir: string, planned: ReadonlySet<string>): Map<string, string> {
  const byConfig = new Map<string, string>();
  if (!fs.existsSync(runsDir)) return byConfig;
  for (const id of fs.readdirSync(runsDir).sort()) {
    // A hidden folder is never a run (run ids start with a letter or digit): a staging folder.
    if (planned.has(id) || id.startsWith('.')) continue;
    try {
      const config: unknown = JSON.parse(fs.readFileSync(path.join(runsDir, id, 'config.json'), 'utf8'));
      byConfig.set(runConfigKey(config), id);
    } catch {
      // Not a run folder (or an unfinished one without its config): nothing to keep.
    }
  }
  return byConfig;
}
