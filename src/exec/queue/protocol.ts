/**
 * What travels through Redis between a coordinator and its workers: one job per run (job id =
 * run id, so enqueueing twice is a no-op), the finished run folder as a compressed archive in
 * the job's result, and a registry of the sweeps in progress so that workers find their
 * queues. Everything read from Redis is checked here before it is used.
 */
import fs from 'node:fs';
import { makeFolder, writeFileAtomic } from '../../util/fs.js';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { makeTrainConfig, sameRunConfig, type TrainConfig } from '../../train/config.js';
import { checkConfigFields } from '../../train/configFile.js';
import { COMPILE_MODES, type CompileMode } from '../../graph/compileMode.js';
import { labelsFromFlags } from '../../runs/labels.js';
import type { RunSettings } from '../executor.js';
import { UserError } from '../../util/errors.js';
import { inertiaVersion } from '../../util/provenance.js';

/** BullMQ key prefix: every key inertia writes starts with `inertia:`. */
export const KEY_PREFIX = 'inertia';
/** Hash of sweep id -> registration (JSON), read by workers to find queues. */
export const REGISTRY_KEY = `${KEY_PREFIX}:registry:sweeps`;
export const JOB_FORMAT = 2;
/** Attempts of a job before it counts as failed (a retry may land on another machine). */
export const JOB_ATTEMPTS = 3;

export interface SweepRegistration {
  sweepId: string;
  version: string;
  registeredAt: number;
}

export interface JobPayload {
  format: number;
  version: string;
  runId: string;
  config: TrainConfig;
  /** How the worker trains the run (recorded in its run.json). */
  settings: RunSettings;
}

export interface JobResult {
  format: number;
  worker: string;
  /** gzip of a JSON object { relative path: base64 content }, base64-encoded. */
  archive: string;
}

/** A run id that is one plain folder name: letters, digits, . _ - = + (no path separators, no `..`). */
export function checkRunId(id: unknown): string {
  if (typeof id !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._=+-]{0,199}$/.test(id) || id.includes('..')) {
    throw new UserError(
      `Invalid run id ${JSON.stringify(id)} (expected a folder name of letters, digits and . _ - = +, at most 200 characters)`,
    );
  }
  return id;
}

/** The queue of one sweep (BullMQ queue names may not contain ':'). */
export function checkSweepId(id: string): string {
  if (!/^[a-z0-9][a-z0-9_-]{0,99}$/.test(id)) {
    throw new UserError(`Invalid sweep id ${JSON.stringify(id)} (expected lower-case letters, digits, _ and -)`);
  }
  return id;
}

export function makePayload(runId: string, config: TrainConfig, settings: RunSettings = {}): JobPayload {
  return { format: JOB_FORMAT, version: inertiaVersion(), runId: checkRunId(runId), config, settings };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks a job read from the queue: the format, the inertia version, the run id and the
 * config (with the same messages as bad flags). Throws a UserError naming the problem.
 */
export function parsePayload(data: unknown, jobId: string | undefined): JobPayload {
  if (!isRecord(data)) throw new UserError(`Job ${jobId}: malformed payload (expected an object, got ${typeof data})`);
  if (data.format !== JOB_FORMAT) {
    throw new UserError(`Job ${jobId}: unknown payload format ${JSON.stringify(data.format)} (expected ${JOB_FORMAT})`);
  }
  if (data.version !== inertiaVersion()) {
    throw new UserError(
      `Job ${jobId} was enqueued by inertia ${JSON.stringify(data.version)} but this worker runs inertia ${inertiaVersion()}; run the same version on the coordinator and every worker`,
    );
  }
  const runId = checkRunId(data.runId);
  if (runId !== jobId) throw new UserError(`Job ${jobId}: payload names run ${runId} (expected the job id)`);
  if (!isRecord(data.config) || !isRecord(data.config.optimizer)) {
    throw new UserError(`Job ${jobId}: malformed config (expected an object with an optimizer)`);
  }
  let config: TrainConfig;
  try {
    // The checks of `inertia train --config`: unknown fields, types, dataset and model names.
    config = makeTrainConfig(checkConfigFields(data.config, `job ${jobId}`));
  } catch (error) {
    throw new UserError(`Job ${jobId}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { format: JOB_FORMAT, version: data.version, runId, config, settings: parseSettings(data.settings, jobId) };
}

const SETTING_FIELDS: readonly string[] = ['compile', 'tags', 'note'];

/** A job's run settings: an object of known fields with known values. */
function parseSettings(settings: unknown, jobId: string): RunSettings {
  if (!isRecord(settings)) throw new UserError(`Job ${jobId}: malformed settings (expected an object)`);
  for (const field of Object.keys(settings)) {
    if (!SETTING_FIELDS.includes(field))
      throw new UserError(
        `Job ${jobId}: unknown setting ${JSON.stringify(field)} (known: ${SETTING_FIELDS.join(', ')})`,
      );
  }
  const { compile, tags, note } = settings;
  if (compile !== undefined && !(COMPILE_MODES as readonly unknown[]).includes(compile)) {
    throw new UserError(
      `Job ${jobId}: invalid compile setting ${JSON.stringify(compile)} (expected one of: ${COMPILE_MODES.join(', ')})`,
    );
  }
  if (tags !== undefined && (!Array.isArray(tags) || !tags.every((tag) => typeof tag === 'string'))) {
    throw new UserError(`Job ${jobId}: malformed tags setting (expected a list of strings)`);
  }
  if (note !== undefined && typeof note !== 'string') {
    throw new UserError(`Job ${jobId}: malformed note setting (expected a string)`);
  }
  try {
    return {
      ...(compile === undefined ? {} : { compile: compile as CompileMode }),
      ...labelsFromFlags(tags as string[] | undefined, note),
    };
  } catch (error) {
    throw new UserError(`Job ${jobId}: ${(error as Error).message}`);
  }
}

/**
 * Checks that an unpacked result is the run its job asked for: run.json names the job's run
 * and config.json holds the job's config (a worker may be buggy or hostile). Throws naming the
 * difference.
 */
export function checkResultMatches(files: Readonly<Record<string, string>>, runId: string, config: TrainConfig): void {
  const read = (name: string): unknown => {
    if (typeof files[name] !== 'string') throw new Error(`the result of ${runId} holds no ${name}`);
    try {
      return JSON.parse(Buffer.from(files[name], 'base64').toString('utf8'));
    } catch {
      throw new Error(`the result of ${runId} holds a ${name} that is not JSON`);
    }
  };
  const record = read('run.json');
  const id = isRecord(record) ? record.id : undefined;
  if (id !== runId) {
    throw new Error(`the result of ${runId} is the folder of another run (${JSON.stringify(id)}); not written`);
  }
  if (!sameRunConfig(read('config.json'), config)) {
    throw new Error(`the result of ${runId} holds another config than its job; not written`);
  }
}

function listFiles(dir: string, prefix = ''): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) return listFiles(path.join(dir, entry.name), relative);
    return entry.isFile() ? [relative] : [];
  });
}

/** Every file of a run folder, compressed into one string (the job's result). */
export function packRunFolder(dir: string): string {
  const files: Record<string, string> = {};
  for (const file of listFiles(dir)) files[file] = fs.readFileSync(path.join(dir, file)).toString('base64');
  return gzipSync(JSON.stringify(files)).toString('base64');
}

/** The most a returned run archive may inflate to: 256 MiB (a long run's folder is a few MB). */
export const MAX_RUN_ARCHIVE_BYTES = 256 * 2 ** 20;

/**
 * The files of an archive from `packRunFolder`, inflated only up to the size its gzip trailer
 * declares and never past `maxBytes`: an archive that claims more, or inflates to more than it
 * claims, is refused with one line before it fills memory.
 */
function inflateArchive(archive: string, runId: string, maxBytes: number): Record<string, string> {
  const compressed = Buffer.from(archive, 'base64');
  // ISIZE, the gzip trailer's last 4 bytes: the inflated size modulo 2^32.
  const declared = compressed.length >= 18 ? compressed.readUInt32LE(compressed.length - 4) : 0;
  if (declared > maxBytes) {
    throw new Error(
      `Run ${runId}: the result declares ${declared} bytes, more than the ${maxBytes} a run folder may hold`,
    );
  }
  let inflated: Buffer;
  try {
    inflated = gunzipSync(compressed, { maxOutputLength: Math.max(declared, 1) });
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE'
        ? `it inflates to more than the ${declared} bytes it declares`
        : (error as Error).message;
    throw new Error(`Run ${runId}: the result is not a valid run archive (${reason})`);
  }
  return JSON.parse(inflated.toString('utf8')) as Record<string, string>;
}

/** The name start of the folders a run archive is written into before it is renamed into place. */
const STAGING_PREFIX = '.incoming-';

/**
 * Removes the staging folders a collector stopped midway (a killed coordinator) left under
 * `runsDir`, and returns their names. Call it only while holding the folder's lock: a staging
 * folder of a live collector would go too.
 */
export function removeStagingFolders(runsDir: string): string[] {
  if (!fs.existsSync(runsDir)) return [];
  const stale = fs.readdirSync(runsDir).filter((name) => name.startsWith(STAGING_PREFIX));
  for (const name of stale) fs.rmSync(path.join(runsDir, name), { recursive: true, force: true });
  return stale;
}

/**
 * Writes an archive from `packRunFolder` as `<runsDir>/<runId>/`, once `check` accepts its
 * files (base64 by relative path): into a temporary folder first, renamed into place, so the
 * run folder appears complete or not at all. A run folder that already exists is never
 * overwritten (returns false). The archive inflates to at most `maxBytes` (default
 * {@link MAX_RUN_ARCHIVE_BYTES}).
 */
export function unpackRunFolder(
  archive: string,
  runsDir: string,
  runId: string,
  check: (files: Readonly<Record<string, string>>) => void = () => {},
  maxBytes = MAX_RUN_ARCHIVE_BYTES,
): boolean {
  const target = path.join(runsDir, checkRunId(runId));
  if (fs.existsSync(target)) return false;
  const files = inflateArchive(archive, runId, maxBytes);
  check(files);
  const staging = path.join(runsDir, `${STAGING_PREFIX}${runId}-${process.pid}`);
  fs.rmSync(staging, { recursive: true, force: true });
  for (const relative of Object.keys(files)) {
    const parts = relative.split('/');
    if (parts.some((part) => part === '' || part === '.' || part === '..')) {
      throw new Error(`Run ${runId}: the result holds a file outside its folder (${JSON.stringify(relative)})`);
    }
  }
  try {
    // A full disk midway leaves no half-written folder behind (the error names the file).
    for (const [relative, content] of Object.entries(files)) {
      const file = path.join(staging, ...relative.split('/'));
      makeFolder(path.dirname(file));
      writeFileAtomic(file, Buffer.from(content, 'base64'));
    }
    makeFolder(staging);
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  try {
    fs.renameSync(staging, target);
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    if (fs.existsSync(target)) return false;
    throw error;
  }
  return true;
}
