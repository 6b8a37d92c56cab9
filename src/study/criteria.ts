/**
 * Every criterion the study's verdicts are judged by, fixed before the runs: what is claimed,
 * which statistic is measured, the rule with its bounds, and why the bounds are what they are
 * (from theory or from a measured noise floor, never from the result). The verdict code reads
 * its bounds from here, and the report prints a hash of this list, so a criterion cannot change
 * silently. Every change after the first study is listed in criteriaChanges.ts with its reason.
 */
import crypto from 'node:crypto';
import { stableJson } from '../util/json.js';

export interface Criterion {
  /** Stable id `e<experiment>.<name>`. */
  id: string;
  /** Id of the experiment that judges it. */
  experiment: string;
  claim: string;
  /** The statistic measured, and over what. */
  statistic: string;
  /** The decision rule, in words, with the bounds below. */
  rule: string;
  /** The numbers the rule uses; the verdict code reads them from here. */
  bounds: Readonly<Record<string, number>>;
  /** Why these bounds. */
  why: string;
}

const E1 = 'experiment-1-momentum-alone';
const E2 = 'experiment-2-no-learning-rate';
const E3 = 'experiment-3-learning-rate-momentum-grid';
const E4 = 'experiment-4-quadratic-limits';
const E5 = 'experiment-5-builtin-parity';
const E6 = 'experiment-6-learning-rate-schedule';

export const CRITERIA: readonly Criterion[] = [
  {
    id: 'e1.momentum-alone-stalls',
    experiment: E1,
    claim: 'Momentum alone does not learn: pure momentum ends far below SGD and heavy-ball',
    statistic: 'final test accuracy of sgd, heavy-ball and pure momentum (k = 1 and k = 10)',
    rule: "sgd and heavy-ball reach the preset's learned accuracy and both pure-momentum runs stay at least `gap` below the weaker of them",
    bounds: { gap: 0.2 },
    why: 'A model that learned nothing useful sits near chance (10%); 20 points is far outside any seed-to-seed spread of a trained MLP (a few points).',
  },
  {
    id: 'e1.weights-stop',
    experiment: E1,
    claim: 'Once the gradient is cut off, the weights stop and the loss stops improving',
    statistic:
      'relative change of the full-set train loss and of |w - w0| over the last epoch, both pure-momentum runs',
    rule: 'both changes below `change` for both pure-momentum runs',
    bounds: { change: 1e-3 },
    why: 'After the cut-off the step shrinks like mu^t; mu^T after an epoch is below 1e-10, so any change above 0.1% would mean the weights still move.',
  },
  {
    id: 'e1.closed-form-displacement',
    experiment: E1,
    claim:
      'The weights move by the closed form alpha * g0 * (1 - mu^T) / (1 - mu), predetermined by mu and the first gradient',
    statistic: 'relative error of the measured |w_T - w_0| against the closed form (k = 1)',
    rule: 'below `error`',
    bounds: { error: 1e-3 },
    why: 'float32 accumulates about 1e-7 relative error per step; 1e-3 leaves room for thousands of steps.',
  },
  {
    id: 'e2.scale-dependence',
    experiment: E2,
    claim: 'Without a learning rate the outcome depends on the scale of the loss',
    statistic: 'spread of no-lr-momentum final test accuracy across the loss scales; divergence',
    rule: 'accuracy varies by at least `swing` across the scales, or a scale diverges',
    bounds: { swing: 0.2 },
    why: '20 points is far outside seed-to-seed spread, so it cannot come from noise.',
  },
  {
    id: 'e2.same-curve',
    experiment: E2,
    claim: 'With alpha * s held constant the EMA form follows the same curve at every scale',
    statistic:
      'largest relative difference of per-epoch test loss from the s = 1 run, and spread of final accuracy, across scales',
    rule: 'loss difference below `lossDifference` and accuracy spread at most `accuracySpread`',
    bounds: { lossDifference: 0.05, accuracySpread: 0.005 },
    why: 'Exact in real arithmetic; float32 rounds alpha/s and s*g differently and training amplifies that.',
  },
  {
    id: 'e2.velocity-follows-gradient',
    experiment: E2,
    claim: 'The velocity catches up to the size of the gradient, not to the step the weights need',
    statistic: 'median |v|/|g| of no-lr-momentum per scale, and the span of median |v| across scales',
    rule: 'every median ratio between `ratioLow` and `ratioHigh`, and the span of |v| at least `spanFraction` of the span of s',
    bounds: { ratioLow: 0.05, ratioHigh: 1.5, spanFraction: 0.01 },
    why: 'An average of gradients has the size of a gradient (ratio near 1 for aligned gradients, smaller when they cancel).',
  },
  {
    id: 'e3.heavy-ball-slope',
    experiment: E3,
    claim: "Heavy-ball's best learning rate moves like (1 - mu): its effective step is alpha / (1 - mu)",
    statistic: 'slope of log10(best alpha) on log10(1 - mu), best alpha interpolated between grid points',
    rule: 'slope between `low` and `high`',
    bounds: { low: 0.5, high: 1.5 },
    why: 'Theory predicts slope 1; half a unit either way separates it from 0 (no dependence).',
  },
  {
    id: 'e3.ema-flat',
    experiment: E3,
    claim: "ema-momentum's best learning rate stays put: its step is alpha whatever beta is",
    statistic: 'slope of log10(best alpha) on log10(1 - beta), best alpha interpolated between grid points',
    rule: '|slope| below `bound`',
    bounds: { bound: 0.3 },
    why: 'Theory predicts slope 0 at steady state; 0.3 keeps it well apart from the heavy-ball slope 1.',
  },
  {
    id: 'e4.closed-form',
    experiment: E4,
    claim:
      'Pure momentum follows dw_t = mu^t dw_0 exactly: the trajectory is fixed by mu and the first step, whatever the loss',
    statistic: 'relative error of measured |w_T - w_0| against the closed form, worst over mu',
    rule: 'below `error`',
    bounds: { error: 1e-3 },
    why: 'float32 accumulates about 1e-7 relative error per step.',
  },
  {
    id: 'e4.unit-momentum',
    experiment: E4,
    claim: 'For mu = 1 the step stays dw_0, whether |dw_0| < 1 or > 1 (the accepted answer ties the limit to dw_0 < 1)',
    statistic: '|dw_T| / |dw_0| for a first step below and above 1',
    rule: 'within `error` of 1 for both',
    bounds: { error: 1e-3 },
    why: 'float32 accumulates about 1e-7 relative error per step.',
  },
  {
    id: 'e4.stability-boundary',
    experiment: E4,
    claim: 'Heavy-ball is stable exactly for alpha < 2 (1 + mu) / lambda_max',
    statistic: 'bisection boundary with the real optimizer relative to theory, worst over mu',
    rule: 'within `error` of theory',
    bounds: { error: 0.02 },
    why: 'The bisection resolves the boundary to a fraction of a percent; near the boundary growth is slow, so finite runs misjudge it by up to about 1%.',
  },
  {
    id: 'e5.parity',
    experiment: E5,
    claim: 'The custom optimizers reproduce tf.train.sgd / tf.train.momentum step for step',
    statistic: 'largest difference in minibatch loss over every step of every pair',
    rule: 'below `difference`',
    bounds: { difference: 1e-4 },
    why: 'The same float32 operations in a different order differ by about 1e-6 per step.',
  },
  {
    id: 'e5.step-cost',
    experiment: E5,
    claim: 'A custom step costs no more than the built-in one',
    statistic: 'median time of the optimizer step alone, custom / built-in, interleaved A/B',
    rule: 'at most `ratio` for every pair',
    bounds: { ratio: 1.05 },
    why: '5% for timing noise on a shared machine.',
  },
  {
    id: 'e6.outside-halves',
    experiment: E6,
    claim: 'With the rate outside the velocity (TF.js, PyTorch) halving it halves the step at once',
    statistic: 'mean update norm over the 3 steps after the switch / the 3 before',
    rule: 'below `ratio`',
    bounds: { ratio: 0.65 },
    why: '0.5 means halved at once; 0.65 allows for the step drifting by a few percent over six steps.',
  },
  {
    id: 'e6.inside-gradual',
    experiment: E6,
    claim: 'With the rate inside the velocity (Keras) the step shrinks gradually',
    statistic:
      'the same ratio for the Keras convention against the TF.js one, right after the switch and 30 steps later',
    rule: 'right after: Keras at least `factor` x TF.js; 30 steps later within `settled` of each other',
    bounds: { factor: 1.3, settled: 0.1 },
    why: 'Right after the switch the Keras velocity still holds mostly old-rate gradients (ratio near 1 vs 0.5); after 3/(1 - mu) steps mu^30 = 4% of them remain.',
  },
];

export function criterion(id: string): Criterion {
  const found = CRITERIA.find((c) => c.id === id);
  if (!found) throw new Error(`No criterion with id ${JSON.stringify(id)} in criteria.ts`);
  return found;
}

export function bounds(id: string): Readonly<Record<string, number>> {
  return criterion(id).bounds;
}

/** SHA-256 of the criteria as sorted JSON: the report prints it so any change shows. */
export function criteriaHash(criteria: readonly Criterion[] = CRITERIA): string {
  return crypto.createHash('sha256').update(stableJson(criteria)).digest('hex');
}
