import { UserError } from '../util/errors.js';
/**
 * One folder per run (Sacred/MLflow style): `config.json` (every input), `run.json` (status,
 * times, backend, versions, commit), `metrics.csv` (long format). A folder that already
 * exists is never overwritten.
 */
import fs from 'node:fs';
import path from 'node:path';
import { stableJson } from '../util/json.js';
import { gitState, inertiaVersion } from '../util/provenance.js';
import { MetricsWriter } from './metrics.js';

export type RunStatus = 'running' | 'completed' | 'diverged' | 'failed';

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
  /** Step at which the loss became non-finite or exceeded the bound (diverged runs). */
  divergedAtStep?: number;
  error?: string;
  summary?: Record<string, number | string | boolean | null>;
}

/** A run folder that already exists: a finished run is never overwritten. */
export class RunExistsError extends UserError {}

export function writeJsonFile(file: string, value: unknown): void {
  const temporary = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(temporary, stableJson(value));
  fs.renameSync(temporary, file);
}

export function readRunRecord(dir: string): RunRecord | null {
  const file = path.join(dir, 'run.json');
  if (!fs.existsSync(file)) return null;
  return JSON.parse(fs.readFileSync(file, 'utf8')) as RunRecord;
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
    fs.mkdirSync(root, { recursive: true });
    const dir = path.join(root, id);
    try {
      fs.mkdirSync(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new RunExistsError(
          `Run folder ${dir} already exists and is never overwritten; choose another --run-id or remove that folder`,
        );
      }
      throw error;
    }
    writeJsonFile(path.join(dir, 'config.json'), config);
    const record: RunRecord = {
      id,
      status: 'running',
      startedAt: new Date().toISOString(),
      stoppedAt: null,
      gitCommit: gitState()?.commit ?? null,
      gitDirty: gitState()?.dirty ?? null,
      inertiaVersion: inertiaVersion(),
      ...facts,
    };
    const folder = new RunFolder(dir, record);
    folder.save();
    return folder;
  }

  get status(): RunStatus {
    return this.record.status;
  }

  finish(update: Partial<RunRecord> & { status: Exclude<RunStatus, 'running'> }): RunRecord {
    this.record = { ...this.record, ...update, stoppedAt: new Date().toISOString() };
    this.save();
    return this.record;
  }

  private save(): void {
    writeJsonFile(path.join(this.dir, 'run.json'), this.record);
  }
}
