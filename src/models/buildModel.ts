/**
 * The classifiers of the study. Every model outputs logits (no softmax), takes 28x28x1 images,
 * and is initialised deterministically from its seed:
 *
 * - `logreg`: flatten -> dense1(10).
 * - `mlp`: flatten -> dense1(h1, ReLU) -> ... -> denseK(hK, ReLU) -> denseK+1(10);
 *   hidden sizes default to [256, 128].
 * - `deep-mlp`: the mlp with eight hidden layers of 256 (dense1..dense8, dense9(10));
 *   664,074 parameters. Exactly `mlp` with `hidden: [256 x 8]` (same layers, same weights).
 * - `wide-mlp`: the mlp with hidden layers of 2048 and 1024; 3,716,106 parameters. Exactly
 *   `mlp` with `hidden: [2048, 1024]`. The two named mlps let one `model` axis of a sweep
 *   span every architecture (the hidden sizes apply to `mlp` only).
 * - `cnn`: a small 2-conv/2-dense network in the spirit of DeepOBS's fmnist_2c2d (which has
 *   5x5 'same' convs of 32 and 64 filters and a 1024-unit dense layer, 3.3M parameters),
 *   shrunk to train fast on two CPU cores: conv1 5x5x16 'valid' ReLU (24x24) -> pool1 2x2
 *   (12x12) -> conv2 5x5x32 'valid' ReLU (8x8) -> pool2 2x2 (4x4x32) -> flatten ->
 *   dense1(128, ReLU) -> dense2(10); 80,202 parameters. 'valid' padding (LeNet-5's choice)
 *   halves the cost of a training step against 'same' (measured on the tensorflow backend:
 *   about 130 vs 255 ms of CPU per batch of 128).
 * - `cnn-bn`: the cnn with BatchNormalization between each hidden layer's affine map and its
 *   ReLU (conv1 -> bn1 -> relu1 -> pool1 -> conv2 -> bn2 -> relu2 -> pool2 -> flatten ->
 *   dense1 -> bn3 -> relu3 -> dense2); the layers before a normalisation have no bias (its
 *   beta is one). 80,378 trainable parameters, plus 352 moving statistics. tfjs-layers'
 *   defaults: momentum 0.99, epsilon 1e-3; in training (`apply(x, { training: true })`, as
 *   model.fit calls it) a layer normalises by the batch's mean and (biased) variance and moves
 *   `moving_mean` and `moving_variance` towards them: m <- m - (1 - 0.99) (m - batch value);
 *   in inference it normalises by the moving statistics.
 * - `res-mlp`: a pre-norm residual mlp with LayerNormalization: flatten -> dense1(256, ReLU)
 *   -> two blocks x + block{k}_dense2(ReLU(block{k}_dense1(LN(x)))) of width 256 -> LN ->
 *   dense2(10); 468,234 parameters. LayerNormalization (layerNorm.ts: tfjs-layers' function,
 *   epsilon 1e-3, in plain kernels) normalises each example over its 256 features and has no
 *   moving statistics.
 *
 * Kernels use Glorot-uniform (Keras's default) unless the spec's `init` says otherwise (He-uniform,
 * or Glorot-uniform x 0.1: kinds.ts), with a seed derived from the model seed and the layer name;
 * biases start at zero. tfjs draws seeded random numbers in JS (tfjs-core's seedrandom), so the
 * initial weights are bit-identical on the cpu and tensorflow backends.
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
import { LayerNorm } from './layerNorm.js';

export { INIT_KINDS, MODEL_KINDS, type InitKind, type ModelKind } from './kinds.js';
import { INIT_KINDS, MODEL_KINDS, type InitKind, type ModelKind } from './kinds.js';
export const DEFAULT_HIDDEN: readonly number[] = [256, 128];

/** The hidden sizes of the named mlps (the kinds that are an mlp with fixed sizes). */
const NAMED_MLP_HIDDEN: Partial<Record<ModelKind, readonly number[]>> = {
  'deep-mlp': Array.from({ length: 8 }, () => 256),
  'wide-mlp': [2048, 1024],
};

/** Width of the residual mlp's blocks, and how many blocks it has. */
const RES_MLP_WIDTH = 256;
const RES_MLP_BLOCKS = 2;

export interface ModelSpec {
  kind: ModelKind;
  /** Hidden layer sizes of `mlp` (default [256, 128]); not allowed for the other kinds. */
  hidden?: number[];
  /** Seed of the initial weights: an integer in [0, 2^32). */
  seed: number;
  /** How the kernels start (default glorot). */
  init?: InitKind;
}

/** Checks a spec and fills in defaults; the messages say what to change. */
export function resolveModelSpec(spec: ModelSpec): Required<ModelSpec> {
  if (!(MODEL_KINDS as readonly string[]).includes(spec.kind)) {
    throw new UserError(`Unknown model ${JSON.stringify(spec.kind)} (expected one of: ${MODEL_KINDS.join(', ')})`);
  }
  checkSeed(spec.seed);
  const init = spec.init ?? 'glorot';
  if (!(INIT_KINDS as readonly string[]).includes(init)) {
    throw new UserError(`Invalid init: ${JSON.stringify(init)} (expected one of: ${INIT_KINDS.join(', ')})`);
  }
  if (spec.kind !== 'mlp') {
    if (spec.hidden !== undefined) {
      const named = NAMED_MLP_HIDDEN[spec.kind];
      const instead = named ? ` (it has hidden sizes ${named.join(',')}; or use --model mlp --hidden ...)` : '';
      throw new UserError(`Hidden sizes apply to the mlp model only; drop --hidden for ${spec.kind}${instead}`);
    }
    return { ...spec, init, hidden: [...(NAMED_MLP_HIDDEN[spec.kind] ?? [])] };
  }
  const hidden = spec.hidden ?? [...DEFAULT_HIDDEN];
  if (hidden.length === 0 || hidden.some((units) => !Number.isInteger(units) || units < 1)) {
    throw new UserError(
      `Invalid hidden sizes: ${JSON.stringify(hidden)} (expected one or more positive integers, e.g. 256,128)`,
    );
  }
  checkModelSize(hidden);
  return { ...spec, init, hidden: [...hidden] };
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
type Activation = 'relu' | 'linear';

/** The kernel initialiser of a layer: `init`'s distribution, seeded by the model seed and the layer's name. */
function seededKernel(init: InitKind, seed: number, layerName: string) {
  const layerSeed = deriveSeed(seed, layerName);
  switch (init) {
    case 'glorot':
      return tf.initializers.glorotUniform({ seed: layerSeed });
    case 'he':
      // Uniform, not tfjs's heNormal: that one truncates at 2 sd without rescaling, so its
      // variance is about 0.77 x 2 / fan_in.
      return tf.initializers.heUniform({ seed: layerSeed });
    case 'glorot-0.1':
      // Glorot-uniform is variance scaling 1 over the fans' mean; x 0.1 is scale 0.01.
      return tf.initializers.varianceScaling({ scale: 0.01, mode: 'fanAvg', distribution: 'uniform', seed: layerSeed });
  }
}

function dense(name: string, units: number, activation: Activation, spec: Required<ModelSpec>, useBias = true): Layer {
  return tf.layers.dense({
    name,
    units,
    activation,
    useBias,
    kernelInitializer: seededKernel(spec.init, spec.seed, name),
    biasInitializer: 'zeros',
  });
}

function conv(name: string, filters: number, activation: Activation, spec: Required<ModelSpec>, useBias = true): Layer {
  return tf.layers.conv2d({
    name,
    filters,
    kernelSize: 5,
    padding: 'valid',
    activation,
    useBias,
    kernelInitializer: seededKernel(spec.init, spec.seed, name),
    biasInitializer: 'zeros',
  });
}

function mlpLayers(spec: Required<ModelSpec>, numClasses: number): Layer[] {
  return [
    tf.layers.flatten({ name: 'flatten' }),
    ...spec.hidden.map((units, i) => dense(`dense${i + 1}`, units, 'relu', spec)),
    dense(`dense${spec.hidden.length + 1}`, numClasses, 'linear', spec),
  ];
}

/** An affine layer without bias, then BatchNormalization `bn{k}`, then ReLU `relu{k}`. */
function normalised(affine: Layer, k: number): Layer[] {
  return [
    affine,
    tf.layers.batchNormalization({ name: `bn${k}` }),
    tf.layers.activation({ name: `relu${k}`, activation: 'relu' }),
  ];
}

/** The layers of every kind but the residual mlp (not sequential). */
function layersFor(kind: Exclude<ModelKind, 'res-mlp'>, spec: Required<ModelSpec>, numClasses: number): Layer[] {
  switch (kind) {
    case 'logreg':
      return [tf.layers.flatten({ name: 'flatten' }), dense('dense1', numClasses, 'linear', spec)];
    case 'mlp':
    case 'deep-mlp':
    case 'wide-mlp':
      return mlpLayers(spec, numClasses);
    case 'cnn':
      return [
        conv('conv1', 16, 'relu', spec),
        tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }),
        conv('conv2', 32, 'relu', spec),
        tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2 }),
        tf.layers.flatten({ name: 'flatten' }),
        dense('dense1', 128, 'relu', spec),
        dense('dense2', numClasses, 'linear', spec),
      ];
    case 'cnn-bn':
      return [
        ...normalised(conv('conv1', 16, 'linear', spec, false), 1),
        tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }),
        ...normalised(conv('conv2', 32, 'linear', spec, false), 2),
        tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2 }),
        tf.layers.flatten({ name: 'flatten' }),
        ...normalised(dense('dense1', 128, 'linear', spec, false), 3),
        dense('dense2', numClasses, 'linear', spec),
      ];
  }
}

/** `res-mlp` (see the module's comment): a functional model, since its blocks add their input back. */
function residualMlp(spec: Required<ModelSpec>, imageShape: [28, 28, 1], numClasses: number): TF.LayersModel {
  const input = tf.input({ name: 'input', shape: imageShape });
  const apply = (layer: Layer, x: TF.SymbolicTensor) => layer.apply(x) as TF.SymbolicTensor;
  let x = apply(tf.layers.flatten({ name: 'flatten' }), input);
  x = apply(dense('dense1', RES_MLP_WIDTH, 'relu', spec), x);
  for (let k = 1; k <= RES_MLP_BLOCKS; k++) {
    let branch = apply(new LayerNorm({ name: `block${k}_norm` }), x);
    branch = apply(dense(`block${k}_dense1`, RES_MLP_WIDTH, 'relu', spec), branch);
    branch = apply(dense(`block${k}_dense2`, RES_MLP_WIDTH, 'linear', spec), branch);
    x = tf.layers.add({ name: `block${k}_add` }).apply([x, branch]) as TF.SymbolicTensor;
  }
  x = apply(new LayerNorm({ name: 'norm' }), x);
  const logits = apply(dense('dense2', numClasses, 'linear', spec), x);
  return tf.model({ name: spec.kind, inputs: input, outputs: logits });
}

/**
 * Renames each weight's variable to its unsuffixed name (`dense1/kernel`) when that name is
 * free in the engine. The new variable shares the old one's data (no copy).
 */
function stabiliseVariableNames(model: TF.LayersModel): void {
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

function sequentialModel(
  kind: Exclude<ModelKind, 'res-mlp'>,
  spec: Required<ModelSpec>,
  imageShape: [28, 28, 1],
  numClasses: number,
): TF.Sequential {
  const model = tf.sequential({ name: kind });
  model.add(tf.layers.inputLayer({ name: 'input', inputShape: imageShape }));
  for (const layer of layersFor(kind, spec, numClasses)) model.add(layer);
  return model;
}

/** Builds the model of `spec`; it outputs logits. Same spec, same initial weights. */
export function buildModel(spec: ModelSpec, imageShape: [28, 28, 1] = [28, 28, 1], numClasses = 10): TF.LayersModel {
  const resolved = resolveModelSpec(spec);
  const { kind } = resolved;
  const model =
    kind === 'res-mlp'
      ? residualMlp(resolved, imageShape, numClasses)
      : sequentialModel(kind, resolved, imageShape, numClasses);
  stabiliseVariableNames(model);
  return model;
}
