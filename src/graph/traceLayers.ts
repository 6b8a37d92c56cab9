/**
 * Makes the layers of a tfjs model fit for compiled steps, in place (each layer's `call` is
 * wrapped once; prediction and `model.fit` behave as before):
 *
 * - Dropout, SpatialDropout1D, GaussianNoise, GaussianDropout and the dropout masks of recurrent
 *   layers (SimpleRNN, GRU, LSTM: `dropout`, `recurrentDropout`) draw their random numbers from
 *   the step seed (stepSeed.ts) while training inside `withStepSeed`, with tfjs's formulas
 *   (Dropout: `x * floor(u + keep) / keep`, u uniform on [0, 1); GaussianNoise: `x + stddev n`;
 *   GaussianDropout: `x (1 + sqrt(rate / (1 - rate)) n)`, n standard normal) but the numbers
 *   from TensorFlow's stateless generator with the seed pair (step seed, the layer's salt): the
 *   same eagerly and compiled, new with every step's seed. Outside `withStepSeed` they are
 *   tfjs's own.
 * - Embedding looks its rows up with TensorFlow's GatherV2 on the native backend (gather.ts):
 *   tfjs-node's gather kernel reads the indices back, which a trace cannot hold.
 * - A layer that draws random numbers any other way (AlphaDropout, the layers above without a
 *   step seed) refuses a trace while training, by name:
 *   even a small random tensor must never become a constant.
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
import { deriveSeed } from '../util/random.js';
import { currentStepSeed, seededRandom } from './stepSeed.js';

type Kwargs = Record<string, unknown>;
type Call = (inputs: TF.Tensor | TF.Tensor[], kwargs: Kwargs) => TF.Tensor | TF.Tensor[];

interface RandomInternals {
  rate?: number;
  stddev?: number;
  seed?: number;
  getNoiseShape?(input: TF.Tensor): number[] | null | undefined;
}

/** A recurrent layer's cell: its dropout rates and tfjs's hook for the function drawing its masks. */
interface CellInternals {
  dropout?: number;
  recurrentDropout?: number;
  dropoutFunc?: ((ones: TF.Tensor, rate: number) => TF.Tensor) | null;
}

/** A TraceError that already names the layer it came from. */
class LayerTraceError extends TraceError {}

const prepared = new WeakSet<TF.layers.Layer>();

/**
 * The random layers that draw from the step seed: whether a layer draws at all (a rate of 0 or
 * 1 draws nothing) and its training output from the seeded generator.
 */
interface SeededLayer {
  draws(layer: RandomInternals): boolean;
  apply(
    layer: RandomInternals,
    input: TF.Tensor,
    random: (kind: 'uniform' | 'normal', shape: number[]) => TF.Tensor,
  ): TF.Tensor;
}

const partialRate = (rate = 0) => rate > 0 && rate < 1;

/** tfjs's dropout of `input` with the uniform numbers `uniform`: x floor(u + keep) / keep. */
function dropoutWith(input: TF.Tensor, rate: number, uniform: TF.Tensor): TF.Tensor {
  const keep = 1 - rate;
  return tf.mul(input, tf.div(tf.floor(tf.add(uniform, keep)), keep));
}

const dropout: SeededLayer = {
  draws: (layer) => partialRate(layer.rate),
  apply: (layer, input, random) =>
    dropoutWith(input, layer.rate as number, random('uniform', layer.getNoiseShape?.(input) ?? input.shape)),
};

const SEEDED: Record<string, SeededLayer> = {
  Dropout: dropout,
  SpatialDropout1D: dropout,
  GaussianNoise: {
    draws: () => true,
    apply: (layer, input, random) => tf.add(input, tf.mul(random('normal', input.shape), layer.stddev as number)),
  },
  GaussianDropout: {
    draws: (layer) => partialRate(layer.rate),
    apply(layer, input, random) {
      const rate = layer.rate as number;
      const noise = tf.add(tf.mul(random('normal', input.shape), Math.sqrt(rate / (1 - rate))), 1);
      return tf.mul(input, noise);
    },
  },
};

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

/** Why this layer cannot be traced while training (the seeded ones: when no step seed is in scope), or null. */
function untraceable(layer: TF.layers.Layer): string | null {
  const className = layer.getClassName();
  if (className === 'AlphaDropout') return 'it draws random numbers in JavaScript';
  if (SEEDED[className]?.draws(layer as RandomInternals) || recurrentDropout(layer) !== null) {
    return 'it needs a step seed to draw its random numbers in the graph (run the step inside withStepSeed with a seed input)';
  }
  return null;
}

/** The cell of a recurrent layer with dropout masks to draw, or null. */
function recurrentDropout(layer: TF.layers.Layer): CellInternals | null {
  const cell = (layer as unknown as { cell?: CellInternals }).cell;
  return cell !== undefined && (partialRate(cell.dropout) || partialRate(cell.recurrentDropout)) ? cell : null;
}

/**
 * Runs a recurrent layer's call with its cell drawing masks from the step seed: tfjs-layers
 * draws them through the cell's `dropoutFunc` (once per call, up to 4 per rate for LSTM's
 * gates), each from its own salt.
 */
function withSeededMasks<T>(cell: CellInternals, seed: TF.Scalar, salt: number, call: () => T): T {
  const own = cell.dropoutFunc;
  let draws = 0;
  cell.dropoutFunc = (ones, rate) =>
    dropoutWith(ones, rate, seededRandom('uniform', seed, deriveSeed(salt >>> 0, `mask ${draws++}`), ones.shape));
  try {
    return call();
  } finally {
    cell.dropoutFunc = own;
  }
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
  const target = layer as unknown as { call: Call; invokeCallHook(inputs: unknown, kwargs: Kwargs): void };
  const original = target.call.bind(layer) as Call;
  const label = `layer ${layer.name} (${layer.getClassName()})`;
  const seeded = SEEDED[layer.getClassName()];
  const random = layer as unknown as RandomInternals;
  // The layer's own seed, when it has one, moves its salt: two such layers draw apart.
  const layerSalt = salt + (random.seed ?? 0) * 7919;
  target.call = (inputs, kwargs) => {
    const training = kwargs?.training === true;
    const input = Array.isArray(inputs) ? inputs[0] : inputs;
    try {
      const seed = currentStepSeed();
      if (training && seed !== null && seeded?.draws(random)) {
        target.invokeCallHook(inputs, kwargs);
        return tf.tidy(() => seeded.apply(random, input, (kind, shape) => seededRandom(kind, seed, layerSalt, shape)));
      }
      const cell = recurrentDropout(layer);
      if (training && seed !== null && cell !== null) {
        return withSeededMasks(cell, seed, layerSalt, () => original(inputs, kwargs));
      }
      if (layer.getClassName() === 'Embedding' && currentBackend() === 'tensorflow') {
        target.invokeCallHook(inputs, kwargs);
        return embeddingLookup(layer, input);
      }
      if (training && isTracing()) {
        const reason = untraceable(layer);
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
