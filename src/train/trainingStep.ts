/**
 * A run's optimizer step on a batch given by its rows in data held whole on the device
 * (inputs `[rows, x, y, step seed]`, the seed drawn from by the model's random layers): gathering the batch, the objective's gradients and the update are
 * one computation, so that a compiled step (verifiedStep.ts) holds all of it. The step's first
 * call is eager (the optimizer allocates its state), and compiled calls are checked against
 * eager ones to {@link VERIFY_TOLERANCE}.
 *
 * The measured step is the same step that also returns the norms a run records every
 * `normEvery` steps, computed inside the step (a function of its own once compiled, so
 * measuring costs one function call, not one eager step):
 * - `grad_norm` = |g|, the global norm of the objective's gradient over all variables;
 * - `update_norm` = |w_after - w_before|, how far the step moved the variables;
 * - `velocity_norm` = |v| after the step, for optimizers with a velocity slot (ChainOptimizer.velocity).
 */
import type * as TF from '@tensorflow/tfjs';
import { tf } from '../backend.js';
import { applyGradientsWithLoss } from '../optimizers/index.js';
import { seededStep, type StepFunction } from '../graph/compile.js';
import type { CompileMode } from '../graph/compileMode.js';
import { VerifiedStep, VERIFY_TOLERANCE } from '../graph/verifiedStep.js';
import { gatherRows } from './deviceData.js';
import { globalNorm } from './losses.js';

/** What a step is made of: the variables it trains, the optimizer, the (scaled) objective of a batch. */
export interface StepParts {
  variables: TF.Variable[];
  optimizer: TF.Optimizer;
  objective: (x: TF.Tensor, y: TF.Tensor) => TF.Scalar;
}

/** The norms the measured step returns after its loss, in this order (velocity only when the optimizer has one). */
export const MEASURED_NORMS = ['grad_norm', 'update_norm', 'velocity_norm'] as const;

function batchOf([rows, x, y]: TF.Tensor[]): [TF.Tensor, TF.Tensor] {
  return [gatherRows(x, rows as TF.Tensor1D), gatherRows(y, rows as TF.Tensor1D)];
}

/**
 * The optimizer's first velocity slot (ChainOptimizer.velocity) in the order of `variables`, or
 * null (a restored state may hold its entries in another order, and the order of a sum changes
 * its float32 result).
 */
export function velocityOf(optimizer: TF.Optimizer, variables: readonly TF.Variable[]): TF.Tensor[] | null {
  const source = optimizer as unknown as { velocity?: () => TF.NamedTensorMap | null };
  const velocity = source.velocity?.();
  if (!velocity) return null;
  return variables.map((variable) => velocity[variable.name]).filter((tensor) => tensor !== undefined);
}

/** One step on the batch `[rows, x, y, step seed]` (stepSeedTensor); returns `[objective]`. */
export function plainStep({ variables, optimizer, objective }: StepParts): StepFunction {
  return seededStep((inputs) => {
    const [x, y] = batchOf(inputs);
    const { value, grads } = tf.variableGrads(() => objective(x, y), variables);
    applyGradientsWithLoss(optimizer, grads, value);
    tf.dispose(grads);
    return [value];
  });
}

/** One step on the batch `[rows, x, y, step seed]`; returns `[objective, grad_norm, update_norm, velocity_norm?]`. */
export function measuredStep({ variables, optimizer, objective }: StepParts): StepFunction {
  return seededStep((inputs) => {
    const [x, y] = batchOf(inputs);
    const { value, grads } = tf.variableGrads(() => objective(x, y), variables);
    const before = variables.map((v) => v.clone());
    const gradNorm = globalNorm(Object.values(grads));
    applyGradientsWithLoss(optimizer, grads, value);
    const updateNorm = globalNorm(variables.map((v, i) => tf.sub(v, before[i])));
    const velocity = velocityOf(optimizer, variables);
    tf.dispose([...Object.values(grads), ...before]);
    return [value, gradNorm, updateNorm, ...(velocity ? [globalNorm(velocity)] : [])];
  });
}

/** `computation` as a training step: eager first, then compiled where it verifies (fallbacks warned). */
export function verifiedTrainingStep(
  computation: StepFunction,
  optimizer: TF.Optimizer,
  mode: CompileMode,
): VerifiedStep {
  return new VerifiedStep(computation, {
    mode,
    check: { tolerance: VERIFY_TOLERANCE },
    optimizer,
    eagerCalls: 1,
    warn: true,
  });
}
