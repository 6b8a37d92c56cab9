/**
 * Closed forms the study checks its runs against.
 *
 * No-learning-rate EMA momentum (v = beta v + (1 - beta) s g; w -= v) is heavy-ball with
 * learning rate alpha = 1 - beta on the velocity u = v / (1 - beta) (u = beta u + s g;
 * w -= (1 - beta) u). On a quadratic with top Hessian eigenvalue lambda, heavy-ball is
 * stable iff alpha * lambda < 2 (1 + mu), so with the loss multiplied by s (the Hessian
 * becomes s lambda):
 *
 *   stable  <=>  s * lambda * (1 - beta) < 2 (1 + beta)  <=>  s * lambda < 2 (1 + beta) / (1 - beta).
 *
 * For a network the Hessian changes as training moves, so the boundary computed from
 * lambda at initialisation is a prediction for the first steps, to be checked by runs.
 */

/** The largest stable s * lambda for heavy-ball with learning rate alpha and momentum mu: 2 (1 + mu) / alpha. */
export function heavyBallStabilityLimit(learningRate: number, momentum: number): number {
  return (2 * (1 + momentum)) / learningRate;
}

/** The largest stable s * lambda of no-lr EMA momentum with coefficient beta: 2 (1 + beta) / (1 - beta). */
export function noLearningRateEmaLimit(beta: number): number {
  return heavyBallStabilityLimit(1 - beta, beta);
}

/** The loss scale above which no-lr EMA momentum with coefficient beta is predicted to diverge. */
export function noLearningRateEmaBoundaryScale(lambdaMax: number, beta: number): number {
  return noLearningRateEmaLimit(beta) / lambdaMax;
}

/** True when s * lambda_max lies inside the predicted stable region of no-lr EMA momentum. */
export function noLearningRateEmaStable(lossScale: number, lambdaMax: number, beta: number): boolean {
  return lossScale * lambdaMax < noLearningRateEmaLimit(beta);
}

/**
 * Heavy-ball without a learning rate (v = mu v + s g; w -= v) takes a steady step
 * s g / (1 - mu) on a constant gradient: mu multiplies the step by this factor.
 */
export function heavyBallSteadyGain(momentum: number): number {
  return 1 / (1 - momentum);
}
