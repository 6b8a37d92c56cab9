/**
 * `inertiaLogger({ out, config })`: a tfjs callback that writes a run folder for any
 * `model.fit` / `model.fitDataset`, exactly as `inertia train` writes its own (config.json,
 * run.json with provenance, metrics.csv, TensorBoard events, the loss plot), so `compare`,
 * `export tensorboard` and the study tooling read users' own models and data.
 *
 * What it records (metrics.csv, long format):
 * - `train/batch_loss` after every batch (step = optimizer steps taken so far), read back once
 *   per epoch (the batch losses are kept as tensors until then, as the training loop does);
 * - at the end of each epoch, every value of the epoch's logs: `val_<name>` as
 *   `validation/<name>`, the others as `train/epoch_<name>` (Keras's mean over the epoch's
 *   batches, not an evaluation of the whole training set); `acc` is named `accuracy`.
 *
 * config.json holds `config` as given, plus `fit` (epochs, batch size, samples or steps per
 * epoch, from tfjs) and the model's optimizer (`{ className, config }`) unless `config` has an
 * `optimizer` of its own. A run whose batch loss turns non-finite is recorded as `diverged`
 * at that step; training itself goes on (stop it with an EarlyStopping callback if wanted).
 * The folder is created when training begins and refused if it exists (never overwritten).
 */
import path from 'node:path';
import type * as TF from '@tensorflow/tfjs';
// tfjs-layers' own Callback (the class tf.Callback re-exports): extending it at import time loads no backend.
import { Callback } from '@tensorflow/tfjs-layers';
import { tf } from '../backend.js';
import type { MetricRow, Split } from '../runs/metrics.js';
import { RunFolder } from '../runs/runFolder.js';
import { compactTimestamp } from '../util/format.js';
import { childFolder } from '../util/names.js';
import { runTitle } from './plots.js';
import { ScalarRecorder } from './recorder.js';
import { lossPlotSink, metricsCsvSink, tensorboardSink, type MetricSink } from './sinks.js';
import { closeSinks, finishRunFolder, runFacts, writeFinalEvents, type FinishedRun } from './train.js';

export interface InertiaLoggerOptions {
  /** Folder that holds the run folders (as `inertia train --out`). */
  out: string;
  /** What the run trained: any JSON object, written to config.json (compare labels runs by its fields). */
  config?: Record<string, unknown>;
  /** Folder name of the run (default `fit-<time>`); an existing folder is never overwritten. */
  runId?: string;
  /** Write loss.svg/png (default true). */
  plot?: boolean;
  /** Write TensorBoard event files (default true). */
  tensorboard?: boolean;
}

type Logs = Record<string, number | TF.Scalar> | undefined;

function metricName(key: string): string {
  return key === 'acc' ? 'accuracy' : key;
}

/** A tfjs callback writing one run folder per `fit`; see {@link inertiaLogger}. */
export class InertiaLogger extends Callback {
  private folder: RunFolder | null = null;
  private sinks: MetricSink[] = [];
  private readonly rows: MetricRow[] = [];
  private readonly recorder = new ScalarRecorder();
  private step = 0;
  private epoch = 0;
  private divergedAtStep: number | null = null;
  private started = 0;

  constructor(private readonly options: InertiaLoggerOptions) {
    super();
    childFolder(options.out, options.runId ?? 'fit', 'run id');
  }

  /** The run folder (null before training begins). */
  get dir(): string | null {
    return this.folder?.dir ?? null;
  }

  override async onTrainBegin(): Promise<void> {
    this.started = performance.now();
    const config = this.runConfig();
    const runId = this.options.runId ?? `fit-${compactTimestamp(new Date())}`;
    const folder = RunFolder.create(this.options.out, runId, config, runFacts(process.argv.slice(1)));
    this.folder = folder;
    this.sinks = [
      metricsCsvSink(folder.metrics),
      ...(this.options.tensorboard === false ? [] : [tensorboardSink(folder.dir, config, folder.startedAt)]),
      ...(this.options.plot === false ? [] : [lossPlotSink(path.join(folder.dir, 'loss'), this.title(config))]),
    ];
  }

  override async onEpochBegin(epoch: number): Promise<void> {
    this.epoch = epoch + 1;
  }

  override async onBatchEnd(_batch: number, logs?: Logs): Promise<void> {
    this.step += 1;
    const loss = logs?.loss;
    if (loss === undefined) return;
    // model.fit disposes the batch's tensors after the callbacks: keep a clone until the epoch ends.
    const tensor = typeof loss === 'number' ? tf.scalar(loss) : tf.clone(loss);
    this.recorder.add(this.step, this.epoch, 'train', 'batch_loss', tensor);
  }

  override async onEpochEnd(epoch: number, logs?: Logs): Promise<void> {
    const rows = this.recorder.flush();
    for (const row of rows) {
      if (this.divergedAtStep === null && !Number.isFinite(row.value)) this.divergedAtStep = row.step;
    }
    for (const [key, value] of Object.entries(logs ?? {})) {
      const number = typeof value === 'number' ? value : (await value.data())[0];
      const validation = key.startsWith('val_');
      const split: Split = validation ? 'validation' : 'train';
      const metric = validation ? metricName(key.slice(4)) : `epoch_${metricName(key)}`;
      rows.push({ step: this.step, epoch: epoch + 1, split, metric, value: number });
    }
    this.rows.push(...rows);
    for (const sink of this.sinks) await sink.write(rows);
  }

  override async onTrainEnd(): Promise<void> {
    const folder = this.folder;
    if (folder === null) return;
    const tail = this.recorder.flush();
    if (tail.length > 0) {
      this.rows.push(...tail);
      for (const sink of this.sinks) await sink.write(tail);
    }
    const warnings = await closeSinks(this.sinks, this.rows);
    finishRunFolder(folder, this.finished(), warnings, this.options.plot !== false && warnings.length === 0);
    if (this.options.tensorboard !== false) writeFinalEvents(folder.dir);
  }

  private runConfig(): Record<string, unknown> {
    const given = this.options.config ?? {};
    const params = (this.params ?? {}) as Record<string, unknown>;
    const fit: Record<string, unknown> = {};
    for (const key of ['epochs', 'batchSize', 'samples', 'steps']) {
      if (params[key] !== undefined && params[key] !== null) fit[key] = params[key];
    }
    const optimizer = (this.model as unknown as { optimizer?: TF.Optimizer } | undefined)?.optimizer;
    const described =
      given.optimizer !== undefined || optimizer === undefined
        ? {}
        : { optimizer: { className: optimizer.getClassName(), config: optimizer.getConfig() } };
    return JSON.parse(JSON.stringify({ ...described, ...given, fit })) as Record<string, unknown>;
  }

  private title(config: Record<string, unknown>): string {
    const optimizer = config.optimizer as Record<string, unknown> | undefined;
    if (optimizer !== undefined && typeof optimizer.kind === 'string' && typeof config.model === 'string') {
      return runTitle(config as never);
    }
    return `${this.options.runId ?? 'model.fit'}: ${String(this.params?.epochs ?? '?')} epochs`;
  }

  private finished(): FinishedRun {
    const last = (split: Split, metric: string) =>
      [...this.rows].reverse().find((row) => row.split === split && row.metric === metric)?.value ?? null;
    return {
      status: this.divergedAtStep === null ? 'completed' : 'diverged',
      divergedAtStep: this.divergedAtStep,
      summary: {
        steps: this.step,
        seconds: (performance.now() - this.started) / 1000,
        final_train_batch_loss: last('train', 'batch_loss'),
        final_validation_loss: last('validation', 'loss'),
        diverged: this.divergedAtStep !== null,
      },
    };
  }
}

/**
 * A callback for `model.fit(x, y, { callbacks: [inertiaLogger({ out: 'out/runs', config })] })`
 * (or `fitDataset`) that writes the run's folder; see {@link InertiaLogger}. Use one logger per
 * `fit` call.
 */
export function inertiaLogger(options: InertiaLoggerOptions): InertiaLogger {
  return new InertiaLogger(options);
}
