/** Shared by the optimizer tests: fixture types, comparisons, small models. */
import { readFileSync } from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../../src/backend.js';
import { createOptimizer, type ChainOptimizer, type OptimizerSpec } from '../../src/optimizers/index.js';
import { currentBackend } from '../../src/backend.js';
import { compileStep, optimizerCompileOptions, type StepFunction } from '../../src/graph/compile.js';
import { defaultCompileMode } from '../../src/graph/compileMode.js';

export type Nested = number | Nested[];

interface CaseBase {
  kind: string;
  hyperparameters: Record<string, number>;
  seed: number;
  steps: number;
  initial: Record<string, Nested>;
}
export interface OpenCase extends CaseBase {
  mode: 'open';
  gradients: Record<string, Nested>[];
  trajectory: Record<string, Nested>[];
  /** The loss value that goes with gradients[t] (cases of optimizers that need it). */
  values?: number[];
}
export interface ClosedCase extends CaseBase {
  mode: 'closed';
  x: number[][];
  labels: number[];
  losses: number[];
  final: Record<string, Nested>;
}
export type FixtureCase = OpenCase | ClosedCase;

export function loadFixture(file = 'optimizer-trajectories.json'): { generator: string; cases: FixtureCase[] } {
  return JSON.parse(readFileSync(new URL(`../fixtures/${file}`, import.meta.url), 'utf8'));
}

/**
 * The parameter-free kinds that run at their defaults: a step-dependent bias correction
 * (ema-debiased), per-weight step sizes (adadelta, rprop), global distance estimates with the
 * initial parameters (dog, dowg) and a per-weight bettor (cocob).
 */
export const PARAMETER_FREE_KINDS = ['ema-debiased', 'adadelta', 'rprop', 'dog', 'dowg', 'cocob'] as const;

/** Each of {@link PARAMETER_FREE_KINDS} at its defaults; ema-debiased, a momentum kind, with the momentum it needs. */
export const PARAMETER_FREE_SPECS: readonly OptimizerSpec[] = PARAMETER_FREE_KINDS.map((kind) =>
  kind === 'ema-debiased' ? { kind, momentum: 0.9 } : { kind },
);

/** The open- and closed-loop cases of parameter-free-trajectories.json whose kind is in `kinds`. */
export function parameterFreeCases(kinds: readonly string[]): { open: OpenCase[]; closed: ClosedCase[] } {
  const cases = loadFixture('parameter-free-trajectories.json').cases.filter((c) => kinds.includes(c.kind));
  return {
    open: cases.filter((c): c is OpenCase => c.mode === 'open'),
    closed: cases.filter((c): c is ClosedCase => c.mode === 'closed'),
  };
}

/** A test that the cases cover each of `kinds` open loop, and hold at least one closed-loop case. */
export function itCoversEveryKind(
  open: readonly OpenCase[],
  closed: readonly ClosedCase[],
  kinds: readonly string[],
): void {
  it(`has an open-loop case of each of ${kinds.join(', ')}, and a closed-loop case`, () => {
    expect(new Set(open.map((c) => c.kind))).toEqual(new Set(kinds));
    expect(closed.length).toBeGreaterThanOrEqual(1);
  });
}

/**
 * The start of an open-loop case: variables holding its initial weights under a new prefix
 * (disposed after the test through `owned`), and its optimizer built from the case alone,
 * createOptimizer({ kind, ...hyperparameters }).
 */
export function openCaseStart(c: OpenCase, label: string, owned: TF.TensorContainer[]) {
  const prefix = uniquePrefix(label);
  const variables = makeVariables(prefix, c.initial);
  owned.push(Object.values(variables));
  const optimizer = createOptimizer({ kind: c.kind, ...c.hyperparameters } as OptimizerSpec);
  return { prefix, variables, optimizer };
}

/**
 * Takes the steps of an open-loop case as the training loop does (through {@link testStepper}:
 * compiled unless INERTIA_COMPILE=off), with each step's gradients (and its loss value, for a
 * case that has `values`) as the step's inputs, and returns how far the variables strayed from
 * the case's trajectory. The stepper is disposed; the optimizer is the caller's.
 */
export function stepOpenCase(
  optimizer: ChainOptimizer,
  prefix: string,
  variables: Record<string, TF.Variable>,
  c: Pick<OpenCase, 'initial' | 'steps' | 'gradients' | 'trajectory' | 'values'>,
): TrajectoryErrors {
  const names = Object.keys(c.initial).map((name) => `${prefix}/${name}`);
  const stepper = testStepper(optimizer, (inputs) => {
    const gradients = Object.fromEntries(names.map((name, i) => [name, inputs[i]]));
    optimizer.applyGradients(gradients, c.values === undefined ? {} : { loss: inputs[names.length] });
    return [];
  });
  const trajectory = new TrajectoryErrors(c.initial);
  for (let t = 0; t < c.steps; t++) {
    const gradients = namedGradients(prefix, c.gradients[t]);
    const inputs: TF.Tensor[] = names.map((name) => gradients[name]);
    if (c.values !== undefined) inputs.push(tf.scalar(c.values[t]));
    stepper.run(inputs);
    tf.dispose(inputs);
    trajectory.add(variables, c.trajectory[t]);
  }
  stepper.dispose();
  return trajectory;
}

/** Largest |actual - expected| / max(1, |expected|) and |actual - expected| over the entries. */
export function errors(actual: ArrayLike<number>, expected: readonly number[]): { relative: number; absolute: number } {
  let relative = 0;
  let absolute = 0;
  expected.forEach((x, i) => {
    relative = Math.max(relative, Math.abs(actual[i] - x) / Math.max(1, Math.abs(x)));
    absolute = Math.max(absolute, Math.abs(actual[i] - x));
  });
  return { relative, absolute };
}

/** A fixture case's name in the test list: kind, seed and hyperparameters. */
export function caseLabel(c: CaseBase): string {
  return `${c.kind} seed ${c.seed} ${JSON.stringify(c.hyperparameters)}`;
}

/** A list whose tensors are disposed after each test of the file (push what a test creates). */
export function disposedAfterEach(): TF.TensorContainer[] {
  const owned: TF.TensorContainer[] = [];
  afterEach(() => {
    tf.dispose(owned);
    owned.length = 0;
  });
  return owned;
}

/** The artifacts of `model` saved in memory with its optimizer's state (what model.save writes). */
export async function savedInMemory(model: TF.LayersModel): Promise<TF.io.ModelArtifacts> {
  let artifacts: TF.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
    { includeOptimizer: true },
  );
  return artifacts!;
}

export function flat(value: Nested): number[] {
  return Array.isArray(value) ? value.flatMap(flat) : [value];
}

/** Largest |actual - expected| over all entries (shapes must match). */
export function maxAbsDiff(actual: TF.Tensor | Nested, expected: Nested): number {
  const a = isTensor(actual) ? Array.from(actual.dataSync()) : flat(actual);
  const e = flat(expected);
  expect(a.length).toBe(e.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - e[i])), 0);
}

/** Largest |actual - expected| / max(|expected|, floor), entry by entry. */
export function maxRelDiff(actual: TF.Tensor | Nested, expected: Nested, floor = 1e-3): number {
  const a = isTensor(actual) ? Array.from(actual.dataSync()) : flat(actual);
  const e = flat(expected);
  expect(a.length).toBe(e.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - e[i]) / Math.max(Math.abs(e[i]), floor)), 0);
}

function isTensor(value: unknown): value is TF.Tensor {
  return value instanceof tf.Tensor;
}

let counter = 0;
/** A prefix that keeps variable names unique within the process. */
export function uniquePrefix(label: string): string {
  counter += 1;
  return `${label}${counter}`;
}

/** Variables named `<prefix>/<name>` holding `initial`. */
export function makeVariables(prefix: string, initial: Record<string, Nested>): Record<string, TF.Variable> {
  const variables: Record<string, TF.Variable> = {};
  for (const name of Object.keys(initial)) {
    variables[name] = tf.variable(tf.tensor(initial[name] as number[]), true, `${prefix}/${name}`);
  }
  return variables;
}

/** Gradients keyed by the variables' registered names. */
export function namedGradients(prefix: string, gradients: Record<string, Nested>): TF.NamedTensorMap {
  const map: TF.NamedTensorMap = {};
  for (const name of Object.keys(gradients)) map[`${prefix}/${name}`] = tf.tensor(gradients[name] as number[]);
  return map;
}

/**
 * The fixture's closed-loop model as a loss closure: relu(x @ dense1/kernel + dense1/bias)
 * @ dense2/kernel + dense2/bias, mean softmax cross-entropy against one-hot `targets`.
 */
export function twoLayerNetLoss(w: Record<string, TF.Variable>, x: TF.Tensor2D, targets: TF.Tensor): () => TF.Scalar {
  return () =>
    tf.tidy(() => {
      const hidden = tf.relu(tf.add(tf.matMul(x, w['dense1/kernel']), w['dense1/bias']));
      const logits = tf.add(tf.matMul(hidden, w['dense2/kernel']), w['dense2/bias']);
      return tf.losses.softmaxCrossEntropy(targets, logits) as TF.Scalar;
    });
}

/**
 * Trains a closed-loop fixture case with createOptimizer (full batch, optimizer.minimize):
 * the loss before each step, and the variables after the last one (the caller disposes them);
 * with `evaluate`, also the optimizer's evaluationParams() after the last step (else null).
 */
export function trainClosedCase(
  c: ClosedCase,
  prefix: string,
  evaluate = false,
): { losses: number[]; weights: Record<string, TF.Variable>; evaluation: Record<string, TF.Tensor> | null } {
  const weights = makeVariables(prefix, c.initial);
  const x = tf.tensor2d(c.x);
  const targets = tf.oneHot(tf.tensor1d(c.labels, 'int32'), weights['dense2/bias'].shape[0]);
  const optimizer = createOptimizer({ kind: c.kind, ...c.hyperparameters } as OptimizerSpec);
  const stepper = testStepper(optimizer, ([xIn, targetsIn]) => [
    optimizer.minimize(twoLayerNetLoss(weights, xIn as TF.Tensor2D, targetsIn), true, Object.values(weights))!,
  ]);
  const losses: number[] = [];
  for (let t = 0; t < c.steps; t++) {
    const [value] = stepper.run([x, targets]);
    losses.push(value.dataSync()[0]);
    value.dispose();
  }
  stepper.dispose();
  const evaluation = evaluate ? optimizer.evaluationParams() : null;
  optimizer.dispose();
  tf.dispose([x, targets]);
  return { losses, weights, evaluation };
}

/**
 * How the optimizer tests take steps: compiled (first step eager, then traced and called as a
 * TensorFlow function) unless INERTIA_COMPILE=off or the backend is cpu. CI runs them both ways.
 */
export function testStepper(optimizer: TF.Optimizer, step: StepFunction): { run: StepFunction; dispose(): void } {
  if (defaultCompileMode() === 'off' || currentBackend() !== 'tensorflow') return { run: step, dispose() {} };
  const compiled = compileStep(step, optimizerCompileOptions(optimizer));
  let first = true;
  return {
    run(inputs) {
      if (!first) return compiled.run(inputs);
      first = false;
      return step(inputs);
    },
    dispose: () => compiled.dispose(),
  };
}

/**
 * How far a trajectory strays from a reference: the largest error relative to max(1, |x|),
 * the largest absolute error, and the largest displacement of the reference from its start
 * (an error must stay well below it, or an optimizer that does nothing would pass).
 */
export class TrajectoryErrors {
  worst = 0;
  worstAbsolute = 0;
  motion = 0;

  constructor(private readonly initial: Record<string, Nested>) {}

  /** Compares every variable with the reference after one step. */
  add(variables: Record<string, TF.Variable>, expectedAfterStep: Record<string, Nested>): void {
    for (const name of Object.keys(this.initial)) {
      const actual = variables[name].dataSync();
      const expected = flat(expectedAfterStep[name]);
      const initial = flat(this.initial[name]);
      expected.forEach((x, i) => {
        this.worst = Math.max(this.worst, Math.abs(actual[i] - x) / Math.max(1, Math.abs(x)));
        this.worstAbsolute = Math.max(this.worstAbsolute, Math.abs(actual[i] - x));
        this.motion = Math.max(this.motion, Math.abs(x - initial[i]));
      });
    }
  }
}
