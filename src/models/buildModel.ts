/**
 * The three classifiers of the study. Every model outputs logits (no softmax), takes
 * 28x28x1 images, and is initialised deterministically from its seed:
 *
 * - `logreg`: flatten -> dense1(10).
 * - `mlp`: flatten -> dense1(h1, ReLU) -> ... -> denseK(hK, ReLU) -> denseK+1(10);
 *   hidden sizes default to [256, 128].
 * - `cnn`: a small 2-conv/2-dense network in the spirit of DeepOBS's fmnist_2c2d (which has
 *   5x5 'same' convs of 32 and 64 filters and a 1024-unit dense layer, 3.3M parameters),
 *   shrunk to train fast on two CPU cores: conv1 5x5x16 'valid' ReLU (24x24) -> pool1 2x2
 *   (12x12) -> conv2 5x5x32 'valid' ReLU (8x8) -> pool2 2x2 (4x4x32) -> flatten ->
 *   dense1(128, ReLU) -> dense2(10); 80,202 parameters. 'valid' padding (LeNet-5's choice)
 *   halves the cost of a training step against 'same' (measured on the tensorflow backend:
 *   about 130 vs 255 ms of CPU per batch of 128).
 *
 * Kernels use Glorot-uniform (Keras's default) with a seed derived from the model seed and the
 * layer name; biases start at zero. tfjs draws seeded random numbers in JS (tfjs-core's
 * seedrandom), so the initial weights are bit-identical on the cpu and tensorflow backends.
 *
 * Variables are renamed to `<layer>/<weight>` (e.g. `dense1/kernel`): tfjs-layers appends
 * `_1`, `_2`, ... to a name once it has been used in the process, even after the first model
 * was disposed, and optimizers key their state by variable name. The stable name is taken only
 * when no live variable holds it; a second model built while the first is still alive keeps
 * tfjs's suffixed names, so dispose a model when its run ends.
 */
import os from 'node:os';
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../backend.js';
import { checkSeed, deriveSeed } from '../util/random.js';
import { UserError } from '../util/errors.js';
import { formatBytes, formatNumber } from '../util/format.js';

export { MODEL_KINDS, type ModelKind } from './kinds.js';
import { MODEL_KINDS, type ModelKind } from './kinds.js';
export const DEFAULT_HIDDEN: readonly number[] = [256, 128];

export interface ModelSpec {
  kind: ModelKind;
  /** Hidden layer sizes of `mlp` (default [256, 128]); not allowed for the other kinds. */
  hidden?: number[];
  /** Seed of the initial weights: an integer in [0, 2^32). */
  seed: number;
}

/** Checks a spec and fills in defaults; the messages say what to change. */
export function resolveModelSpec(spec: ModelSpec): Required<ModelSpec> {
  if (!(MODEL_KINDS as readonly string[]).includes(spec.kind)) {
    throw new UserError(`Unknown model ${JSON.stringify(spec.kind)} (expected one of: ${MODEL_KINDS.join(', ')})`);
  }
  checkSeed(spec.seed);
  if (spec.kind !== 'mlp') {
    if (spec.hidden !== undefined)
      throw new UserError(`Hidden sizes apply to the mlp model only; drop --hidden for ${spec.kind}`);
    return { ...spec, hidden: [] };
  }
  const hidden = spec.hidden ?? [...DEFAULT_HIDDEN];
  if (hidden.length === 0 || hidden.some((units) => !Number.isInteger(units) || units < 1)) {
    throw new UserError(
      `Invalid hidden sizes: ${JSON.stringify(hidden)} (expected one or more positive integers, e.g. 256,128)`,
    );
  }
  checkModelSize(hidden);
  return { ...spec, hidden: [...hidden] };
}

/** The most parameters an mlp may have: 50 million (200 MB of float32 weights; the default has 235,146). */
export const MAX_MODEL_PARAMETERS = 50_000_000;
/**
 * Float32 copies of the parameters a run holds at once, for the memory estimate: the weights,
 * their gradients, up to three optimizer buffers (Adam's two moments, Prodigy's more) and one
 * temporary of the update.
 */
const PARAMETER_COPIES = 6;

/** Weights and biases of an mlp on 28x28 images with 10 classes: sum of (in + 1) x out per dense layer. */
export function mlpParameterCount(hidden: readonly number[], inputs = 28 * 28, classes = 10): number {
  const sizes = [inputs, ...hidden, classes];
  let count = 0;
  for (let i = 1; i < sizes.length; i++) count += (sizes[i - 1] + 1) * sizes[i];
  return count;
}

/**
 * Refuses, before TensorFlow allocates anything, an mlp with more than
 * {@link MAX_MODEL_PARAMETERS} parameters or one whose training would need more than the
 * machine's memory.
 */
function checkModelSize(hidden: readonly number[], totalMemory = os.totalmem()): void {
  const parameters = mlpParameterCount(hidden);
  const bytes = parameters * 4 * PARAMETER_COPIES;
  if (parameters <= MAX_MODEL_PARAMETERS && bytes <= totalMemory) return;
  throw new UserError(
    `The mlp with hidden sizes ${hidden.join(',')} has ${formatNumber(parameters)} parameters and needs about ${formatBytes(bytes)} to train ` +
      `(at most ${formatNumber(MAX_MODEL_PARAMETERS)} parameters, and no more than this machine's ${formatBytes(totalMemory)}); choose smaller --hidden sizes`,
  );
}

type Layer = TF.layers.Layer;

function seededKernel(seed: number, layerName: string) {
  return tf.initializers.glorotUniform({ seed: deriveSeed(seed, layerName) });
}

function dense(name: string, units: number, activation: 'relu' | 'linear', seed: number): Layer {
  return tf.layers.dense({
    name,
    units,
    activation,
    kernelInitializer: seededKernel(seed, name),
    biasInitializer: 'zeros',
  });
}

function conv(name: string, filters: number, seed: number): Layer {
  return tf.layers.conv2d({
    name,
    filters,
    kernelSize: 5,
    padding: 'valid',
    activation: 'relu',
    kernelInitializer: seededKernel(seed, name),
    biasInitializer: 'zeros',
  });
}

function layersFor(spec: Required<ModelSpec>, numClasses: number): Layer[] {
  switch (spec.kind) {
    case 'logreg':
      return [tf.layers.flatten({ name: 'flatten' }), dense('dense1', numClasses, 'linear', spec.seed)];
    case 'mlp':
      return [
        tf.layers.flatten({ name: 'flatten' }),
        ...spec.hidden.map((units, i) => dense(`dense${i + 1}`, units, 'relu', spec.seed)),
        dense(`dense${spec.hidden.length + 1}`, numClasses, 'linear', spec.seed),
      ];
    case 'cnn':
      return [
        conv('conv1', 16, spec.seed),
        tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }),
        conv('conv2', 32, spec.seed),
        tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2 }),
        tf.layers.flatten({ name: 'flatten' }),
        dense('dense1', 128, 'relu', spec.seed),
        dense('dense2', numClasses, 'linear', spec.seed),
      ];
  }
}

/**
 * Renames each weight's variable to its unsuffixed name (`dense1/kernel`) when that name is
 * free in the engine. The new variable shares the old one's data (no copy).
 */
function stabiliseVariableNames(model: TF.Sequential): void {
  const registered = tf.engine().registeredVariables;
  for (const weight of model.weights) {
    const layerVariable = weight as unknown as {
      name: string;
      originalName: string;
      val: TF.Variable;
      trainable: boolean;
    };
    const stable = layerVariable.originalName;
    if (layerVariable.name === stable || stable in registered) continue;
    const old = layerVariable.val;
    layerVariable.val = tf.variable(old, old.trainable, stable, old.dtype);
    layerVariable.name = stable;
    old.dispose();
  }
}

/** Builds the model of `spec`; it outputs logits. Same spec, same initial weights. */
export function buildModel(spec: ModelSpec, imageShape: [28, 28, 1] = [28, 28, 1], numClasses = 10): TF.Sequential {
  const resolved = resolveModelSpec(spec);
  const model = tf.sequential({ name: resolved.kind });
  const layers = layersFor(resolved, numClasses);
  model.add(tf.layers.inputLayer({ name: 'input', inputShape: imageShape }));
  for (const layer of layers) model.add(layer);
  stabiliseVariableNames(model);
  return model;
}
