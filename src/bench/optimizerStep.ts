/**
 * Section 1: the cost of one `applyGradients` step, custom chain vs tf.train built-in, on
 * each variable set; medians compared (the method: src/train/stepTiming.ts).
 */
import { median, quantile } from '../util/stats.js';
import {
  measurePair,
  type MeasureOptions,
  type OptimizerPair,
  type StepTiming,
  type VariableSet,
} from '../train/stepTiming.js';
import { rowMaker, type RowContext, type SectionResult } from './report.js';
import { formatNumber } from '../util/format.js';
import { markdownTable } from '../util/markdown.js';

/** About 10M parameters in eight variables (four dense layers' kernels and biases). */
export const LARGE_VARIABLE_SET: VariableSet = {
  name: 'large',
  shapes: [[2000, 2000], [2000], [2000, 2000], [2000], [1000, 1000], [1000], [1000, 1000], [1000]],
};

export const OPTIMIZER_PAIRS: readonly OptimizerPair[] = [
  { kind: 'sgd', builtin: 'tf.train.sgd' },
  { kind: 'heavy-ball', builtin: 'tf.train.momentum' },
  { kind: 'nesterov', builtin: 'tf.train.momentum (nesterov)' },
  { kind: 'ema-momentum', builtin: 'tf.train.momentum' },
];

export interface OptimizerBenchOptions extends MeasureOptions {
  /** Time compiled steps too (each pair eager, then compiled). */
  compiled?: boolean;
  variableSets: readonly VariableSet[];
  pairs?: readonly OptimizerPair[];
  context: RowContext;
  onProgress?: (message: string) => void;
}

export async function benchOptimizerSteps(
  options: OptimizerBenchOptions,
): Promise<{ timings: StepTiming[]; result: SectionResult }> {
  const timings: StepTiming[] = [];
  // Eager, then compiled (one TensorFlow function call per step) when asked.
  const paths = options.compiled ? [false, true] : [false];
  for (const set of options.variableSets) {
    for (const pair of options.pairs ?? OPTIMIZER_PAIRS) {
      for (const compiled of paths) {
        options.onProgress?.(
          `optimizer step: ${pair.kind} vs ${pair.builtin} on ${set.name}${compiled ? ', compiled' : ''}`,
        );
        timings.push(await measurePair(set, pair, { ...options, compiled }));
      }
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
    const workload = `${t.variableSet} (${t.parameters} params)${t.compiled ? ', compiled' : ''}`;
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
      'step',
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
      t.compiled ? 'compiled' : 'eager',
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
  const markdown = `${table}\n\n${steps} measured steps per optimizer after ${options.warmupSteps} warm-up steps, A/B interleaved (order alternating each round), each step followed by a one-element read; medians. Compiled rows: both steps run as one TensorFlow function call each (the optimizer's kernels without tfjs's per-kernel dispatch; a kernel count of 1 is that call). Target: ratio <= 1.00.`;
  return { section: 'optimizer', title: '1. Optimizer step cost (applyGradients)', rows, markdown };
}
