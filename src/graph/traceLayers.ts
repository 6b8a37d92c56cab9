/**
 * Makes the layers of a tfjs model fit for compiled steps, in place (each layer's `call` is
 * wrapped once; prediction and `model.fit` behave as before):
 *
 * - Dropout, SpatialDropout1D, GaussianNoise and GaussianDropout draw their random numbers from
 *   the step seed (stepSeed.ts) while training inside `withStepSeed`, with tfjs's formulas
 *   (Dropout: `x * floor(u + keep) / keep`, u uniform on [0, 1); GaussianNoise: `x + stddev n`;
 *   GaussianDropout: `x (1 + sqrt(rate / (1 - rate)) n)`, n standard normal) but the numbers
 *   from TensorFlow's stateless generator with the seed pair (step seed, the layer's salt): the
 *   same eagerly and compiled, new with every step's seed. Outside `withStepSeed` they are
 *   tfjs's own.
 * - Embedding looks its rows up with TensorFlow's GatherV2 on the native backend (gather.ts):
 *   tfjs-node's gather kernel reads the indices back, which a trace cannot hold.
 * - A layer that draws random numbers any other way (AlphaDropout, recurrent layers with
 *   dropout, the layers above without a step seed) refuses a trace while training, by name:
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
import { currentStepSeed, seededRandom } from './stepSeed.js';

type Kwargs = Record<string, unknown>;
type Call = (inputs: TF.Tensor | TF.Tensor[], kwargs: Kwargs) => TF.Tensor | TF.Tensor[];

interface RandomInternals {
  rate?: number;
  stddev?: number;
  seed?: number;
  getNoiseShape?(input: TF.Tensor): number[] | null | undefined;
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

const partialRate = (layer: RandomInternals) => (layer.rate ?? 0) > 0 && (layer.rate ?? 0) < 1;

const dropout: SeededLayer = {
  draws: partialRate,
  apply(layer, input, random) {
    const keep = 1 - (layer.rate as number);
    const uniform = random('uniform', layer.getNoiseShape?.(input) ?? input.shape);
    return tf.mul(input, tf.div(tf.floor(tf.add(uniform, keep)), keep));
  },
};

const SEEDED: Record<string, SeededLayer> = {
  Dropout: dropout,
  SpatialDropout1D: dropout,
  GaussianNoise: {
    draws: () => true,
    apply: (layer, input, random) => tf.add(input, tf.mul(random('normal', input.shape), layer.stddev as number)),
  },
  GaussianDropout: {
    draws: partialRate,
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
  const cell = (layer as unknown as { cell?: { dropout?: number; recurrentDropout?: number } }).cell;
  if ((cell?.dropout ?? 0) > 0 || (cell?.recurrentDropout ?? 0) > 0) {
    return 'its dropout or recurrentDropout draws masks in JavaScript (set them to 0, or add a Dropout layer)';
  }
  if (SEEDED[className]?.draws(layer as RandomInternals)) {
    return 'it needs a step seed to draw its random numbers in the graph (run the step inside withStepSeed with a seed input)';
  }
  return null;
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
