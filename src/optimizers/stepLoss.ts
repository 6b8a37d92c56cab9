import type * as TF from '@tensorflow/tfjs-core';
import { UserError } from '../util/errors.js';
import type { StepContext } from './types.js';

/** A stage needs the step's loss value and the caller did not pass one. */
export class MissingLossError extends UserError {}

/** The step's loss (see StepContext.loss); throws a {@link MissingLossError} naming `stage` when absent. */
export function requireLoss(context: StepContext, stage: string): TF.Scalar {
  if (context.loss !== null) return context.loss;
  throw new MissingLossError(
    `${stage} needs the loss value of each step: call applyGradients(gradients, { loss }) with the loss (a number or a scalar tensor), or use minimize(f)`,
  );
}
