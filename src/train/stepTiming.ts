/**
 * The cost of one `applyGradients` step, custom chain vs tf.train built-in, measured the same
 * way wherever it is reported (the bench's optimizer section, the study's parity experiment).
 *
 * Each pair (custom kind, built-in) gets its own copy of the same variables and the same
 * fixed gradients; steps alternate A/B, B/A round by round after a warm-up, every timed
 * step ends with a read of one element (so the time is the work, not its dispatch). Kernel
 * launches and tensors created per step come from `tf.profile` of one extra step. With
 * `compiled`, both optimizers' steps are compiled TensorFlow functions (one launch each), so
 * the ratio compares the optimizers' own kernels without tfjs's per-kernel dispatch.
 */
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../backend.js';
import { buildModel, type ModelKind } from '../models/index.js';
import { millisecondsSince } from '../util/stats.js';
import { VerifiedStep, VERIFY_TOLERANCE } from '../graph/verifiedStep.js';

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
  /** Whether both optimizers' steps ran as compiled TensorFlow functions (compile.ts). */
  compiled: boolean;
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

/**
 * `optimizer.applyGradients(gradients)` as a function of nothing: eager, or compiled (a
 * VerifiedStep with compiled steps required: the first call eager, as optimizers allocate
 * their state then, the next traced and the first calls of a new function checked against
 * eager ones, all in the warm-up; the gradients are the function's inputs).
 */
function stepper(optimizer: TF.Optimizer, gradients: TF.NamedTensorMap, compiled: boolean) {
  if (!compiled) return { step: () => optimizer.applyGradients(gradients), dispose() {} };
  const names = Object.keys(gradients);
  const inputs = names.map((name) => gradients[name]);
  const step = new VerifiedStep(
    (given) => {
      optimizer.applyGradients(Object.fromEntries(names.map((name, i) => [name, given[i]])));
      return [];
    },
    { mode: 'on', check: { tolerance: VERIFY_TOLERANCE }, optimizer, eagerCalls: 1 },
  );
  return { step: () => tf.dispose(step.run(inputs)), dispose: () => step.dispose() };
}

/** One timed step: apply, then read one element of the last variable so the work is done. */
function timedStep(step: () => void, probe: TF.Variable): number {
  const start = process.hrtime.bigint();
  step();
  const element = tf.tidy(() => probe.reshape([-1]).slice(0, 1));
  element.dataSync();
  const elapsed = millisecondsSince(start);
  element.dispose();
  return elapsed;
}

async function profileStep(step: () => void): Promise<{ kernels: number; newTensors: number }> {
  const info = await tf.profile(step);
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
  /** Time compiled steps (one TensorFlow function call each) instead of eager ones. */
  compiled?: boolean;
}

export async function measurePair(set: VariableSet, pair: OptimizerPair, options: MeasureOptions): Promise<StepTiming> {
  const learningRate = options.learningRate ?? 0.01;
  const momentum = options.momentum ?? 0.9;
  const gradients = set.shapes.map((shape, i) => tf.tidy(() => tf.randomNormal(shape, 0, 1e-3, 'float32', 200 + i)));
  const a = makeVariables(set, gradients);
  const b = makeVariables(set, gradients);
  const custom = options.createCustom({ kind: pair.kind, learningRate, ...(pair.kind === 'sgd' ? {} : { momentum }) });
  const builtin = builtinOptimizer(pair, learningRate, momentum);
  const compiled = options.compiled ?? false;
  const customStep = stepper(custom, a.gradients, compiled);
  const builtinStep = stepper(builtin, b.gradients, compiled);
  const customMs: number[] = [];
  const builtinMs: number[] = [];
  try {
    for (let round = 0; round < options.warmupSteps + options.steps; round++) {
      const measured = round >= options.warmupSteps;
      const runCustom = () => {
        const ms = timedStep(customStep.step, a.variables[a.variables.length - 1]);
        if (measured) customMs.push(ms);
      };
      const runBuiltin = () => {
        const ms = timedStep(builtinStep.step, b.variables[b.variables.length - 1]);
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
    const customProfile = await profileStep(customStep.step);
    const builtinProfile = await profileStep(builtinStep.step);
    return {
      compiled,
      kind: pair.kind,
      builtin: pair.builtin,
      variableSet: set.name,
      parameters: set.shapes.reduce((sum, shape) => sum + shape.reduce((n, d) => n * d, 1), 0),
      customMs,
      builtinMs,
      // A compiled step is one function call, which tfjs's profiler does not see as a kernel.
      customKernels: compiled ? 1 : customProfile.kernels,
      builtinKernels: compiled ? 1 : builtinProfile.kernels,
      customNewTensors: customProfile.newTensors,
      builtinNewTensors: builtinProfile.newTensors,
    };
  } finally {
    customStep.dispose();
    builtinStep.dispose();
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
