import { zerosFor } from './perVariable.js';
import { statelessStage, type NoState } from './statelessStage.js';
import type { GradientTransformation } from './types.js';

/** No state: the step count comes from the optimizer (StepContext.step). */
export type StopGradientAfterState = NoState;

/**
 * Passes the gradient in for the optimizer's first `steps` steps, then feeds zeros:
 *
 *     u = g     while t < steps     (t = steps already taken by the optimizer)
 *     u = 0     afterwards
 *
 * The answer's ablation "pure momentum": chain(stopGradientAfter(k), trace(mu),
 * scaleByLearningRate(alpha)) gives v = mu * v + g for the first k steps and v = mu * v
 * afterwards, w -= alpha * v. No learning rate, no buffer. `steps` is a positive integer
 * (checked by createOptimizer and stageFromConfig, not here).
 */
export function stopGradientAfter(steps: number): GradientTransformation<StopGradientAfterState> {
  return statelessStage(
    { name: 'stopGradientAfter', steps },
    { map: (updates, _params, context) => (context.step < steps ? updates : zerosFor(updates)) },
  );
}
