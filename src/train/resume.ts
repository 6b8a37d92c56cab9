/**
 * Resuming an interrupted run from its newest checkpoint, bit for bit: the run is rebuilt from
 * its config.json (the same seeded model, optimizer and data), the checkpoint's weights and
 * optimizer state (its iteration count included) are put back, and the loop counts its steps
 * on from the checkpoint's while the data order skips the epochs already trained (runEpochs'
 * `resumed`). metrics.csv keeps its rows up to the checkpoint's epoch; the run
 * then trains the remaining epochs exactly as it would have without the interruption, so
 * its metrics.csv (but for the timing rows) and final weights are those of an uninterrupted run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readMetrics } from '../runs/metrics.js';
import { RunFolder } from '../runs/runFolder.js';
import { UserError } from '../util/errors.js';
import { stableJson } from '../util/json.js';
import { checkConfigFields } from './configFile.js';
import { checkpointEpochs, disposeCheckpoint, readCheckpoint, restoreCheckpoint } from './checkpoint.js';
import { makeOptimizer, makeTrainConfig, type TrainConfig } from './config.js';
import { disposeSession, prepareSession, runEpochs } from './session.js';
import {
  checkpointAfterEpoch,
  runDataset,
  runDataFacts,
  trainInFolder,
  type RunResult,
  type TrainOptions,
} from './train.js';

/** What resuming takes: the options of `train` that are about the process, not the run. */
export type ResumeOptions = Pick<
  TrainOptions,
  'dataset' | 'onProgress' | 'command' | 'plot' | 'tensorboard' | 'compile'
>;

/** The config.json of the run in `dir`, as the TrainConfig it was trained with. */
function storedConfig(dir: string): { config: TrainConfig; data: unknown } {
  const file = path.join(dir, 'config.json');
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new UserError(`Cannot resume ${dir}: ${file} is unreadable (${(error as Error).message})`);
  }
  if (parsed.layers !== undefined || parsed.dataset === 'tf.data.Dataset') {
    throw new UserError(
      `Cannot resume ${dir}: it trained a model or data given in code; resume it from code, with the same model and data`,
    );
  }
  const { layers: _layers, ...fields } = parsed;
  return { config: makeTrainConfig(checkConfigFields(fields, file)), data: parsed.data };
}

/**
 * Continues the unfinished run in `dir` from its newest checkpoint and finishes it in the same
 * folder. Refuses a finished run, a run still being written, and one without a checkpoint.
 */
export async function resumeRun(dir: string, options: ResumeOptions = {}): Promise<RunResult> {
  if (!fs.existsSync(path.join(dir, 'run.json'))) {
    throw new UserError(`${dir} is not a run folder (it has no run.json); pass the folder of a run`);
  }
  const { config, data: storedData } = storedConfig(dir);
  if (config.checkpoint === undefined) {
    throw new UserError(
      `Cannot resume ${dir}: it was trained without checkpoints; train it again with --checkpoint last (or every-epoch, best)`,
    );
  }
  const epoch = checkpointEpochs(dir).at(-1);
  if (epoch === undefined) {
    throw new UserError(
      `Cannot resume ${dir}: it has no checkpoint yet (it stopped during its first epoch); train it again`,
    );
  }
  const data = await runDataset(config, options.dataset);
  if (stableJson(runDataFacts(data)) !== stableJson(storedData)) {
    throw new UserError(
      `Cannot resume ${dir}: the data differ from the ones it trained on (config.json's "data"); pass the same dataset and data folder`,
    );
  }
  const checkpoint = readCheckpoint(dir, epoch);
  const runId = path.basename(dir);
  let folder: RunFolder;
  try {
    folder = RunFolder.reopen(dir, { fromEpoch: epoch, ...(options.command ? { command: options.command } : {}) });
  } catch (error) {
    disposeCheckpoint(checkpoint);
    throw error;
  }
  const rows = readMetrics(folder.metrics.path);
  const trainOptions: TrainOptions = { ...options, outRoot: path.dirname(dir), runId };
  return trainInFolder(
    folder,
    { runId, config },
    trainOptions,
    async (sinks) => {
      const optimizer = makeOptimizer(config.optimizer);
      const session = prepareSession(config, data.dataset, {
        compile: options.compile,
        onProgress: options.onProgress,
        optimizer,
        runId,
        heldOutName: data.heldOutName,
      });
      try {
        await restoreCheckpoint(session, checkpoint);
        return await runEpochs(session, sinks, {
          resumed: { rows, epoch, step: checkpoint.facts.step },
          afterEpoch: checkpointAfterEpoch(dir, config, session),
        });
      } finally {
        disposeSession(session);
      }
    },
    rows,
  );
}
