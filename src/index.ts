/**
 * inertia as a library: custom tf.train optimizers, training runs written as run folders, the
 * momentum/learning-rate study, and comparisons and charts of any runs.
 *
 * ```ts
 * import { createOptimizer, train, compare } from 'inertia';
 * const { train } = require('inertia'); // CommonJS too (Node >= 20.19)
 * ```
 *
 * Importing loads no TensorFlow and changes nothing in the process: the backend loads at the
 * first use of `tf`, at `await ready()`, or when `train`/`runStudy` start (src/backend.ts says
 * which settings are read then). Where the native backend is not set up, one line on stderr
 * says what is missing and the command that sets it up. `inertia/optimizers` is the light entry
 * of the optimizers alone (tfjs-core only).
 */
import { loadBackendNow, warnIfNativeMissing } from './backend.js';
import { createBuiltinOptimizer as createOnTfjsCore, type BuiltinOptimizerSpec } from './optimizers/index.js';

export * from './backend.js';
export * from './data/index.js';
export * from './models/index.js';
export * from './optimizers/index.js';

/**
 * `createBuiltinOptimizer` of `inertia/optimizers`, with the backend loaded first: tf.train's
 * optimizers make a tensor when built. (Named here, it takes the place of the re-exported one.)
 */
export function createBuiltinOptimizer(spec: BuiltinOptimizerSpec): ReturnType<typeof createOnTfjsCore> {
  loadBackendNow();
  return createOnTfjsCore(spec);
}

/**
 * Trains one model and writes its run folder (config.json, run.json, metrics.csv, loss plot);
 * returns the run's result. A diverged run is a result (`status: 'diverged'`), not an error.
 */
export {
  train,
  heldOutEvaluation,
  type TrainOptions,
  type RunResult,
  type SplitEvaluations,
  type TrainProgress,
} from './train/train.js';
/**
 * model.fit for any compiled tf.LayersModel (one input, one output), each step one compiled
 * TensorFlow call checked against the eager step: `await fit(model, x, y, { epochs, batchSize })`.
 */
export { fit, type FitOptions, type FitHistory } from './train/fit.js';
export type { FitCallbacks } from './train/fitCallbacks.js';
/** What `train(config, { data })` takes: batched tf.data.Datasets of `{ xs, ys }` (one-hot labels). */
export { type TrainData, type Batch } from './train/datasetRun.js';
/**
 * Every input of a training run and its defaults; `makeTrainConfig` fills in the defaults and
 * validates them (`train` checks the fields of the config it is given before writing anything).
 */
export {
  TRAIN_DEFAULTS,
  makeTrainConfig,
  type TrainConfig,
  type TrainConfigOverrides,
  type TrainOptimizerSpec,
} from './train/config.js';
/** Reads a run's config.json back as a TrainConfig, with the checks `inertia train --config` applies. */
export { readTrainConfigFile } from './train/configFile.js';

/** Reads a run folder (config.json, run.json, metrics.csv) back: the same for train, sweep and study runs. */
export { readRun, isRunFolder, type StoredRun } from './runs/readRun.js';
/** Reads a metrics.csv (long format: step, epoch, split, metric, value). */
export { readMetrics, type MetricRow, type Split } from './runs/metrics.js';
export type { RunRecord, RunStatus } from './runs/runFolder.js';

/** Runs (or resumes) the momentum/learning-rate study and writes its report; returns the verdicts. */
export { runStudy, type StudyOptions, type StudyResult, type StudyEvent } from './study/study.js';

/** Overlays any runs: one figure per metric, a tidy CSV and a final-metrics table (see `inertia compare`). */
export {
  compare,
  DEFAULT_COMPARE_METRICS,
  X_AXES,
  type CompareOptions,
  type CompareResult,
  type CompareFigure,
  type XAxis,
} from './compare/index.js';

/**
 * Charts: `lineChart` builds a Vega-Lite spec from plain objects, `writeChart` renders it to
 * SVG and PNG (and optionally saves the spec), `renderSvg`/`svgToPng` are the two steps.
 */
export { lineChart, writeChart, renderSvg, svgToPng, type LineChartOptions, type VegaLiteSpec } from './plot/chart.js';

/** inertia's version, and its git commit when it runs from its own checkout (null as an installed dependency). */
export { inertiaVersion, gitCommit } from './util/provenance.js';

/**
 * A tfjs callback for any `model.fit`/`fitDataset` that writes the run's folder as `inertia train`
 * does (config.json, run.json, metrics.csv, TensorBoard events, loss plot), for `compare` and `export`.
 */
export { inertiaLogger, InertiaLogger, type InertiaLoggerOptions } from './train/logger.js';

warnIfNativeMissing();
