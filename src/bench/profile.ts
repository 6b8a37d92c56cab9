/**
 * Where a training step goes: runs inertia's own `train()` for `fewSteps` and `manySteps`
 * steps of one epoch (same data, same evaluation) and divides the differences by the extra
 * steps, so set-up and evaluation cancel. The unprofiled pair gives wall time per step; the
 * `tf.profile` pair gives kernels per step by name and their time (kernel time is measured
 * around tfjs-node's kernel function, so it includes the native dispatch), and a counter on
 * the backend's synchronous reads gives reads per step.
 */
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../backend.js';
import type { Dataset, DatasetName } from '../data/index.js';
import type { ModelKind } from '../models/index.js';
import { trainInMemory } from '../train/train.js';
import { makeTrainConfig, type TrainMode } from '../train/config.js';
import { rowMaker, type BenchRow, type RowContext } from './report.js';
import { formatNumber } from '../util/format.js';
import { markdownTable } from '../util/markdown.js';
import { UserError } from '../util/errors.js';

export interface StepProfile {
  dataset: DatasetName;
  model: ModelKind;
  mode: TrainMode;
  optimizer: string;
  steps: number;
  wallMsPerStep: number;
  kernelsPerStep: number;
  kernelMsPerStep: number;
  readsPerStep: number;
  /** Kernel name -> [launches per step, ms per step], most expensive first (composites left out). */
  kernels: [string, number, number][];
}

export interface ProfileOptions {
  dataset: { name: DatasetName; data: Dataset };
  model: ModelKind;
  mode: TrainMode;
  optimizer: 'heavy-ball' | 'builtin-momentum';
  batchSize: number;
  learningRate: number;
  momentum: number;
  seed: number;
  fewSteps: number;
  manySteps: number;
}

interface Totals {
  epochSeconds: number;
  kernels: Map<string, { count: number; ms: number }>;
  reads: number;
}

/**
 * Launches that wrap other launches: tfjs op wrappers (`<op>__op`, from tf.customGrad) and
 * tfjs-node kernels written as several tfjs ops (e.g. _FusedMatMul is MatMul + Add +
 * activation, Step is IsNan + Greater + Fill + Select). Their inner kernels are profiled
 * too, so they are left out of the counts and sums, which then count native launches.
 */
export function isCompositeKernel(name: string): boolean {
  return name.endsWith('__op') || COMPOSITE_KERNELS.has(name);
}

const COMPOSITE_KERNELS = new Set([
  '_FusedMatMul',
  'FusedConv2D',
  'FusedDepthwiseConv2D',
  'Step',
  'ClipByValue',
  'Prelu',
  'Pow',
  'FusedBatchNorm',
  'StridedSlice',
  'SplitV',
  'LinSpace',
]);

async function runSteps(options: ProfileOptions, steps: number, profile: boolean): Promise<Totals> {
  const config = makeTrainConfig({
    dataset: options.dataset.name,
    model: options.model,
    optimizer: { kind: options.optimizer, learningRate: options.learningRate, momentum: options.momentum },
    epochs: 1,
    batchSize: options.batchSize,
    seed: options.seed,
    mode: options.mode,
    normEvery: 0,
    testLimit: 256,
    maxSteps: steps,
  });
  const backend = tf.backend() as unknown as { readSync: (dataId: object) => unknown };
  const readSync = backend.readSync;
  let reads = 0;
  let epochSeconds = NaN;
  const go = async () => {
    // The profile counts kernel launches, which a compiled step hides in one function call.
    const result = await trainInMemory(config, { dataset: options.dataset.data, compile: 'off' });
    epochSeconds = result.rows.find((row) => row.metric === 'epoch_seconds')?.value ?? NaN;
    return [] as TF.Tensor[];
  };
  backend.readSync = function (this: unknown, dataId: object) {
    reads++;
    return readSync.call(this, dataId);
  };
  try {
    const kernels = new Map<string, { count: number; ms: number }>();
    if (profile) {
      // tf.profile returns the engine's one profile object, reset by the next call: copy now.
      const info = await tf.profile(go);
      for (const kernel of info.kernels) {
        const entry = kernels.get(kernel.name) ?? { count: 0, ms: 0 };
        entry.count += 1;
        entry.ms += Number(kernel.kernelTimeMs);
        kernels.set(kernel.name, entry);
      }
    } else {
      await go();
    }
    return { epochSeconds, kernels, reads };
  } finally {
    backend.readSync = readSync;
  }
}

export async function profileTrainingStep(options: ProfileOptions): Promise<StepProfile> {
  const stepsPerEpoch = Math.ceil(options.dataset.data.train.count / options.batchSize);
  if (options.manySteps > stepsPerEpoch || options.fewSteps >= options.manySteps) {
    throw new UserError(
      `Invalid profile steps ${options.fewSteps} and ${options.manySteps} (expected few < many <= ${stepsPerEpoch} steps in one epoch)`,
    );
  }
  await runSteps(options, options.fewSteps, false); // warm-up
  const few = await runSteps(options, options.fewSteps, false);
  const many = await runSteps(options, options.manySteps, false);
  const fewProfiled = await runSteps(options, options.fewSteps, true);
  const manyProfiled = await runSteps(options, options.manySteps, true);
  const extra = options.manySteps - options.fewSteps;
  const kernels: [string, number, number][] = [];
  for (const [name, entry] of manyProfiled.kernels) {
    const base = fewProfiled.kernels.get(name) ?? { count: 0, ms: 0 };
    const count = (entry.count - base.count) / extra;
    if (count > 0 && !isCompositeKernel(name)) kernels.push([name, count, (entry.ms - base.ms) / extra]);
  }
  kernels.sort((a, b) => b[2] - a[2]);
  return {
    dataset: options.dataset.name,
    model: options.model,
    mode: options.mode,
    optimizer: options.optimizer,
    steps: extra,
    wallMsPerStep: ((many.epochSeconds - few.epochSeconds) / extra) * 1000,
    kernelsPerStep: kernels.reduce((sum, [, count]) => sum + count, 0),
    kernelMsPerStep: kernels.reduce((sum, [, , ms]) => sum + ms, 0),
    readsPerStep: (many.reads - few.reads) / extra,
    kernels,
  };
}

export function profileRows(profiles: readonly StepProfile[], context: RowContext): BenchRow[] {
  const row = rowMaker('training', context);
  return profiles.flatMap((p) => {
    const workload = `${p.dataset}/${p.model} step profile`;
    const system = `inertia ${p.mode === 'custom' ? 'custom loop' : 'model.fit'} + ${p.optimizer}`;
    return [
      row(workload, system, 'wall_ms_per_step', p.wallMsPerStep, 'ms'),
      row(workload, system, 'kernels_per_step', p.kernelsPerStep, 'kernels'),
      row(workload, system, 'kernel_ms_per_step', p.kernelMsPerStep, 'ms'),
      row(workload, system, 'sync_reads_per_step', p.readsPerStep, 'reads'),
      ...p.kernels.map(([name, count]) => row(workload, system, `kernels_per_step:${name}`, count, 'kernels')),
    ];
  });
}

export function profileMarkdown(profiles: readonly StepProfile[]): string {
  const summary = markdownTable(
    [
      'dataset/model',
      'loop + optimizer',
      'wall ms/step',
      'kernels/step',
      'kernel ms/step (profiled)',
      'sync reads/step',
      'top kernels (launches/step, ms/step)',
    ],
    profiles.map((p) => [
      `${p.dataset}/${p.model}`,
      `${p.mode === 'custom' ? 'custom loop' : 'model.fit'} + ${p.optimizer}`,
      formatNumber(p.wallMsPerStep),
      formatNumber(p.kernelsPerStep),
      formatNumber(p.kernelMsPerStep),
      formatNumber(p.readsPerStep),
      p.kernels
        .slice(0, 6)
        .map(([name, count, ms]) => `${name} ${formatNumber(count)}x ${formatNumber(ms)} ms`)
        .join(', '),
    ]),
  );
  return `${summary}\n\nPer step = (run of N steps - run of M steps) / (N - M) in one epoch, so set-up and evaluation cancel. Kernel time is profiled (each kernel timed around tfjs-node's kernel function, native dispatch included; profiling slows the run, so kernel ms and wall ms come from different runs). Composite launches (tf.customGrad wrappers, tfjs-node kernels built from several ops such as _FusedMatMul and Step) are left out: their inner kernels are counted. Every launch costs a fixed dispatch overhead in tfjs, whatever its size.`;
}
