/**
 * An executor trains planned runs into run folders and reports what happened to each. The
 * study and `inertia sweep` plan runs; an executor decides where they train: `local` (this
 * machine: in this process or a pool of worker processes) or `queue` (BullMQ jobs on Redis,
 * trained by `inertia worker` processes on any machine). Either way a finished run ends up as
 * `<runsDir>/<id>/` in the usual format, and callers read its outcome from those files.
 */
import type { CompileMode } from '../graph/compileMode.js';
import type { TrainConfig } from '../train/config.js';
import type { TrainProgress } from '../train/train.js';

/**
 * How a run is trained, beside its inputs: settings that change neither the config nor the
 * numbers it should give, but that run.json records (e.g. `compiled_steps`). They travel with
 * each run to the process that trains it (a pool worker, a queue job).
 */
export interface RunSettings {
  /** Compiled steps for the custom loop (absent: $INERTIA_COMPILE of the training process, else auto). */
  compile?: CompileMode;
  /** Tags recorded in run.json (metadata: a finished run is resumed whatever its tags). */
  tags?: string[];
  /** A note recorded in run.json. */
  note?: string;
}

/** One run to train: its folder name under the runs folder and every input. */
export interface PlannedRun {
  id: string;
  config: TrainConfig;
  /** Overrides the executor's settings for this run. */
  settings?: RunSettings;
}

/** Milliseconds since the epoch at each stage of a queued run (queue executor only). */
export interface RunTimings {
  queuedAt: number;
  startedAt: number;
  finishedAt: number;
  collectedAt: number;
}

/** What became of one planned run: its folder holds a finished run, or it failed for good. */
export type RunAttempt =
  | { runId: string; status: 'finished'; worker: string; timings?: RunTimings }
  | { runId: string; status: 'failed'; worker: string; error: string; attempts: number };

export type ExecutorEvent =
  | { type: 'run-start'; runId: string; worker: string }
  | { type: 'progress'; worker: string; progress: TrainProgress }
  | { type: 'run-end'; attempt: RunAttempt }
  /** Something the user should know that is not a run's result (e.g. Redis unreachable, retrying). */
  | { type: 'notice'; message: string };

export interface Executor {
  /** One line for logs and reports, e.g. "local, 2 worker processes" (never a password). */
  readonly description: string;
  /** How many runs train at the same time (0 when unknown: remote workers come and go). */
  readonly slots: number;
  /**
   * Trains every run into `<runsDir>/<run.id>/` (the folders must not exist yet) and resolves
   * with one attempt per run, in the order given. A run that fails is reported, not thrown:
   * the other runs go on. Rejects only when the executor itself cannot go on.
   */
  execute(
    runs: readonly PlannedRun[],
    runsDir: string,
    onEvent?: (event: ExecutorEvent) => void,
  ): Promise<RunAttempt[]>;
  close(): Promise<void>;
}
