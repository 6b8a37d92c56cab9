/**
 * A leaner training forward pass for the custom loop: the model's own variables, each layer
 * one `tf.customGrad` node whose gradient is written out with the fewest kernels, and a
 * fused softmax cross-entropy. `tf.variableGrads` + `optimizer.applyGradients` stay as they
 * are; only the number of kernel launches per step drops (each launch costs a fixed
 * dispatch overhead in tfjs, about as much as the arithmetic of a small MLP layer).
 *
 * Where the kernels go with model.apply (tfjs-layers) and the composite losses:
 * - a ReLU dense layer in gradient mode is unfused (MatMul, Add, Relu) and its gradient
 *   runs tfjs-node's Step, a composite of IsNan, Greater, Fill, Select, plus Cast and Mul;
 *   here dReLU = dy * sign(y) (y = relu output >= 0, so sign(y) is the mask): 2 kernels;
 * - the bias gradient is one Sum; dx is not computed for the first layer (data);
 * - logSoftmax + mul + sum + mean + neg and their gradients (about 30 launches) become
 *   TensorFlow's SoftmaxCrossEntropyWithLogits (one launch, forward and gradient) on the
 *   native backend, and a 4-kernel customGrad on the others.
 *
 * Same math as model.apply + crossEntropy (gradients agree to float32 rounding); layers
 * other than InputLayer, Flatten, Dense, Conv2D and MaxPooling2D make {@link fastForward}
 * return null and the loop falls back to model.apply.
 */
import type * as TF from '@tensorflow/tfjs';
import { tf, currentBackend } from '../backend.js';

type Activation = 'relu' | 'linear';
type LayerFn = (x: TF.Tensor, first: boolean) => TF.Tensor;
type CustomGradArgs = (TF.Tensor | TF.GradSaveFunc)[];

function activationOf(config: Record<string, unknown>): Activation | null {
  const name = (config.activation as string | undefined) ?? 'linear';
  return name === 'relu' || name === 'linear' ? name : null;
}

/** dL/dz from dL/dy for y = act(z): dy * sign(y) for ReLU (y >= 0, so sign(y) is the mask). */
function activationGrad(dy: TF.Tensor, y: TF.Tensor, activation: Activation): TF.Tensor {
  return activation === 'relu' ? tf.mul(dy, tf.sign(y)) : dy;
}

/**
 * One node on the tape for y = act(f(x, w) + b). `f`, `dx` and `dw` are the layer's own
 * kernels; the first layer takes x from the closure so no input gradient is computed.
 */
function affineLayer(
  w: TF.Variable,
  b: TF.Variable,
  activation: Activation,
  f: (x: TF.Tensor, w: TF.Tensor) => TF.Tensor,
  dx: (dz: TF.Tensor, x: TF.Tensor, w: TF.Tensor) => TF.Tensor,
  dw: (dz: TF.Tensor, x: TF.Tensor, w: TF.Tensor) => TF.Tensor,
  biasAxes: number[],
): LayerFn {
  const run = (x: TF.Tensor, wIn: TF.Tensor, bIn: TF.Tensor, save: TF.GradSaveFunc) => {
    let y = tf.add(f(x, wIn), bIn);
    if (activation === 'relu') y = tf.relu(y);
    save([x, wIn, y]);
    return y;
  };
  const grads = (dy: TF.Tensor, [x, wIn, y]: TF.Tensor[], first: boolean) => {
    const dz = activationGrad(dy, y, activation);
    const weights = [dw(dz, x, wIn), tf.sum(dz, biasAxes)];
    return first ? weights : [dx(dz, x, wIn), ...weights];
  };
  const firstLayer = (x: TF.Tensor) =>
    tf.customGrad((...args: CustomGradArgs) => {
      const [wIn, bIn, save] = args as [TF.Tensor, TF.Tensor, TF.GradSaveFunc];
      return { value: run(x, wIn, bIn, save), gradFunc: (dy, saved) => grads(dy as TF.Tensor, saved, true) };
    })(w, b);
  const laterLayer = tf.customGrad((...args: CustomGradArgs) => {
    const [x, wIn, bIn, save] = args as [TF.Tensor, TF.Tensor, TF.Tensor, TF.GradSaveFunc];
    return { value: run(x, wIn, bIn, save), gradFunc: (dy, saved) => grads(dy as TF.Tensor, saved, false) };
  });
  return (x, first) => (first ? firstLayer(x) : laterLayer(x, w, b));
}

function dense(w: TF.Variable, b: TF.Variable, activation: Activation): LayerFn {
  return affineLayer(
    w,
    b,
    activation,
    (x, wIn) => tf.matMul(x, wIn),
    (dz, _x, wIn) => tf.matMul(dz, wIn, false, true),
    (dz, x) => tf.matMul(x, dz, true, false),
    [0],
  );
}

function conv2d(
  w: TF.Variable,
  b: TF.Variable,
  activation: Activation,
  strides: [number, number],
  pad: 'same' | 'valid',
): LayerFn {
  const engine = tf.engine();
  return affineLayer(
    w,
    b,
    activation,
    (x, wIn) => tf.conv2d(x as TF.Tensor4D, wIn as TF.Tensor4D, strides, pad),
    (dz, x, wIn) =>
      engine.runKernel(
        'Conv2DBackpropInput',
        { dy: dz, filter: wIn },
        { strides, pad, dataFormat: 'NHWC', inputShape: x.shape },
      ) as TF.Tensor,
    (dz, x, wIn) =>
      engine.runKernel(
        'Conv2DBackpropFilter',
        { x, dy: dz },
        { strides, pad, dataFormat: 'NHWC', filterShape: wIn.shape },
      ) as TF.Tensor,
    [0, 1, 2],
  );
}

interface Step {
  fn: LayerFn;
  /** Has weights: the first such layer gets data as input and computes no input gradient. */
  trainable: boolean;
}

function layerStep(layer: TF.layers.Layer): Step | null | 'skip' {
  const config = layer.getConfig() as Record<string, unknown>;
  const [w, b] = layer.trainableWeights.map((weight) => weight.read() as TF.Variable);
  const activation = activationOf(config);
  switch (layer.getClassName()) {
    case 'InputLayer':
      return 'skip';
    case 'Flatten':
      return { fn: (x) => tf.reshape(x, [x.shape[0], -1]), trainable: false };
    case 'Dense':
      return w && b && activation ? { fn: dense(w, b, activation), trainable: true } : null;
    case 'Conv2D': {
      const dilation = [config.dilationRate as number | number[]].flat();
      if (!w || !b || !activation || config.dataFormat !== 'channelsLast' || dilation.some((d) => d !== 1)) return null;
      return {
        fn: conv2d(w, b, activation, config.strides as [number, number], config.padding as 'same' | 'valid'),
        trainable: true,
      };
    }
    case 'MaxPooling2D': {
      if (config.dataFormat !== 'channelsLast') return null;
      const pool = config.poolSize as [number, number];
      const strides = (config.strides as [number, number] | null) ?? pool;
      return {
        fn: (x) => tf.maxPool(x as TF.Tensor4D, pool, strides, config.padding as 'same' | 'valid'),
        trainable: false,
      };
    }
    default:
      return null;
  }
}

/** The model's training forward pass from its own variables, or null when a layer is not covered. */
export function fastForward(model: TF.LayersModel): ((x: TF.Tensor) => TF.Tensor) | null {
  const steps: Step[] = [];
  for (const layer of model.layers) {
    const step = layerStep(layer);
    if (step === null) return null;
    if (step !== 'skip') steps.push(step);
  }
  return (x) => {
    let first = true;
    for (const step of steps) {
      x = step.fn(x, first);
      if (step.trainable) first = false;
    }
    return x;
  };
}

type NativeBackend = {
  binding: { TF_ATTR_TYPE: number; TF_FLOAT: number };
  executeMultipleOutputs(name: string, attrs: object[], inputs: TF.Tensor[], count: number): TF.Tensor[];
};

/** Per-example losses and dL/dlogits from TensorFlow's fused kernel (native backend only). */
function nativeSoftmaxCrossEntropy(labels: TF.Tensor, logits: TF.Tensor): [TF.Tensor, TF.Tensor] {
  const backend = tf.backend() as unknown as NativeBackend;
  const type = { name: 'T', type: backend.binding.TF_ATTR_TYPE, value: backend.binding.TF_FLOAT };
  const [losses, backprop] = backend.executeMultipleOutputs(
    'SoftmaxCrossEntropyWithLogits',
    [type],
    [logits, labels],
    2,
  );
  return [losses, backprop];
}

/**
 * Mean softmax cross-entropy of `logits` against one-hot `labels`, as one tape node:
 * the same value as losses.ts crossEntropy; gradient (softmax(logits) - labels) * dy / n.
 */
export function fastCrossEntropy(labels: TF.Tensor, logits: TF.Tensor): TF.Scalar {
  const n = logits.shape[0];
  const native = currentBackend() === 'tensorflow';
  return tf.customGrad((...args: CustomGradArgs) => {
    const [z, save] = args as [TF.Tensor, TF.GradSaveFunc];
    let losses: TF.Tensor;
    let backprop: TF.Tensor;
    if (native) {
      [losses, backprop] = nativeSoftmaxCrossEntropy(labels, z);
    } else {
      const logProbabilities = tf.logSoftmax(z);
      losses = tf.neg(tf.sum(tf.mul(labels, logProbabilities), -1));
      backprop = tf.sub(tf.exp(logProbabilities), labels);
    }
    save([backprop]);
    return {
      value: tf.mean(losses) as TF.Scalar,
      gradFunc: (dy, [saved]) => tf.mul(saved, tf.div(dy as TF.Tensor, n)),
    };
  })(logits) as TF.Scalar;
}
