/**
 * One folder per run (Sacred/MLflow style): `config.json` (every input), `run.json` (status,
 * times, backend, versions, commit), `metrics.csv` (long format). A folder that already
 * exists is never overwritten. Every file is written atomically; run.json is written last and,
 * for a finished run, records the size and SHA-256 of every other file it lists (and the row
 * count of metrics.csv), so a damaged run is recognised instead of trusted.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../util/errors.js';
import { errorCode, makeFolder, sha256File, translateFsError, writeFileAtomic } from '../util/fs.js';
import { stableJson } from '../util/json.js';
import { childFolder } from '../util/names.js';
import { gitState, inertiaVersion } from '../util/provenance.js';
import { MetricsWriter } from './metrics.js';

export type RunStatus = 'running' | 'completed' | 'diverged' | 'failed' | 'interrupted';

/** The statuses of a run that holds a result. */
export const FINISHED_STATUSES: readonly RunStatus[] = ['completed', 'diverged'];

/** What run.json knows about one file of a finished run. */
export interface FileRecord {
  bytes: number;
  sha256: string;
  /** Data rows (metrics.csv only). */
  rows?: number;
}

export interface RunRecord {
  id: string;
  status: RunStatus;
  startedAt: string;
  stoppedAt: string | null;
  backend: string;
  tensorflowVersion: string | null;
  tfjsVersion: string;
  node: string;
  /** inertia's git commit and whether its tree had uncommitted changes (null outside its own checkout). */
  gitCommit: string | null;
  gitDirty: boolean | null;
  inertiaVersion: string;
  /** The command line that started the run (absent when a library call started it). */
  command?: string[];
  /** The process that writes the run (while it is running): unfinished folders of a live owner are kept. */
  owner?: { pid: number; host: string };
  /**
   * Where the evaluations were taken when not at the model's variables: the optimizer's
   * evaluation point (`schedule-free x`: the average x, while the variables hold y).
   */
  evaluatedAt?: string;
  /** Step at which the loss became non-finite or exceeded the bound (diverged runs). */
  divergedAtStep?: number;
  error?: string;
  summary?: Record<string, number | string | boolean | null>;
  /** Size and SHA-256 of each file of a finished run, by name inside the run folder. */
  files?: Record<string, FileRecord>;
  /** Things that went wrong without spoiling the result (e.g. a plot that could not be written). */
  warnings?: string[];
  /** The user's tags (labels.ts): metadata, not part of the run id or config.json. */
  tags?: string[];
  /** The user's note on the run. */
  note?: string;
  /** Each time the run was resumed from a checkpoint: when, and after which epoch it went on. */
  resumed?: { at: string; fromEpoch: number; command?: string[] }[];
  /** The early-stopping decision (train/earlyStop.ts), when the run had one. */
  earlyStop?: Record<string, unknown>;
  /** The checkpoints kept in the folder (train/checkpoint.ts), when the run wrote any. */
  checkpoints?: Record<string, unknown>;
}

/** A run folder that already exists: a finished run is never overwritten. */
export class RunExistsError extends UserError {}

export function writeJsonFile(file: string, value: unknown): void {
  writeFileAtomic(file, stableJson(value));
}

/** The run.json of `dir`, or null when there is none; throws when it is unreadable or not JSON. */
export function readRunRecord(dir: string): RunRecord | null {
  const file = path.join(dir, 'run.json');
  if (!fs.existsSync(file)) return null;
  return JSON.parse(fs.readFileSync(file, 'utf8')) as RunRecord;
}

function describeFile(file: string, rows?: number): FileRecord {
  return { bytes: fs.statSync(file).size, sha256: sha256File(file), ...(rows === undefined ? {} : { rows }) };
}

function dataRows(text: string): number {
  const lines = text.split('\n').filter((line) => line.length > 0);
  return Math.max(0, lines.length - 1);
}

/**
 * Checks a run folder that claims to be finished: run.json parses, every file it lists has the
 * recorded size and SHA-256, and metrics.csv the recorded number of rows. Returns the record,
 * or the one-line reason it cannot be trusted.
 */
export function verifyRun(dir: string): { record: RunRecord } | { problem: string } {
  let record: RunRecord | null;
  try {
    record = readRunRecord(dir);
  } catch (error) {
    return { problem: `${path.join(dir, 'run.json')} is unreadable (${(error as Error).message})` };
  }
  if (record === null) return { problem: `${path.join(dir, 'run.json')} is missing` };
  if (!FINISHED_STATUSES.includes(record.status)) return { problem: `the run is ${String(record.status)}` };
  const files = record.files;
  if (files === null || typeof files !== 'object' || !files['metrics.csv'] || !files['config.json']) {
    return { problem: `${path.join(dir, 'run.json')} records no checksums for metrics.csv and config.json` };
  }
  for (const [name, expected] of Object.entries(files)) {
    const file = path.join(dir, name);
    try {
      const bytes = fs.readFileSync(file);
      if (bytes.length !== expected.bytes) {
        return { problem: `${file} has ${bytes.length} bytes, run.json records ${expected.bytes}` };
      }
      if (sha256File(file) !== expected.sha256) return { problem: `${file} does not match its SHA-256 in run.json` };
      if (expected.rows !== undefined && dataRows(bytes.toString('utf8')) !== expected.rows) {
        return { problem: `${file} does not hold the ${expected.rows} rows run.json records` };
      }
    } catch (error) {
      return { problem: `${file} is unreadable (${errorCode(error) ?? (error as Error).message})` };
    }
  }
  return { record };
}

/** Whether the process that owns a running run is alive (unknown owners on other hosts count as alive). */
export function ownerAlive(owner: RunRecord['owner']): boolean {
  if (!owner || typeof owner.pid !== 'number') return false;
  if (owner.host !== os.hostname()) return true;
  if (owner.pid === process.pid) return true;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === 'EPERM';
  }
}

/** Run folders whose run.json is still `running`, in this process (so a stop signal can mark them). */
const active = new Set<RunFolder>();

/**
 * Marks every run of this process that is still running as `interrupted` (synchronously, for
 * signal handlers). Returns their folders.
 */
export function interruptActiveRuns(reason: string): string[] {
  const dirs: string[] = [];
  for (const folder of [...active]) {
    try {
      folder.finish({ status: 'interrupted', error: reason });
      dirs.push(folder.dir);
    } catch {
      // Nothing more can be done while stopping; the folder stays unfinished and is rerun.
    }
  }
  return dirs;
}

export class RunFolder {
  readonly metrics: MetricsWriter;
  private record: RunRecord;

  private constructor(
    readonly dir: string,
    record: RunRecord,
  ) {
    this.record = record;
    this.metrics = new MetricsWriter(path.join(dir, 'metrics.csv'));
  }

  /** Creates `root/id` (failing if it exists) and writes config.json and run.json. */
  static create(
    root: string,
    id: string,
    config: unknown,
    facts: Omit<RunRecord, 'id' | 'status' | 'startedAt' | 'stoppedAt' | 'gitCommit' | 'gitDirty' | 'inertiaVersion'>,
  ): RunFolder {
    const dir = childFolder(root, id, 'run id');
    makeFolder(root);
    try {
      fs.mkdirSync(dir);
    } catch (error) {
      if (errorCode(error) === 'EEXIST') {
        throw new RunExistsError(
          `Run folder ${dir} already exists and is never overwritten; choose another --run-id or remove that folder`,
        );
      }
      throw translateFsError(error, dir);
    }
    const record: RunRecord = {
      id,
      status: 'running',
      startedAt: new Date().toISOString(),
      stoppedAt: null,
      gitCommit: gitState()?.commit ?? null,
      gitDirty: gitState()?.dirty ?? null,
      inertiaVersion: inertiaVersion(),
      owner: { pid: process.pid, host: os.hostname() },
      ...facts,
    };
    const folder = new RunFolder(dir, record);
    active.add(folder);
    try {
      writeJsonFile(path.join(dir, 'config.json'), config);
      folder.save();
    } catch (error) {
      active.delete(folder);
      fs.rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    return folder;
  }

  /**
   * Takes over the unfinished run in `dir` to continue it: run.json becomes `running` again,
   * owned by this process, with the resumption recorded; metrics.csv keeps its rows up to
   * `epoch` (MetricsWriter.continueAt). Refuses a finished run, and one whose process is alive.
   */
  static reopen(dir: string, resumption: { fromEpoch: number; command?: string[] }): RunFolder {
    const record = readRunRecord(dir);
    if (record === null)
      throw new UserError(`${dir} is not a run folder (it has no run.json); pass the folder of a run`);
    if (FINISHED_STATUSES.includes(record.status)) {
      throw new UserError(`Run ${dir} is ${record.status} already; there is nothing to resume`);
    }
    if (record.status === 'running' && ownerAlive(record.owner)) {
      throw new UserError(
        `Run ${dir} is still being written by process ${record.owner?.pid}; stop it first or wait for it to end`,
      );
    }
    const { error: _error, ...rest } = record;
    const resumed = { at: new Date().toISOString(), ...resumption };
    const reopened: RunRecord = {
      ...rest,
      status: 'running',
      stoppedAt: null,
      owner: { pid: process.pid, host: os.hostname() },
      resumed: [...(record.resumed ?? []), resumed],
    };
    const folder = new RunFolder(dir, reopened);
    folder.metrics.continueAt(resumption.fromEpoch);
    active.add(folder);
    try {
      folder.save();
    } catch (error) {
      active.delete(folder);
      throw error;
    }
    return folder;
  }

  get status(): RunStatus {
    return this.record.status;
  }

  /** When the run started (ISO 8601), as run.json records it. */
  get startedAt(): string {
    return this.record.startedAt;
  }

  /**
   * Ends the run: run.json gets the status, the stop time and, for a finished run, the size
   * and SHA-256 of config.json, metrics.csv and `extraFiles` (names inside the run folder).
   */
  finish(
    update: Partial<RunRecord> & { status: Exclude<RunStatus, 'running'> },
    extraFiles: readonly string[] = [],
  ): RunRecord {
    const { owner: _owner, ...rest } = this.record;
    const record: RunRecord = { ...rest, ...update, stoppedAt: new Date().toISOString() };
    if (FINISHED_STATUSES.includes(update.status)) {
      const files: Record<string, FileRecord> = {};
      files['config.json'] = describeFile(path.join(this.dir, 'config.json'));
      files['metrics.csv'] = describeFile(this.metrics.path, this.metrics.rows);
      for (const name of extraFiles) files[name] = describeFile(path.join(this.dir, name));
      record.files = files;
    }
    this.record = record;
    this.save();
    active.delete(this);
    return this.record;
  }

  private save(): void {
    writeJsonFile(path.join(this.dir, 'run.json'), this.record);
  }
}
