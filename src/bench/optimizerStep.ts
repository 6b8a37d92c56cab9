/**
 * Section 1: the cost of one `applyGradients` step, custom chain vs tf.train built-in.
 *
 * Each pair (custom kind, built-in) gets its own copy of the same variables and the same
 * fixed gradients; steps alternate A/B, B/A round by round after a warm-up, every timed
 * step ends with a read of one element (so the time is the work, not its dispatch), and
 * the medians are compared. Kernel launches and tensors created per step come from
 * `tf.profile` of one extra step.
 */
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../backend.js';
import { median, millisecondsSince, quantile } from './stats.js';
import { formatNumber, markdownTable, rowMaker, type RowContext, type SectionResult } from './report.js';

export interface VariableSet {
  name: string;
  shapes: number[][];
}

/** About 10M parameters in eight variables (four dense layers' kernels and biases). */
export const LARGE_VARIABLE_SET: VariableSet = {
  name: 'large',
  shapes: [[2000, 2000], [2000], [2000, 2000], [2000], [1000, 1000], [1000], [1000, 1000], [1000]],
};

export interface OptimizerPair {
  /** Custom kind, as in createOptimizer({ kind }). */
  kind: 'sgd' | 'heavy-ball' | 'nesterov' | 'ema-momentum';
  builtin: string;
}

export const OPTIMIZER_PAIRS: readonly OptimizerPair[] = [
  { kind: 'sgd', builtin: 'tf.train.sgd' },
  { kind: 'heavy-ball', builtin: 'tf.train.momentum' },
  { kind: 'nesterov', builtin: 'tf.train.momentum (nesterov)' },
  { kind: 'ema-momentum', builtin: 'tf.train.momentum' },
];

export type CustomOptimizerFactory = (spec: { kind: string; learningRate: number; momentum?: number }) => TF.Optimizer;

export interface OptimizerBenchOptions {
  variableSets: readonly VariableSet[];
  createCustom: CustomOptimizerFactory;
  /** Measured steps per optimizer (the issue asks for at least 30). */
  steps: number;
  warmupSteps: number;
  learningRate?: number;
  momentum?: number;
  pairs?: readonly OptimizerPair[];
  context: RowContext;
  onProgress?: (message: string) => void;
}

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

/** What timing one pair needs (the study's parity experiment calls this too). */
export type MeasureOptions = Pick<
  OptimizerBenchOptions,
  'createCustom' | 'steps' | 'warmupSteps' | 'learningRate' | 'momentum'
>;

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

export async function benchOptimizerSteps(
  options: OptimizerBenchOptions,
): Promise<{ timings: StepTiming[]; result: SectionResult }> {
  const timings: StepTiming[] = [];
  for (const set of options.variableSets) {
    for (const pair of options.pairs ?? OPTIMIZER_PAIRS) {
      options.onProgress?.(`optimizer step: ${pair.kind} vs ${pair.builtin} on ${set.name}`);
      timings.push(await measurePair(set, pair, options));
    }
  }
  return { timings, result: optimizerSection(timings, options) };
}

export function optimizerSection(
  timings: readonly StepTiming[],
  options: Pick<OptimizerBenchOptions, 'context' | 'steps' | 'warmupSteps'>,
): SectionResult {
  const row = rowMaker('optimizer', options.context);
  const rows = timings.flatMap((t) => {
    const workload = `${t.variableSet} (${t.parameters} params)`;
    const custom = `custom ${t.kind}`;
    return [
      row(workload, custom, 'median_step_ms', median(t.customMs), 'ms'),
      row(workload, custom, 'p90_step_ms', quantile(t.customMs, 0.9), 'ms'),
      row(workload, custom, 'kernels_per_step', t.customKernels, 'kernels'),
      row(workload, custom, 'new_tensors_per_step', t.customNewTensors, 'tensors'),
      row(workload, t.builtin, 'median_step_ms', median(t.builtinMs), 'ms'),
      row(workload, t.builtin, 'p90_step_ms', quantile(t.builtinMs, 0.9), 'ms'),
      row(workload, t.builtin, 'kernels_per_step', t.builtinKernels, 'kernels'),
      row(workload, t.builtin, 'new_tensors_per_step', t.builtinNewTensors, 'tensors'),
      row(workload, `${custom} / ${t.builtin}`, 'ratio_median_step', median(t.customMs) / median(t.builtinMs), 'ratio'),
    ];
  });
  const table = markdownTable(
    [
      'variables',
      'custom',
      'built-in',
      'custom ms (median)',
      'built-in ms (median)',
      'ratio custom/built-in',
      'kernels/step custom',
      'kernels/step built-in',
    ],
    timings.map((t) => [
      `${t.variableSet} (${t.parameters.toLocaleString('en-US')} params)`,
      t.kind,
      t.builtin,
      formatNumber(median(t.customMs)),
      formatNumber(median(t.builtinMs)),
      `**${(median(t.customMs) / median(t.builtinMs)).toFixed(2)}**`,
      String(t.customKernels),
      String(t.builtinKernels),
    ]),
  );
  const steps = timings[0]?.customMs.length ?? options.steps;
  const markdown = `${table}\n\n${steps} measured steps per optimizer after ${options.warmupSteps} warm-up steps, A/B interleaved (order alternating each round), each step followed by a one-element read; medians. Target: ratio <= 1.00.`;
  return { section: 'optimizer', title: '1. Optimizer step cost (applyGradients)', rows, markdown };
}
