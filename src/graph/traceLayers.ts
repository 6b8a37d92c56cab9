/**
 * Makes the layers of a tfjs model fit for compiled steps, in place (each layer's `call` is
 * wrapped once; prediction and `model.fit` behave as before):
 *
 * - Dropout and SpatialDropout draw their masks from the step seed (stepSeed.ts) while training
 *   inside `withStepSeed`: `x * floor(u + keep) / keep` with `u` uniform in [0, 1), as tfjs's
 *   dropout, but `u` from TensorFlow's stateless generator with the seed pair (step seed, the
 *   layer's salt), so the masks are the same eagerly and compiled and change with every step's
 *   seed. Outside `withStepSeed` they run tfjs's own dropout.
 * - Embedding looks its rows up with TensorFlow's GatherV2 on the native backend (gather.ts):
 *   tfjs-node's gather kernel reads the indices back, which a trace cannot hold.
 * - A layer that draws random numbers any other way (GaussianNoise, GaussianDropout,
 *   AlphaDropout, recurrent layers with dropout, Dropout without a step seed) refuses a trace
 *   while training, by name: even a small random tensor must never become a constant.
 * - A {@link TraceError} raised inside a layer's call names that layer, so the fallback to eager
 *   steps says which layer the trace could not hold.
 *
 * The salt of a random layer is its position in the model (plus its own `seed` when it has one):
 * two models of the same architecture draw the same masks from the same step seeds.
 */
import type * as TF from '@tensorflow/tfjs';
import { tf, currentBackend } from '../backend.js';
import { gatherWithGradient } from './gather.js';
import { isTracing, TraceError } from './graphTrace.js';
import { currentStepSeed, seededUniform } from './stepSeed.js';

type Kwargs = Record<string, unknown>;
type Call = (inputs: TF.Tensor | TF.Tensor[], kwargs: Kwargs) => TF.Tensor | TF.Tensor[];

interface DropoutInternals {
  rate: number;
  seed?: number;
  getNoiseShape(input: TF.Tensor): number[] | null | undefined;
}

/** A TraceError that already names the layer it came from. */
class LayerTraceError extends TraceError {}

const prepared = new WeakSet<TF.layers.Layer>();

const SEEDED_DROPOUT = new Set(['Dropout', 'SpatialDropout1D']);
const RANDOM_LAYERS = new Set(['GaussianNoise', 'GaussianDropout', 'AlphaDropout']);

/** Every layer of `model`, nested models and wrapped layers included, in a fixed order. */
function allLayers(layer: TF.layers.Layer, into: TF.layers.Layer[] = []): TF.layers.Layer[] {
  into.push(layer);
  const holder = layer as unknown as {
    layers?: TF.layers.Layer[];
    layer?: TF.layers.Layer;
    forwardLayer?: TF.layers.Layer;
    backwardLayer?: TF.layers.Layer;
  };
  for (const inner of [
    ...(holder.layers ?? []),
    ...[holder.layer, holder.forwardLayer, holder.backwardLayer].filter((l) => l !== undefined),
  ]) {
    allLayers(inner, into);
  }
  return into;
}

/** Why this layer cannot be traced while training, or null. */
function randomWithoutSeed(layer: TF.layers.Layer): string | null {
  const className = layer.getClassName();
  if (RANDOM_LAYERS.has(className)) return 'it draws random numbers in JavaScript';
  const cell = (layer as unknown as { cell?: { dropout?: number; recurrentDropout?: number } }).cell;
  if ((cell?.dropout ?? 0) > 0 || (cell?.recurrentDropout ?? 0) > 0) {
    return 'its dropout or recurrentDropout draws masks in JavaScript (set them to 0, or add a Dropout layer)';
  }
  if (SEEDED_DROPOUT.has(className) && currentStepSeed() === null) {
    return 'it needs a step seed to draw its masks in the graph (run the step inside withStepSeed with a seed input)';
  }
  return null;
}

function seededDropout(layer: TF.layers.Layer, salt: number, input: TF.Tensor, seed: TF.Scalar): TF.Tensor {
  const dropout = layer as unknown as DropoutInternals;
  return tf.tidy(() => {
    const keep = 1 - dropout.rate;
    const shape = dropout.getNoiseShape(input) ?? input.shape;
    const uniform = seededUniform(seed, salt + (dropout.seed ?? 0) * 7919, shape);
    return tf.mul(input, tf.div(tf.floor(tf.add(uniform, keep)), keep));
  });
}

/** Embedding's lookup (tfjs-layers' Embedding.call) with {@link gatherWithGradient}. */
function embeddingLookup(layer: TF.layers.Layer, input: TF.Tensor): TF.Tensor {
  const embedding = layer as unknown as { embeddings: { read(): TF.Tensor } };
  return tf.tidy(() => {
    const indices = input.dtype === 'int32' ? input : tf.cast(input, 'int32');
    const rows = gatherWithGradient(embedding.embeddings.read(), tf.reshape(indices, [indices.size]));
    return tf.reshape(rows, layer.computeOutputShape(input.shape) as number[]);
  });
}

function wrap(layer: TF.layers.Layer, salt: number): void {
  const target = layer as unknown as { call: Call; name: string };
  const original = target.call.bind(layer) as Call;
  const label = `layer ${layer.name} (${layer.getClassName()})`;
  target.call = (inputs, kwargs) => {
    const training = kwargs?.training === true;
    try {
      const seed = currentStepSeed();
      const rate = (layer as unknown as Partial<DropoutInternals>).rate ?? 0;
      if (training && seed !== null && SEEDED_DROPOUT.has(layer.getClassName()) && rate > 0 && rate < 1) {
        return seededDropout(layer, salt, Array.isArray(inputs) ? inputs[0] : inputs, seed);
      }
      if (layer.getClassName() === 'Embedding' && currentBackend() === 'tensorflow') {
        return embeddingLookup(layer, Array.isArray(inputs) ? inputs[0] : inputs);
      }
      if (training && isTracing()) {
        const reason = randomWithoutSeed(layer);
        if (reason !== null) throw new LayerTraceError(`${label} cannot be compiled: ${reason}`);
      }
      return original(inputs, kwargs);
    } catch (error) {
      if (error instanceof TraceError && !(error instanceof LayerTraceError)) {
        throw new LayerTraceError(`${label}: ${error.message}`);
      }
      throw error;
    }
  };
}

/**
 * Prepares every layer of `model` for compiled steps (see the module comment); calling it again
 * changes nothing.
 */
export function traceLayers(model: TF.LayersModel): void {
  allLayers(model).forEach((layer, position) => {
    if (prepared.has(layer)) return;
    prepared.add(layer);
    wrap(layer, position + 1);
  });
}
