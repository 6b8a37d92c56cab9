/**
 * The local executor (the default, needs no services): runs train in this process one at a
 * time, or on a pool of worker processes on this machine (compiled CLI only).
 */
import os from 'node:os';
import { loadDataset, runDataLoad, type Dataset } from '../data/index.js';
import { train } from '../train/train.js';
import { UserError } from '../util/errors.js';
import type { Executor, ExecutorEvent, PlannedRun, RunAttempt, RunSettings } from './executor.js';
import { TrainerPool, poolAvailable } from './pool.js';

export interface LocalExecutorOptions {
  /** Worker processes (default: one per core, at most 2, on the compiled CLI; 1 = in this process). */
  workers?: number;
  /** A dataset already in memory, used by in-process runs whose config names it. */
  dataset?: Dataset;
  /** Train in worker processes even with one worker, when the compiled pool is available. */
  processes?: boolean;
  /** The folder of IDX files (--data-dir) for every run that names none, in this process and the pool's. */
  dataDir?: string;
  /** How every run is trained (a run's own settings override them). */
  settings?: RunSettings;
}

export function defaultWorkers(): number {
  return poolAvailable() ? Math.min(2, os.cpus().length) : 1;
}

export class LocalExecutor implements Executor {
  readonly slots: number;
  readonly description: string;
  private readonly pool?: TrainerPool;
  private readonly datasets = new Map<string, Promise<Dataset>>();
  private inProcessTail: Promise<unknown> = Promise.resolve();
  private readonly dataDir?: string;
  private readonly settings: RunSettings;

  constructor(options: LocalExecutorOptions = {}) {
    const workers = options.workers ?? defaultWorkers();
    if (!Number.isInteger(workers) || workers < 1)
      throw new UserError(`Invalid workers value: ${workers} (expected a positive integer)`);
    if (workers > os.cpus().length)
      throw new UserError(
        `Invalid workers value: ${workers} (this machine has ${os.cpus().length} cores, and more workers than cores only slow each other down; use at most ${os.cpus().length})`,
      );
    if (workers > 1 && !poolAvailable())
      throw new UserError(
        'Parallel workers need the compiled CLI (npm run build); use workers = 1 from the TypeScript sources',
      );
    this.slots = workers;
    this.dataDir = options.dataDir;
    this.settings = options.settings ?? {};
    if (workers > 1 || (options.processes && poolAvailable())) this.pool = new TrainerPool(workers);
    this.description = this.pool
      ? `local, ${workers} worker process${workers > 1 ? 'es' : ''}`
      : 'local, in this process';
    if (options.dataset) {
      const { key } = runDataLoad({ dataset: options.dataset.name });
      this.datasets.set(key, Promise.resolve(options.dataset));
    }
  }

  private dataset(run: PlannedRun): Promise<Dataset> {
    const { key, options } = runDataLoad(run.config);
    let dataset = this.datasets.get(key);
    if (!dataset) {
      dataset = loadDataset(run.config.dataset, options);
      this.datasets.set(key, dataset);
    }
    return dataset;
  }

  /** Trains one run on the pool, or in this process; never throws. */
  private async trainOne(
    run: PlannedRun,
    runsDir: string,
    onEvent: (event: ExecutorEvent) => void,
  ): Promise<RunAttempt> {
    let worker = 'local';
    const settings = { ...this.settings, ...run.settings };
    if (this.dataDir !== undefined && run.config.dataDir === undefined) {
      run = { ...run, config: { ...run.config, dataDir: this.dataDir } };
    }
    try {
      if (this.pool) {
        await this.pool.run(
          { config: run.config, outRoot: runsDir, runId: run.id, settings },
          {
            onStart: (index) => {
              worker = `local-${index + 1}`;
              onEvent({ type: 'run-start', runId: run.id, worker });
            },
            onProgress: (_index, progress) => onEvent({ type: 'progress', worker, progress }),
          },
        );
      } else {
        onEvent({ type: 'run-start', runId: run.id, worker });
        // Runs of a sweep are drawn from the files afterwards: no per-run plots or event files.
        await train(run.config, {
          outRoot: runsDir,
          runId: run.id,
          dataset: await this.dataset(run),
          onProgress: (progress) => onEvent({ type: 'progress', worker, progress }),
          plot: false,
          tensorboard: false,
          compile: settings.compile,
          tags: settings.tags,
          note: settings.note,
        });
      }
      return { runId: run.id, status: 'finished', worker };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { runId: run.id, status: 'failed', worker, error: message, attempts: 1 };
    }
  }

  private async trainAndReport(
    run: PlannedRun,
    runsDir: string,
    onEvent: (event: ExecutorEvent) => void,
  ): Promise<RunAttempt> {
    const attempt = await this.trainOne(run, runsDir, onEvent);
    onEvent({ type: 'run-end', attempt });
    return attempt;
  }

  async execute(
    runs: readonly PlannedRun[],
    runsDir: string,
    onEvent: (event: ExecutorEvent) => void = () => {},
  ): Promise<RunAttempt[]> {
    if (this.pool) return Promise.all(runs.map((run) => this.trainAndReport(run, runsDir, onEvent)));
    // In-process runs share one TensorFlow backend: one after the other, also across calls.
    return Promise.all(
      runs.map((run) => {
        const turn = this.inProcessTail.then(() => this.trainAndReport(run, runsDir, onEvent));
        this.inProcessTail = turn;
        return turn;
      }),
    );
  }

  async close(): Promise<void> {
    this.pool?.close();
  }
}
