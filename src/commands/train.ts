/** `inertia train`: one training run from command-line options, written to a run folder. */
import type { DatasetName } from '../data/index.js';
import type { ModelKind } from '../models/index.js';
import type { TrainConfig, TrainOptimizerSpec } from '../train/config.js';
import type { TrainArgs } from './trainOptions.js';
import { train, type RunResult } from '../train/train.js';
import { progressView } from './progress.js';

function parseHidden(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const sizes = text.split(',').map((part) => Number(part.trim()));
  if (sizes.length === 0 || sizes.some((size) => !Number.isInteger(size) || size <= 0)) {
    throw new Error(
      `Invalid --hidden value: ${JSON.stringify(text)} (expected positive integers separated by commas, e.g. 256,128)`,
    );
  }
  return sizes;
}

/** The TrainConfig that the options describe (only the optimizer fields that were given). */
export function configFromArgs(args: TrainArgs): TrainConfig {
  if (args.hidden !== undefined && args.model !== 'mlp') {
    throw new Error(`--hidden applies to the mlp model only (got --model ${args.model})`);
  }
  const optimizer = { kind: args.optimizer } as Record<string, unknown>;
  if (args.lr !== undefined) optimizer.learningRate = args.lr;
  if (args.momentum !== undefined) optimizer.momentum = args.momentum;
  if (args['gradient-steps'] !== undefined) optimizer.gradientSteps = args['gradient-steps'];
  return {
    dataset: args.dataset as DatasetName,
    dataDir: args['data-dir'],
    trainLimit: args['train-limit'],
    testLimit: args['test-limit'],
    model: args.model as ModelKind,
    hidden: parseHidden(args.hidden),
    optimizer: optimizer as unknown as TrainOptimizerSpec,
    epochs: args.epochs,
    batchSize: args['batch-size'],
    seed: args.seed,
    lossScale: args['loss-scale'],
    loss: args.loss,
    reduction: args.reduction,
    mode: args.keras ? 'keras' : 'custom',
    logEvery: args['log-every'],
    normEvery: args['norm-every'],
    divergenceBound: 100,
    evalBatchSize: 1000,
    maxSteps: args['max-steps'],
  };
}

export function formatResult(result: RunResult): string {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const verdict = result.status === 'diverged' ? `DIVERGED at step ${result.divergedAtStep}` : 'completed';
  return [
    `${result.id}: ${verdict} after ${result.steps} steps in ${result.seconds.toFixed(1)} s (${Math.round(result.samplesPerSecond)} samples/s)`,
    `  test accuracy ${pct(result.final.test.accuracy)}, test loss ${result.final.test.loss.toFixed(4)}, train loss ${result.final.train.loss.toFixed(4)}`,
    `  written to ${result.dir}`,
  ].join('\n');
}

export async function trainCommand(args: TrainArgs): Promise<RunResult> {
  const config = configFromArgs(args);
  const view = progressView({
    quiet: args.quiet,
    format: 'epoch {epoch}/{epochs} |{bar}| step {value}/{total} | loss {loss} | {sps} samples/s | ETA {eta_formatted}',
  });
  try {
    return await train(config, {
      outRoot: args.out,
      runId: args['run-id'],
      onProgress: (p) => {
        const fields = {
          epoch: String(p.epoch),
          epochs: String(p.epochs),
          loss: p.loss === null ? '-' : p.loss.toFixed(4),
          sps: p.samplesPerSecond === null ? '-' : String(Math.round(p.samplesPerSecond)),
        };
        view.update(p.step, p.totalSteps, fields);
        if (p.samplesPerSecond !== null)
          view.line(`epoch ${p.epoch}/${p.epochs}: train loss ${fields.loss}, ${fields.sps} samples/s`);
      },
    });
  } finally {
    view.stop();
  }
}
