/**
 * The custom loop of a run: minibatches of `batchSize` examples in the epoch's data order, one
 * optimizer step each. The built-in step is given the batch's rows in the training data held
 * whole on the device, so selecting the batch is part of the compiled step (trainingStep.ts);
 * on the first step and every `normEvery` steps it is the measured step, which also returns
 * the gradient, update and velocity norms (a compiled function of its own). Both take the
 * step's seed as their last input, which the model's random layers (Dropout) draw from
 * (stepSeed.ts): new masks every step, the same ones for the same run seed. A step given by
 * the caller (`TrainStep`) gets the batch itself and runs as it is written.
 *
 * Every step's loss stays a tensor until the recorder reads the pending values back, every
 * `logEvery` steps and at the end of the epoch; divergence is checked on what was read.
 */
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../backend.js';
import type { MetricRow } from '../runs/metrics.js';
import { stepSeedTensor } from '../graph/compile.js';
import type { CompileMode } from '../graph/compileMode.js';
import type { StepMode, VerifiedStep } from '../graph/verifiedStep.js';
import type { TrainConfig } from './config.js';
import { gatherRows, type DeviceData } from './deviceData.js';
import { firstDivergence, type LossReport, type TrainingLoop } from './loop.js';
import { objectiveScale } from './objective.js';
import { deriveSeed } from '../util/random.js';
import { ScalarRecorder } from './recorder.js';
import { MEASURED_NORMS, measuredStep, plainStep, verifiedTrainingStep, type StepParts } from './trainingStep.js';

/** What a step given by the caller works with; it records its metrics in `recorder` at `step`. */
export interface StepScope {
  config: TrainConfig;
  model: TF.LayersModel;
  optimizer: TF.Optimizer;
  variables: TF.Variable[];
  /** The training loss of a batch (its mean per example), before {@link objectiveScale}. */
  loss: (x: TF.Tensor, y: TF.Tensor) => TF.Scalar;
  recorder: ScalarRecorder;
  /** This step's number (1 for the run's first). */
  step: number;
}

/** One optimizer step of the custom loop on the batch (x, y). */
export type TrainStep = (scope: StepScope, epoch: number, x: TF.Tensor, y: TF.Tensor) => void;

export interface CustomLoopOptions {
  config: TrainConfig;
  data: DeviceData;
  model: TF.LayersModel;
  /** The training loss of a batch (its mean per example). */
  loss: (x: TF.Tensor, y: TF.Tensor) => TF.Scalar;
  /** The built-in step's parts (its objective is `loss` scaled). */
  parts: StepParts;
  compile: CompileMode;
  /** A step given by the caller instead of the built-in one (which then does not compile). */
  trainStep?: TrainStep;
  report: LossReport;
  /** The rows of an evaluation of the held-out split after `step` (every `evalEvery` steps inside an epoch). */
  heldOutRows?: (epoch: number, step: number) => MetricRow[];
}

/** How long the loop runs steps without giving the event loop a turn. */
const YIELD_EVERY_MS = 25;

/**
 * Gives the event loop a turn (at most every {@link YIELD_EVERY_MS}), so that a stop signal,
 * a timer or an IPC message is handled between two steps rather than after the epoch.
 */
function eventLoopTurn(last: { at: number }): Promise<void> | undefined {
  const now = performance.now();
  if (now - last.at < YIELD_EVERY_MS) return undefined;
  last.at = now;
  return new Promise((resolve) => setImmediate(resolve));
}

export class CustomLoop implements TrainingLoop {
  steps = 0;
  private readonly recorder = new ScalarRecorder();
  /** The built-in step, and the same step measuring the norms. */
  private readonly plain: VerifiedStep;
  private readonly measured: VerifiedStep;

  constructor(private readonly options: CustomLoopOptions) {
    const { parts, compile } = options;
    this.plain = verifiedTrainingStep(plainStep(parts), parts.optimizer, compile);
    this.measured = verifiedTrainingStep(measuredStep(parts), parts.optimizer, compile);
  }

  async epoch(epoch: number, order: Int32Array, rows: MetricRow[]): Promise<number | null> {
    const { config } = this.options;
    const lastTurn = { at: performance.now() };
    for (let start = 0; start < order.length; start += config.batchSize) {
      await eventLoopTurn(lastTurn);
      if (config.maxSteps !== undefined && this.steps >= config.maxSteps) break;
      this.steps += 1;
      const indices = order.subarray(start, Math.min(start + config.batchSize, order.length));
      tf.tidy(() => this.step(epoch, tf.tensor1d(indices, 'int32')));
      const logNow = this.steps % config.logEvery === 0;
      // The epoch's last step is evaluated after the epoch anyway.
      const evaluateNow =
        config.evalEvery !== undefined &&
        this.options.heldOutRows !== undefined &&
        this.steps % config.evalEvery === 0 &&
        start + config.batchSize < order.length;
      if (logNow || evaluateNow) {
        const flushed = this.recorder.flush();
        rows.push(...flushed);
        const diverged = firstDivergence(flushed, config.divergenceBound);
        if (diverged !== null) return diverged;
        const last = flushed.filter((r) => r.metric === 'batch_loss').at(-1);
        if (last && logNow) this.options.report(epoch, this.steps, last.value);
      }
      if (evaluateNow) rows.push(...this.options.heldOutRows!(epoch, this.steps));
    }
    const flushed = this.recorder.flush();
    rows.push(...flushed);
    return firstDivergence(flushed, config.divergenceBound);
  }

  startAt(step: number): void {
    this.steps = step;
  }

  /**
   * The built-in steps' mode: whether the unmeasured ones ran compiled, and the first reason
   * either kind fell back.
   */
  get stepMode(): StepMode {
    const plain = this.plain.mode;
    return { ...plain, fallback: plain.fallback ?? this.measured.mode.fallback };
  }

  dispose(): void {
    this.recorder.dispose();
    this.plain.dispose();
    this.measured.dispose();
  }

  /** Step `this.steps` on the batch of `rows`: the caller's step, or the built-in one (measured or not). */
  private step(epoch: number, rows: TF.Tensor1D): void {
    const { config, data, trainStep } = this.options;
    const step = this.steps;
    if (trainStep !== undefined) {
      const { model, loss, parts } = this.options;
      const scope = {
        config,
        model,
        optimizer: parts.optimizer,
        variables: parts.variables,
        loss,
        recorder: this.recorder,
        step,
      };
      trainStep(scope, epoch, gatherRows(data.trainX, rows), gatherRows(data.trainOneHot, rows));
      return;
    }
    const measure = config.normEvery > 0 && (step === 1 || step % config.normEvery === 0);
    // The step seed of the model's random layers (Dropout): new masks every step, from the run's seed.
    const seed = stepSeedTensor(deriveSeed(config.seed, 'train masks'), step);
    const inputs = [rows, data.trainX, data.trainOneHot, seed];
    const [value, ...norms] = (measure ? this.measured : this.plain).run(inputs) as TF.Scalar[];
    this.recorder.add(step, epoch, 'train', 'batch_loss', value, 1 / objectiveScale(config, rows.shape[0]));
    norms.forEach((norm, i) => this.recorder.add(step, epoch, 'train', MEASURED_NORMS[i], norm));
  }
}
