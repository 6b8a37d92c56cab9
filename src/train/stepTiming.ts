/**
 * The cost of one `applyGradients` step, custom chain vs tf.train built-in, measured the same
 * way wherever it is reported (the bench's optimizer section, the study's parity experiment).
 *
 * Each pair (custom kind, built-in) gets its own copy of the same variables and the same
 * fixed gradients; steps alternate A/B, B/A round by round after a warm-up, every timed
 * step ends with a read of one element (so the time is the work, not its dispatch). Kernel
 * launches and tensors created per step come from `tf.profile` of one extra step.
 */
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../backend.js';
import { buildModel, type ModelKind } from '../models/index.js';
import { millisecondsSince } from '../util/stats.js';

export interface VariableSet {
  name: string;
  shapes: number[][];
}

export interface OptimizerPair {
  /** Custom kind, as in createOptimizer({ kind }). */
  kind: 'sgd' | 'heavy-ball' | 'nesterov' | 'ema-momentum';
  builtin: string;
}

export type CustomOptimizerFactory = (spec: { kind: string; learningRate: number; momentum?: number }) => TF.Optimizer;

export interface StepTiming {
  kind: string;
  builtin: string;
  variableSet: string;
  parameters: number;
  customMs: number[];
  builtinMs: number[];
  customKernels: number;
  builtinKernels: number;
  customNewTensors: number;
  builtinNewTensors: number;
}

function builtinOptimizer(pair: OptimizerPair, learningRate: number, momentum: number): TF.Optimizer {
  if (pair.kind === 'sgd') return tf.train.sgd(learningRate);
  return tf.train.momentum(learningRate, momentum, pair.kind === 'nesterov');
}

let copies = 0;

/** A fresh copy of the variable set (same values for every copy) and its gradients by name. */
function makeVariables(set: VariableSet, gradients: readonly TF.Tensor[]) {
  const copy = copies++;
  const variables = set.shapes.map((shape, i) =>
    tf.tidy(() =>
      tf.variable(tf.randomUniform(shape, -0.05, 0.05, 'float32', 100 + i), true, `bench/${set.name}/${copy}/v${i}`),
    ),
  );
  const named: TF.NamedTensorMap = {};
  variables.forEach((variable, i) => (named[variable.name] = gradients[i]));
  return { variables, gradients: named };
}

/** One timed step: apply, then read one element of the last variable so the work is done. */
function timedStep(optimizer: TF.Optimizer, gradients: TF.NamedTensorMap, probe: TF.Variable): number {
  const start = process.hrtime.bigint();
  optimizer.applyGradients(gradients);
  const element = tf.tidy(() => probe.reshape([-1]).slice(0, 1));
  element.dataSync();
  const elapsed = millisecondsSince(start);
  element.dispose();
  return elapsed;
}

async function profileStep(
  optimizer: TF.Optimizer,
  gradients: TF.NamedTensorMap,
): Promise<{ kernels: number; newTensors: number }> {
  const info = await tf.profile(() => optimizer.applyGradients(gradients));
  return { kernels: info.kernels.length, newTensors: info.newTensors };
}

/** What timing one pair needs. */
export interface MeasureOptions {
  createCustom: CustomOptimizerFactory;
  /** Measured steps per optimizer. */
  steps: number;
  warmupSteps: number;
  learningRate?: number;
  momentum?: number;
}

export async function measurePair(set: VariableSet, pair: OptimizerPair, options: MeasureOptions): Promise<StepTiming> {
  const learningRate = options.learningRate ?? 0.01;
  const momentum = options.momentum ?? 0.9;
  const gradients = set.shapes.map((shape, i) => tf.tidy(() => tf.randomNormal(shape, 0, 1e-3, 'float32', 200 + i)));
  const a = makeVariables(set, gradients);
  const b = makeVariables(set, gradients);
  const custom = options.createCustom({ kind: pair.kind, learningRate, ...(pair.kind === 'sgd' ? {} : { momentum }) });
  const builtin = builtinOptimizer(pair, learningRate, momentum);
  const customMs: number[] = [];
  const builtinMs: number[] = [];
  try {
    for (let round = 0; round < options.warmupSteps + options.steps; round++) {
      const measured = round >= options.warmupSteps;
      const runCustom = () => {
        const ms = timedStep(custom, a.gradients, a.variables[a.variables.length - 1]);
        if (measured) customMs.push(ms);
      };
      const runBuiltin = () => {
        const ms = timedStep(builtin, b.gradients, b.variables[b.variables.length - 1]);
        if (measured) builtinMs.push(ms);
      };
      if (round % 2 === 0) {
        runCustom();
        runBuiltin();
      } else {
        runBuiltin();
        runCustom();
      }
    }
    const customProfile = await profileStep(custom, a.gradients);
    const builtinProfile = await profileStep(builtin, b.gradients);
    return {
      kind: pair.kind,
      builtin: pair.builtin,
      variableSet: set.name,
      parameters: set.shapes.reduce((sum, shape) => sum + shape.reduce((n, d) => n * d, 1), 0),
      customMs,
      builtinMs,
      customKernels: customProfile.kernels,
      builtinKernels: builtinProfile.kernels,
      customNewTensors: customProfile.newTensors,
      builtinNewTensors: builtinProfile.newTensors,
    };
  } finally {
    custom.dispose();
    builtin.dispose();
    tf.dispose([...a.variables, ...b.variables, ...gradients]);
  }
}

/**
 * The trainable variables' shapes of a model built by `buildModel` (default sizes), named
 * by kind and, for dense stacks, by layer widths (e.g. `mlp 784-256-128-10`).
 */
export function modelVariableSet(kind: ModelKind): VariableSet {
  const model = buildModel({ kind, seed: 0 });
  try {
    const shapes = model.trainableWeights.map((weight) => weight.shape as number[]);
    const kernels = shapes.filter((shape) => shape.length === 2);
    const dense = kernels.length * 2 === shapes.length;
    const widths = dense ? ` ${[kernels[0][0], ...kernels.map((kernel) => kernel[1])].join('-')}` : '';
    return { name: `${kind}${widths}`, shapes };
  } finally {
    model.dispose();
  }
}
