/**
 * TensorBoard event files for run folders, written in plain JavaScript (no TensorFlow, no
 * tensors, one file handle per write): every run of train, sweep or study can have them, on
 * any backend, so `tensorboard --logdir out/` shows every run's scalars and, in the HParams
 * tab, its settings.
 *
 * A run's events live in `<run>/tensorboard/events.out.tfevents.<start>.inertia`: the file
 * version, the hparams session start (the flattened config.json), one scalar `<split>/<metric>`
 * per metrics.csv row, and the session end with the run's status. Writing it again replaces it,
 * so exporting a run twice never doubles its points.
 *
 * Hyperparameters: config.json's fields flattened to dotted names (`optimizer.learningRate`),
 * lists joined by commas, without the `data` facts and without `seed`; the session group is a
 * hash of them, so the seeds of one setting form one row of the HParams table (TensorBoard
 * averages their metrics). No experiment summary is written: TensorBoard takes the first one it
 * finds for the whole log folder (plugins/hparams/backend_context.py), which would hide the
 * settings of every other sweep under `out/`; without one it collects the hyperparameters from
 * every session and the metrics from their scalars.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { stableJson } from '../util/json.js';
import { writeFileAtomic } from '../util/fs.js';
import {
  SESSION_STATUS,
  fileVersionEvent,
  scalarEvent,
  sessionEndEvent,
  sessionStartEvent,
  type HparamValue,
} from './events.js';
import type { MetricRow } from './metrics.js';
import { readRun, type StoredRun } from './readRun.js';
import type { RunStatus } from './runFolder.js';
import { frameRecord } from './tfrecord.js';

/** The folder of a run's event files (TensorBoard names the run after it: `<run id>/tensorboard`). */
export const EVENTS_FOLDER = 'tensorboard';
const OWN_SUFFIX = '.inertia';

/** `events.out.tfevents.<start seconds>.inertia`: TensorBoard reads files whose name holds "tfevents". */
export function eventFileName(startedAt: string): string {
  const seconds = Math.floor(Date.parse(startedAt) / 1000);
  return `events.out.tfevents.${Number.isFinite(seconds) ? seconds : 0}${OWN_SUFFIX}`;
}

function flatten(value: unknown, prefix: string, into: Record<string, HparamValue>): void {
  if (value === null || value === undefined) return;
  // A list of objects (a chain's stages) is flattened entry by entry: `optimizer.stages.0.name`.
  if (Array.isArray(value) && !value.some((entry) => typeof entry === 'object' && entry !== null))
    into[prefix] = value.map(String).join(',');
  else if (typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) flatten(inner, prefix ? `${prefix}.${key}` : key, into);
  } else if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') {
    into[prefix] = value;
  }
}

/** The hyperparameters of a config.json: every field but `data` and `seed`, flattened. */
export function hparamsOf(config: Readonly<Record<string, unknown>>): Record<string, HparamValue> {
  const { data: _data, seed: _seed, ...settings } = config;
  const hparams: Record<string, HparamValue> = {};
  flatten(settings, '', hparams);
  return hparams;
}

/** The session group of a setting: the SHA-256 of its hyperparameters, as TensorBoard's own summary_v2 derives it. */
function groupName(hparams: Readonly<Record<string, HparamValue>>): string {
  return createHash('sha256').update(stableJson(hparams)).digest('hex');
}

function sessionStatus(status: RunStatus): number | null {
  if (status === 'running') return null;
  return status === 'completed' ? SESSION_STATUS.success : SESSION_STATUS.failure;
}

/** Scalar events of `rows` (non-finite values skipped), the plugin metadata on each tag's first value. */
function scalarRecords(rows: readonly MetricRow[], wallTime: (step: number) => number, seen: Set<string>): Buffer[] {
  const records: Buffer[] = [];
  for (const row of rows) {
    if (!Number.isFinite(row.value)) continue;
    const tag = `${row.split}/${row.metric}`;
    records.push(frameRecord(scalarEvent(tag, row.value, row.step, wallTime(row.step), !seen.has(tag))));
    seen.add(tag);
  }
  return records;
}

function headerRecords(config: Readonly<Record<string, unknown>>, startSecs: number): Buffer[] {
  const hparams = hparamsOf(config);
  return [
    frameRecord(fileVersionEvent(startSecs)),
    frameRecord(sessionStartEvent(hparams, groupName(hparams), startSecs)),
  ];
}

/**
 * Every record of a stored run's event file. metrics.csv keeps no clock, so wall times are
 * spread over the steps between run.json's start and stop (TensorBoard's "relative" axis then
 * shows the run's duration, evaluation included).
 */
export function runEventRecords(run: StoredRun, options: { scalars?: boolean } = {}): Buffer[] {
  const startSecs = Date.parse(run.record.startedAt) / 1000;
  const stopped = run.record.stoppedAt ? Date.parse(run.record.stoppedAt) / 1000 : startSecs;
  const lastStep = Math.max(1, ...run.rows.map((row) => row.step).filter(Number.isFinite));
  const wallTime = (step: number) => startSecs + ((stopped - startSecs) * step) / lastStep;
  const status = sessionStatus(run.record.status);
  return [
    ...headerRecords(run.config, startSecs),
    ...(options.scalars === false ? [] : scalarRecords(run.rows, wallTime, new Set())),
    ...(status === null ? [] : [frameRecord(sessionEndEvent(status, stopped))]),
  ];
}

/** Event files in `eventsDir` that inertia did not write (tfjs-node's summary writer, in older runs). */
function foreignEventFiles(eventsDir: string): string[] {
  if (!fs.existsSync(eventsDir)) return [];
  return fs.readdirSync(eventsDir).filter((name) => name.includes('tfevents') && !name.endsWith(OWN_SUFFIX));
}

export interface RunEventsFile {
  file: string;
  /** False when the folder already held another writer's scalars, so only the hyperparameters were added. */
  scalars: boolean;
}

/**
 * Writes (or replaces) the event file of the run folder `dir` from its config.json, run.json
 * and metrics.csv. When the folder holds event files of another writer (runs trained before
 * inertia wrote its own), their scalars are kept and only the hyperparameters are added.
 */
export function writeRunEvents(dir: string): RunEventsFile {
  const run = readRun(dir);
  const eventsDir = path.join(dir, EVENTS_FOLDER);
  const scalars = foreignEventFiles(eventsDir).length === 0;
  fs.mkdirSync(eventsDir, { recursive: true });
  const file = path.join(eventsDir, eventFileName(run.record.startedAt));
  writeFileAtomic(file, Buffer.concat(runEventRecords(run, { scalars })));
  for (const name of fs.readdirSync(eventsDir)) {
    if (name.endsWith(OWN_SUFFIX) && name !== path.basename(file))
      fs.rmSync(path.join(eventsDir, name), { force: true });
  }
  return { file, scalars };
}

/**
 * Event records appended as a run trains (the train command's live view), to the file that
 * writeRunEvents replaces once the run has finished. Each write opens, appends and closes.
 */
export class LiveEventWriter {
  private readonly file: string;
  private readonly seen = new Set<string>();
  private started = false;

  constructor(
    dir: string,
    private readonly config: Readonly<Record<string, unknown>>,
    private readonly startedAt: string,
  ) {
    this.file = path.join(dir, EVENTS_FOLDER, eventFileName(startedAt));
  }

  write(rows: readonly MetricRow[]): void {
    const now = Date.now() / 1000;
    const records = scalarRecords(rows, () => now, this.seen);
    if (!this.started) {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      records.unshift(...headerRecords(this.config, Date.parse(this.startedAt) / 1000));
      this.started = true;
    }
    fs.appendFileSync(this.file, Buffer.concat(records));
  }
}
