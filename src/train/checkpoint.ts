/**
 * Checkpoints of a run: after an epoch, the model's weights (trainable and not: batch-norm
 * statistics too) and the optimizer's weights (`optimizer.getWeights()`: the iteration count
 * and every state slot, the layout `model.save(..., { includeOptimizer: true })` writes) are
 * written to `checkpoints/epoch-<n>/` in the run folder as a TensorFlow.js model folder:
 * `model.json` (topology, weights manifest with the optimizer's weights in the `optimizer`
 * group, and inertia's facts under `userDefinedMetadata.inertia`) and `weights.bin`. The
 * folder is written under a temporary name and renamed into place, so a checkpoint is
 * either complete or absent. `tf.loadLayersModel('file://.../model.json')` loads its model.
 *
 * Which checkpoints are kept (`checkpoint` of the config):
 * - `every-epoch`: every epoch's;
 * - `last`: the newest only;
 * - `best`: the newest and the one with the best value of the monitored metric while the run
 *   trains (the newest is what a resumed run continues from), the best only once it has finished.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../backend.js';
import type { MetricRow } from '../runs/metrics.js';
import { UserError } from '../util/errors.js';
import { makeFolder, onFile, writeFileAtomic } from '../util/fs.js';
import { stableJson } from '../util/json.js';
import { bestEpoch } from './earlyStop.js';
import type { CheckpointMode } from './defaults.js';

/** The folder of a run folder that holds its checkpoints. */
export const CHECKPOINTS_FOLDER = 'checkpoints';

const FORMAT = 'inertia-checkpoint-1';

/** What a checkpoint records besides the tensors (model.json's `userDefinedMetadata.inertia`). */
export interface CheckpointFacts {
  format: typeof FORMAT;
  /** Epochs trained when it was written. */
  epoch: number;
  /** Optimizer steps taken when it was written. */
  step: number;
  /** The registered names of the model's trainable variables (what the optimizer's state is keyed by), in order. */
  variables: string[];
  /** Bytes of weights.bin that hold the model's weights (the optimizer's follow). */
  modelBytes: number;
  /** SHA-256 of weights.bin. */
  sha256: string;
}

/** What a run keeps from a model and an optimizer to checkpoint and restore them. */
export interface Checkpointed {
  model: TF.LayersModel;
  optimizer: TF.Optimizer;
  /** The model's trainable variables as the optimizer sees them (session.variables). */
  variables: readonly TF.Variable[];
}

/** What run.json records about a run's checkpoints (`checkpoints`). */
export interface CheckpointRecord {
  mode: CheckpointMode;
  /** The metric `best` chooses by. */
  metric?: string;
  /** The checkpoint folders kept, relative to the run folder, with their epochs. */
  kept: { epoch: number; path: string }[];
  best?: { epoch: number; value: number; path: string };
}

function epochFolder(epoch: number): string {
  return `epoch-${epoch}`;
}

/** The epochs of the checkpoint folders under `dir` (complete ones: temporary folders are skipped), ascending. */
export function checkpointEpochs(runDir: string): number[] {
  const dir = path.join(runDir, CHECKPOINTS_FOLDER);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .map((name) => /^epoch-(\d+)$/.exec(name))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => Number(match[1]))
    .sort((a, b) => a - b);
}

function specsBytes(specs: readonly TF.io.WeightsManifestEntry[]): number {
  const sizes: Record<string, number> = { float32: 4, int32: 4, bool: 1 };
  return specs.reduce((sum, spec) => sum + spec.shape.reduce((n, d) => n * d, 1) * (sizes[spec.dtype] ?? 4), 0);
}

/**
 * Writes the checkpoint of `epoch` into `runDir/checkpoints/epoch-<epoch>/` (a folder of that
 * name left by an earlier attempt is replaced). Returns its path relative to the run folder.
 */
export async function writeCheckpoint(
  runDir: string,
  run: Checkpointed,
  position: { epoch: number; step: number },
): Promise<string> {
  const { model, optimizer, variables } = run;
  const modelWeights = model.weights.map((weight) => ({ name: weight.originalName, tensor: weight.read() }));
  const optimizerWeights = await optimizer.getWeights();
  const encodedModel = await tf.io.encodeWeights(modelWeights);
  const encodedOptimizer = await tf.io.encodeWeights(optimizerWeights, 'optimizer');
  const bytes = Buffer.concat([
    Buffer.from(encodedModel.data as ArrayBuffer),
    Buffer.from(encodedOptimizer.data as ArrayBuffer),
  ]);
  const facts: CheckpointFacts = {
    format: FORMAT,
    epoch: position.epoch,
    step: position.step,
    variables: variables.map((variable) => variable.name),
    modelBytes: (encodedModel.data as ArrayBuffer).byteLength,
    sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
  };
  const modelJson = {
    format: 'layers-model',
    generatedBy: 'inertia',
    convertedBy: null,
    modelTopology: model.toJSON(null, false),
    weightsManifest: [{ paths: ['weights.bin'], weights: [...encodedModel.specs, ...encodedOptimizer.specs] }],
    userDefinedMetadata: { inertia: facts },
  };
  const folder = path.join(runDir, CHECKPOINTS_FOLDER);
  makeFolder(folder);
  const name = epochFolder(position.epoch);
  const temporary = path.join(folder, `.${name}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
  const target = path.join(folder, name);
  onFile(temporary, () => fs.mkdirSync(temporary));
  try {
    writeFileAtomic(path.join(temporary, 'weights.bin'), bytes);
    writeFileAtomic(path.join(temporary, 'model.json'), stableJson(modelJson));
    onFile(target, () => fs.rmSync(target, { recursive: true, force: true }));
    onFile(target, () => fs.renameSync(temporary, target));
  } catch (error) {
    fs.rmSync(temporary, { recursive: true, force: true });
    throw error;
  }
  return path.join(CHECKPOINTS_FOLDER, name);
}

/** A tensor with the name it is saved under. */
interface NamedWeight {
  name: string;
  tensor: TF.Tensor;
}

/** A checkpoint read back: its facts and its tensors (the caller disposes them). */
export interface LoadedCheckpoint {
  facts: CheckpointFacts;
  path: string;
  modelWeights: NamedWeight[];
  optimizerWeights: NamedWeight[];
}

/** Reads and verifies `runDir/checkpoints/epoch-<epoch>/`; throws a UserError saying what is wrong. */
export function readCheckpoint(runDir: string, epoch: number): LoadedCheckpoint {
  const relative = path.join(CHECKPOINTS_FOLDER, epochFolder(epoch));
  const dir = path.join(runDir, relative);
  let parsed: {
    weightsManifest: { weights: TF.io.WeightsManifestEntry[] }[];
    userDefinedMetadata?: { inertia?: CheckpointFacts };
  };
  let bytes: Buffer;
  try {
    parsed = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    bytes = fs.readFileSync(path.join(dir, 'weights.bin'));
  } catch (error) {
    throw new UserError(
      `Checkpoint ${dir} is unreadable (${(error as Error).message}); remove it to resume from an earlier one`,
    );
  }
  const facts = parsed.userDefinedMetadata?.inertia;
  if (facts?.format !== FORMAT) throw new UserError(`${dir}/model.json is not an inertia checkpoint (${FORMAT})`);
  if (crypto.createHash('sha256').update(bytes).digest('hex') !== facts.sha256) {
    throw new UserError(
      `${dir}/weights.bin does not match its SHA-256 in model.json; remove the folder to resume from an earlier checkpoint`,
    );
  }
  const specs = parsed.weightsManifest.flatMap((group) => group.weights);
  const modelSpecs = specs.filter((spec) => spec.group !== 'optimizer');
  const optimizerSpecs = specs.filter((spec) => spec.group === 'optimizer');
  if (specsBytes(modelSpecs) !== facts.modelBytes) {
    throw new UserError(`${dir}/model.json's weights do not add up to the ${facts.modelBytes} bytes it records`);
  }
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const decode = (data: ArrayBuffer, entries: TF.io.WeightsManifestEntry[]): NamedWeight[] => {
    const map = tf.io.decodeWeights(data, entries);
    return entries.map((spec) => ({ name: spec.name, tensor: map[spec.name] }));
  };
  return {
    facts,
    path: relative,
    modelWeights: decode(buffer.slice(0, facts.modelBytes), modelSpecs),
    optimizerWeights: decode(buffer.slice(facts.modelBytes), optimizerSpecs),
  };
}

/**
 * `name` with the saved variable name it starts with replaced by the current one: optimizer
 * weights are `<variable>/<slot>` (or `iter`, `#global/<slot>`), and a model built again in
 * another process may have other layer numbers in its variable names.
 */
function renamed(name: string, renames: readonly [string, string][]): string {
  for (const [saved, current] of renames) {
    if (name === saved || name.startsWith(`${saved}/`)) return current + name.slice(saved.length);
  }
  return name;
}

/**
 * Puts a checkpoint's weights into the model and the optimizer of a run of the same config
 * (matched by position: the same architecture lists its weights in the same order), after
 * checking that every shape fits. Disposes the checkpoint's tensors.
 */
export async function restoreCheckpoint(run: Checkpointed, checkpoint: LoadedCheckpoint): Promise<void> {
  const { model, optimizer, variables } = run;
  try {
    const weights = model.weights;
    const saved = checkpoint.modelWeights;
    const misfit =
      saved.length !== weights.length
        ? `it holds ${saved.length} weights, the model has ${weights.length}`
        : saved
            .map((entry, i) => ({ entry, weight: weights[i] }))
            .filter(({ entry, weight }) => entry.tensor.shape.join(',') !== weight.shape.join(','))
            .map(
              ({ entry, weight }) =>
                `${entry.name} [${entry.tensor.shape}] vs ${weight.originalName} [${weight.shape}]`,
            )
            .join('; ');
    if (misfit !== '' || checkpoint.facts.variables.length !== variables.length) {
      throw new UserError(
        `Checkpoint ${checkpoint.path} does not fit this run's model (${misfit || 'other trainable variables'}); was config.json changed?`,
      );
    }
    model.setWeights(saved.map((entry) => entry.tensor));
    const renames = checkpoint.facts.variables
      .map((name, i): [string, string] => [name, variables[i].name])
      .sort((a, b) => b[0].length - a[0].length);
    await optimizer.setWeights(
      checkpoint.optimizerWeights.map(({ name, tensor }) => ({ name: renamed(name, renames), tensor })),
    );
  } finally {
    disposeCheckpoint(checkpoint);
  }
}

/** Frees a read checkpoint's tensors. */
export function disposeCheckpoint(checkpoint: LoadedCheckpoint): void {
  tf.dispose([...checkpoint.modelWeights, ...checkpoint.optimizerWeights].map((entry) => entry.tensor));
}

/** The metric `best` keeps the checkpoint of: the early-stop metric, else the held-out loss. */
export function checkpointMetric(earlyStopMetric: string | undefined, heldOut: string): string {
  return earlyStopMetric ?? `${heldOut}/loss`;
}

/** The checkpoints to keep under `mode` after the epochs in `rows`, newest last. */
function keptEpochs(mode: CheckpointMode, epochs: readonly number[], best: number | null, finished: boolean): number[] {
  if (mode === 'every-epoch') return [...epochs];
  const newest = epochs.at(-1);
  if (mode === 'last') return newest === undefined ? [] : [newest];
  const keep = new Set<number>();
  if (best !== null && epochs.includes(best)) keep.add(best);
  if (!finished && newest !== undefined) keep.add(newest);
  return [...keep].sort((a, b) => a - b);
}

/**
 * Removes the checkpoints `mode` does not keep (after the epochs of `rows`; `finished`: the
 * run has ended) and returns what run.json records about the rest.
 */
export function pruneCheckpoints(
  runDir: string,
  mode: CheckpointMode,
  metric: string,
  rows: readonly MetricRow[],
  finished: boolean,
): CheckpointRecord {
  const epochs = checkpointEpochs(runDir);
  const best = mode === 'best' ? bestEpoch(rows, metric) : null;
  const kept = keptEpochs(mode, epochs, best?.epoch ?? null, finished);
  for (const epoch of epochs) {
    if (kept.includes(epoch)) continue;
    const dir = path.join(runDir, CHECKPOINTS_FOLDER, epochFolder(epoch));
    onFile(dir, () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  const where = (epoch: number) => path.join(CHECKPOINTS_FOLDER, epochFolder(epoch));
  return {
    mode,
    ...(mode === 'best' ? { metric } : {}),
    kept: kept.map((epoch) => ({ epoch, path: where(epoch) })),
    ...(best !== null && kept.includes(best.epoch)
      ? { best: { epoch: best.epoch, value: best.value, path: where(best.epoch) } }
      : {}),
  };
}
