/**
 * Every criterion the study's verdicts are judged by, fixed before the runs: what is claimed,
 * which statistic is measured, the rule with its bounds, and why the bounds are what they are
 * (from theory or from a measured noise floor, never from the result). The verdict code reads
 * its bounds from here, and the report prints a hash of this list, so a criterion cannot change
 * silently. Every change after the first study is listed in criteriaChanges.ts with its reason.
 */
import crypto from 'node:crypto';
import { stableJson } from '../util/json.js';

interface CriterionBase {
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

/**
 * A claim about training that could come out either way. `couldFail` names the outcome that
 * would have contradicted it and why that outcome was possible before the runs (not excluded by
 * algebra or by the construction of the experiment).
 */
export interface Finding extends CriterionBase {
  kind: 'finding';
  couldFail: string;
}

/**
 * An identity of the arithmetic or the implementation: it guards the code and is not evidence
 * about the question. `identity` says what fixes its outcome, for rows whose claim reads like a
 * finding (or restates one).
 */
export interface Check extends CriterionBase {
  kind: 'check';
  identity?: string;
  /**
   * The outcome the algebra dictates (default supported): 'not supported' for a claim that
   * must fail by construction (a scale dependence of a scale-invariant optimizer, a claim of the
   * usual answer that the update rule contradicts). The check passes when it comes out so.
   */
  expected?: 'supported' | 'not supported';
}

export type Criterion = Finding | Check;

// One constant per experiment id, so each criterion below names its experiment without repeating the string.
const E1 = 'experiment-1-momentum-alone';
const E2 = 'experiment-2-no-learning-rate';
const E3 = 'experiment-3-learning-rate-momentum-grid';
const E4 = 'experiment-4-quadratic-limits';
const E5 = 'experiment-5-builtin-parity';
const E6 = 'experiment-6-learning-rate-schedule';
const EA = 'experiment-a-no-lr-fair-chance';
const EA1 = 'experiment-a-no-lr-fair-chance-confirmed';
const EB = 'experiment-b-adaptive-scales';
const EC = 'experiment-c-learning-rate-free';
const ED = 'experiment-d-needed-step';
const EE1 = 'experiment-e-natural-scales-confirmed';
const EF = 'experiment-f-answer-claims';
const G0 = 'experiment-g-0-atlas-tuning';
const G = 'experiment-g-atlas';

export const CRITERIA: readonly Criterion[] = [
  {
    id: 'e1.momentum-alone-stalls',
    experiment: E1,
    kind: 'finding',
    couldFail:
      'Pure momentum could have reached the learned accuracy: the point its glide stops at, w0 - c g0 (k = 1) or a combination of ten early gradients (k = 10), has an accuracy no algebra fixes, and a large enough c along the first gradients could have landed in a good region.',
    claim: 'Momentum alone does not learn: pure momentum ends far below SGD and heavy-ball',
    statistic:
      'per seed (paired: same initial weights and data order): the weaker of sgd and heavy-ball minus the better pure-momentum run (k = 1, k = 10), final test accuracy; tuned alphas',
    rule: "95% t interval of the gap entirely at or above `gap`, and of the weaker learner's accuracy at or above the preset's learned accuracy",
    bounds: { gap: 0.2 },
    why: 'A model that learned nothing useful sits near chance (10%); 20 points is far outside the seed-to-seed spread of a trained MLP (a few points), and decided on the interval it cannot come from one lucky seed.',
  },
  {
    id: 'e1.weights-stop',
    experiment: E1,
    kind: 'check',
    identity:
      'After the cut-off the step is mu^t dw_0 by the update rule, so the last epoch adds mu^T of the glide (below 1e-10 for T >= 219 steps, 0.3-0.5% in the short presets): the outcome is fixed by mu and T, whatever the data. It checks the implementation of the cut-off.',
    claim: 'Once the gradient is cut off, the weights stop and the loss stops improving',
    statistic:
      "signed relative change of the train loss (evaluated on the whole training split, or on the preset's fixed evaluation subset of it), and relative growth of |w - w0|, over the last epoch, per seed, for both pure-momentum runs",
    rule: '95% t intervals of both inside [-`change`, +`change`] for both pure-momentum runs; the negative control (sgd at its tuned alpha) must not pass',
    bounds: { change: 1e-3 },
    why: 'After the cut-off the step shrinks like mu^t, so the last epoch adds mu^T of the glide (T = steps per epoch): below 1e-10 for epochs of 219 steps or more (the full preset has 469), where any change beyond 0.1% means the weights still move. In shorter epochs (quick 50, default 55 steps: mu^T = 0.5% and 0.3%) the closed form itself leaves more than 0.1% for the last epoch and the rule fails. sgd at a tuned alpha keeps improving by more than 0.1%, so the rule can fail on its control.',
  },
  {
    id: 'e1.closed-form-displacement',
    experiment: E1,
    kind: 'check',
    claim:
      'The weights move by the closed form alpha * g0 * (1 - mu^T) / (1 - mu), predetermined by mu and the first gradient',
    statistic: 'relative error of the measured |w_T - w_0| against the closed form (k = 1), worst over seeds',
    rule: 'below `error`',
    bounds: { error: 1e-3 },
    why: 'An identity of the update rule; float32 accumulates about 1e-7 relative error per step, so 1e-3 leaves room for thousands of steps.',
  },
  {
    id: 'e2.scale-dependence',
    experiment: E2,
    kind: 'check',
    identity:
      'no-lr-momentum at loss scale s is ema-momentum at alpha = s (bit for bit with powers of two), so the sweep over s is a learning-rate sweep, and that a learning-rate sweep over 2^-7 .. 2^7 changes the outcome (or diverges) was known before any run.',
    claim: 'Without a learning rate the outcome depends on the scale of the loss',
    statistic:
      'per seed: spread (max - min) of final test accuracy across the loss scales whose run did not diverge; and which scales diverged on which seeds',
    rule: 'supported when the 95% t interval of the spread is entirely at or above `swing`, or a scale diverges on every seed while another diverges on none; not supported when the interval is entirely below `swing` and nothing diverged; otherwise inconclusive. The negative control (alpha * s constant) must come out not supported',
    bounds: { swing: 0.2 },
    why: '20 points is far outside seed-to-seed spread. Divergence on every seed at one scale and none at another is a dependence on the scale by itself.',
  },
  {
    id: 'e2.same-curve',
    experiment: E2,
    kind: 'check',
    claim: 'With alpha * s held constant the EMA form follows the same curve at every scale',
    statistic:
      "largest relative difference of per-epoch test loss from the same seed's s = 1 run, over scales and seeds (scales are powers of two)",
    rule: 'at most `noiseFloorMultiple` x the float32 noise floor measured in experiment 3; the negative control (no-lr-momentum) must not pass',
    bounds: { noiseFloorMultiple: 1 },
    why: 'With powers of two, alpha / s and s * g are exact in float32, so the runs should be bit-identical; any tolerance beyond the measured disagreement of runs that are identical in exact arithmetic would be chosen by hand.',
  },
  {
    id: 'e2.velocity-follows-gradient',
    experiment: E2,
    kind: 'check',
    identity:
      "v is a linear average of s g, so |v| scales like s by construction (slope 1) wherever the trajectory is the same; only the change of trajectory with s can move the slope. It checks the velocity's units, not the question.",
    claim: 'The velocity catches up to the size of the gradient, not to the step the weights need',
    statistic:
      'per seed: slope of log10(median |v|) on log10(s) over the scales with at least `minSteps` measured steps before divergence (1 = v follows the loss scale, 0 = it does not)',
    rule: '95% t interval of the slope entirely at or above `slope`; the negative control (the step of ema-momentum with alpha / s) must not pass',
    bounds: { slope: 0.5, minSteps: 20 },
    why: 'An average of gradients scales with the loss (slope 1); a quantity that "caught up" to the step the weights need would not (slope 0); 0.5 is halfway. The EMA needs about 1/(1 - beta) = 10 steps to forget its zero start, so fewer than 20 steps is not a median of the dynamics.',
  },
  {
    id: 'e3.heavy-ball-slope',
    experiment: E3,
    kind: 'finding',
    couldFail:
      "A slope outside [0.5, 1.5]. heavy-ball(alpha, mu) is ema-momentum(alpha / (1 - mu), mu) by algebra, so the slope is 1 only if ema-momentum's best alpha does not move with beta; it could move, since a long average lowers the gradient noise and widens the stability bound 2 (1 + mu) / ((1 - mu) lambda_max), both of which can favour a larger step at mu = 0.99.",
    claim: "Heavy-ball's best learning rate moves like (1 - mu): its effective step is alpha / (1 - mu)",
    statistic:
      'slope of log10(best alpha) on log10(1 - mu), best alpha interpolated from the validation loss; the estimate from the mean over seeds, the 95% t interval over per-seed slopes',
    rule: 'interval entirely inside [`low`, `high`]; the negative control (ema-momentum) must not pass',
    bounds: { low: 0.5, high: 1.5 },
    why: 'Theory predicts slope 1; half a unit either way separates it from 0 (no dependence), the prediction for the EMA form.',
  },
  {
    id: 'e3.ema-flat',
    experiment: E3,
    kind: 'finding',
    couldFail:
      'A slope beyond 0.3 in size: at beta = 0.99 the EMA averages about 100 minibatch gradients, which lowers their noise and widens the stability bound, so the best alpha could have grown with beta; a slower warm-up from v = 0 could have moved it the other way.',
    claim: "ema-momentum's best learning rate stays put: its step is alpha whatever beta is",
    statistic:
      'slope of log10(best alpha) on log10(1 - beta), best alpha interpolated from the validation loss; the estimate from the mean over seeds, the 95% t interval over per-seed slopes',
    rule: 'interval entirely inside [-`bound`, +`bound`]',
    bounds: { bound: 0.3 },
    why: 'Theory predicts slope 0 at steady state; 0.3 keeps it well apart from the heavy-ball slope 1.',
  },
  {
    id: 'e4.closed-form',
    experiment: E4,
    kind: 'check',
    claim:
      'Pure momentum follows dw_t = mu^t dw_0 exactly: the trajectory is fixed by mu and the first step, whatever the loss',
    statistic: 'relative error of measured |w_T - w_0| against the closed form, worst over mu (deterministic)',
    rule: 'below `error`',
    bounds: { error: 1e-3 },
    why: 'An identity of the update rule; float32 accumulates about 1e-7 relative error per step.',
  },
  {
    id: 'e4.unit-momentum',
    experiment: E4,
    kind: 'check',
    claim: 'For mu = 1 the step stays dw_0, whether |dw_0| < 1 or > 1 (the accepted answer ties the limit to dw_0 < 1)',
    statistic: '|dw_T| / |dw_0| for a first step below and above 1 (deterministic)',
    rule: 'within `error` of 1 for both',
    bounds: { error: 1e-3 },
    why: 'An identity of the update rule; float32 accumulates about 1e-7 relative error per step.',
  },
  {
    id: 'e4.stability-boundary',
    experiment: E4,
    kind: 'check',
    claim: 'Heavy-ball is stable exactly for alpha < 2 (1 + mu) / lambda_max',
    statistic: 'bisection boundary with the real optimizer relative to theory, worst over mu (deterministic)',
    rule: 'within `error` of theory',
    bounds: { error: 0.02 },
    why: 'The bisection resolves the boundary to a fraction of a percent; near the boundary growth is slow, so finite runs misjudge it by up to about 1%.',
  },
  {
    id: 'e5.parity',
    experiment: E5,
    kind: 'check',
    claim: 'The custom optimizers reproduce tf.train.sgd / tf.train.momentum step for step',
    statistic:
      'largest relative difference in minibatch loss over every step, per pair (one seed), against the same for the custom run and its twin whose learning rate is one float32 step (ulp) larger',
    rule: 'for every pair, at most `noiseFloorMultiple` x its twin difference',
    bounds: { noiseFloorMultiple: 1 },
    why: 'The same update computed in another order differs by a rounding per operation; a learning rate one ulp away changes every update by about one rounding, so the twin measures how far rounding alone carries this very computation over the run. A floor from another experiment (heavy-ball vs EMA pairs of the grid) measures other runs.',
  },
  {
    id: 'e5.step-cost',
    experiment: E5,
    kind: 'check',
    claim: 'A custom step costs no more than the built-in one',
    statistic:
      'median time of the optimizer step alone, custom / built-in, interleaved A/B; 95% moving-block bootstrap interval resampling runs of about sqrt(n) consecutive step pairs',
    rule: 'interval entirely at or below `ratio` for every pair',
    bounds: { ratio: 1.05 },
    why: '5% for timing noise on a shared machine.',
  },
  {
    id: 'e6.outside-halves',
    experiment: E6,
    kind: 'check',
    identity:
      'With the rate outside the velocity the step is alpha v, and v does not see alpha: halving alpha halves the step at once by the update rule.',
    claim: 'With the rate outside the velocity (TF.js, PyTorch) halving it halves the step at once',
    statistic: 'mean update norm over the 3 steps after the switch / the 3 before, per seed',
    rule: '95% t interval entirely below `ratio`',
    bounds: { ratio: 0.65 },
    why: '0.5 means halved at once; 0.65 allows for the step drifting by a few percent over six steps.',
  },
  {
    id: 'e6.inside-gradual',
    experiment: E6,
    kind: 'check',
    identity:
      'With the rate inside the velocity (v = mu v + alpha g) the old-rate part decays like mu^k after the switch (mu^3 = 73%, mu^30 = 4%): the ratios follow from where the rate enters the update. It checks the Keras-convention implementation.',
    claim: 'With the rate inside the velocity (Keras) the step shrinks gradually',
    statistic:
      'per seed: the Keras ratio over the TF.js one right after the switch, and the same 30 steps later (same initial weights and data order)',
    rule: '95% t interval of the first entirely at or above `factor`, of the second entirely inside [1 - `settled`, 1 + `settled`]',
    bounds: { factor: 1.3, settled: 0.1 },
    why: 'Right after the switch the Keras velocity still holds mostly old-rate gradients (ratio near 1 vs 0.5); after 3/(1 - mu) steps mu^30 = 4% of them remain.',
  },
  {
    id: 'eA.best-beta-moves',
    experiment: EA,
    kind: 'finding',
    couldFail:
      'The same beta winning at both ends, or a winner whose paired gain is within 2 points: in the EMA form the steady step is s g whatever beta is, so beta acts only through stability and the warm-up, and nothing required it to act like a learning rate.',
    claim: 'Beta becomes a learning rate in disguise: the best beta of no-lr-momentum moves with the loss scale',
    statistic:
      'best beta (mean validation accuracy) at the smallest and at the largest s; at each of the two scales, per-seed accuracy of its best beta minus the other best beta (paired t interval)',
    rule: "the two best betas differ, and at each scale its own best beta beats the other by a paired interval above `margin`; a best beta tied at either scale (every beta within `chance` of chance accuracy, or a paired interval of its gap to another beta reaching 0) that shares a beta with the other scale's best or tied betas is inconclusive, never a winner",
    bounds: { margin: 0.02, chance: 0.05 },
    why: 'Paired seeds (same initial weights and data order) remove most seed noise; a beta that wins by more than 2 points at its own scale has changed the outcome, not the noise. If the same beta wins at both ends, beta is not acting as a learning rate. A model within 5 points of 10% has learned nothing, so betas all at chance have no best, and a tie is not a winner.',
  },
  {
    id: 'eA.rescue-large-scale',
    experiment: EA1,
    kind: 'finding',
    couldFail:
      'A beta that learns at the largest s: the stability bound 2 (1 + beta) / ((1 - beta) lambda_max) grows without limit as beta approaches 1, so a beta close to 1 could have kept the largest scale stable and learning.',
    claim: 'Some beta rescues the largest loss scale: no-lr-momentum learns at the largest s with a well-chosen beta',
    statistic:
      'test accuracy of the beta chosen at the largest s (best mean validation accuracy over the selection seeds), run again after the choice on the final seeds, 95% logit-t interval over those seeds',
    rule: "interval at or above the preset's learned accuracy: supported; entirely below it: not supported",
    bounds: {},
    why: "The preset's learned accuracy is what sgd and heavy-ball reach (experiment 1). The best of several betas on the seeds that chose it is optimistic; fresh seeds on the test split, run after the choice, carry none of that optimism.",
  },
  {
    id: 'eA.divergence-boundary',
    experiment: EA,
    kind: 'finding',
    couldFail:
      "A cell far from the boundary that disagrees: lambda_max is measured once at initialisation, while a network's curvature grows or shrinks during training, so a cell predicted stable could diverge or end at chance, and a cell predicted unstable could survive.",
    claim:
      'No-lr EMA momentum diverges where heavy-ball theory predicts: s * lambda_max(w0) > 2 (1 + beta) / (1 - beta)',
    statistic:
      "per (beta, s): predicted stability from the median lambda_max at the seeds' initial weights, against how many seeds diverged",
    rule: 'every cell more than `factor` from the boundary agrees (predicted stable: no seed diverges and no seed ends within `chance` of chance accuracy; predicted unstable and run for at least 1/(1 - beta) steps: every seed diverges), with at least `minCells` such cells (fewer: inconclusive)',
    bounds: { factor: 2, minCells: 2, chance: 0.05 },
    why: "lambda_max is measured once, at initialisation, on a fixed batch; a network's top Hessian eigenvalue changes by a factor of a few early in training and differs between minibatches, so only cells more than a factor 2 from the boundary are decided by it. An instability grows on the EMA's time scale 1/(1 - beta), so shorter runs cannot show it. A run that ends within 5 points of 10% learned nothing, which is not what stability predicts.",
  },
  {
    id: 'eA.heavy-ball-partial',
    experiment: EA,
    kind: 'check',
    identity:
      'Restates e3.heavy-ball-slope: heavy-ball(alpha = 1, mu) at scale s is ema-momentum(s / (1 - mu), mu), so a large mu supplying the missing step at small s, and enlarging an already too large one at large s, is the (1 - mu) dependence of the best step measured there.',
    claim:
      "The question's intuition partly works in the heavy-ball form without a learning rate: a large mu stands in for alpha at small s, and no mu helps at large s",
    statistic:
      'paired gain in validation accuracy of the best mu > 0 over mu = 0 at the smallest s; validation accuracy of the best mu at the largest s',
    rule: "gain interval above `margin` at the smallest s, and the best mu's interval below the preset's learned accuracy at the largest s",
    bounds: { margin: 0.02 },
    why: 'v = mu v + s g takes the steady step s g / (1 - mu): mu multiplies the step, so it can make up for a small s but only enlarge a step that is already too large (stable only while s lambda_max < 2 (1 + mu)). 2 points as in eA.best-beta-moves.',
  },
  {
    id: 'eB.scale-dependence-adam',
    experiment: EB,
    kind: 'check',
    expected: 'not supported',
    identity:
      "Adam's update is invariant to s up to epsilon (1e-8) by construction: a negative control of e2.scale-dependence, not evidence about the question.",
    claim:
      "Adam's outcome depends on the scale of the loss (the negative control of e2.scale-dependence: expected not supported)",
    statistic:
      'per-seed swing (largest minus smallest final test accuracy across the loss scales) of adam at its tuned alpha, 95% t interval; divergence',
    rule: 'the rule of e2.scale-dependence: supported when the swing interval is at or above `swing` or a scale diverges; not supported when it is entirely below `swing` and nothing diverged',
    bounds: { swing: 0.2 },
    why: "The same rule and bound as e2.scale-dependence, on an optimizer that divides the gradient by its own running size: adam's update is invariant to s up to epsilon (1e-8, against per-weight gradients far larger here). A dependence criterion that cannot come out 'not supported' here would be a defect.",
  },
  {
    id: 'eB.scale-dependence-rmsprop',
    experiment: EB,
    kind: 'check',
    expected: 'not supported',
    identity:
      "RMSprop's update is invariant to s up to epsilon by construction: a negative control of e2.scale-dependence.",
    claim:
      "RMSprop's outcome depends on the scale of the loss (a second negative control of e2.scale-dependence: expected not supported)",
    statistic:
      'per-seed swing of rmsprop final test accuracy across the loss scales at its tuned alpha, 95% t interval; divergence',
    rule: 'as eB.scale-dependence-adam',
    bounds: { swing: 0.2 },
    why: 'RMSprop divides by the root of a running mean of g^2, so s cancels as in adam; same bound as e2.scale-dependence.',
  },
  {
    id: 'eB.adam-needs-rate',
    experiment: EB,
    kind: 'finding',
    couldFail:
      'Adam at alpha = 1 learning within 20 points of its tuned alpha: its step is about alpha per weight, but its normalisation and epsilon could have damped the first steps enough to recover; nothing in the algebra fixes the accuracy it ends at.',
    claim: 'Adam still needs a learning rate: at alpha = 1 it fails where its tuned alpha learns',
    statistic:
      'per-seed final test accuracy of adam at the tuned alpha minus adam at alpha = 1 (s = 1), 95% t interval',
    rule: 'interval at or above `gap`: supported; entirely below: not supported',
    bounds: { gap: 0.2 },
    why: "Adam normalises the gradient's size away, so its step is about alpha per weight in weight units: alpha = 1 moves every weight by about 1 per step, far more than Glorot-initialised weights of this MLP (about 0.05). 20 points is far outside paired seed noise.",
  },
  {
    id: 'eC.lr-free-learns',
    experiment: EC,
    kind: 'finding',
    couldFail:
      "Either method ending more than 5 points below tuned sgd: Polyak with fMin = 0 overshoots when the loss cannot reach 0, and Prodigy's distance estimate can lag or overshoot; published comparisons show both failing on some problems.",
    claim: 'Polyak (fMin = 0) and Prodigy learn without a tuned learning rate',
    statistic:
      'final test accuracy at s = 1 of each, 95% t interval over seeds, against the mean of sgd at its tuned alpha',
    rule: 'both intervals at or above the sgd mean minus `gap`: supported; either entirely below it: not supported',
    bounds: { gap: 0.05 },
    why: 'Learning is judged against the tuned baseline, not a fixed number; 5 points allows for the price of not tuning, which published comparisons of learning-rate-free methods put at a few points.',
  },
  {
    id: 'eC.lr-free-invariant',
    experiment: EC,
    kind: 'check',
    identity:
      "Polyak's step (f - fMin) g / |g|^2 is exactly invariant to s when fMin = 0 (bit for bit with powers of two), Prodigy's up to epsilon: the outcome is fixed by construction.",
    claim: 'Polyak and Prodigy are invariant to the scale of the loss',
    statistic: 'per-seed swing of final test accuracy across the loss scales, each method, 95% t interval; divergence',
    rule: 'for both, the interval entirely below `swing` and nothing diverged: supported; either interval at or above `swing`, or a divergence: not supported',
    bounds: { swing: 0.02 },
    why: "Polyak's step (f - fMin) g / |g|^2 is exactly invariant to s when fMin = 0 and its cap does not bind; Prodigy's distance estimate and its Adam-style normalisation are invariant up to epsilon. What is left is float32 rounding amplified by training, about a point on paired seeds.",
  },
  {
    id: 'eD.product-constant',
    experiment: ED,
    kind: 'check',
    identity:
      'With alpha * s constant the runs take the same steps (e2.same-curve), so c* s is the same at every scale by construction; it checks the line search, not the question.',
    claim:
      'c* s is the same at every loss scale: the step the weights need is fixed in weight units, the velocity is in gradient units',
    statistic: 'largest ratio (max / min over the loss scales) of c*(t) * s, over every checkpoint and seed',
    rule: 'below `ratio`',
    bounds: { ratio: 1.1 },
    why: 'With alpha * s constant the runs take the same steps up to float32 rounding (experiment 2), and the line search resolves c* to well under 1%; 10% leaves room for float32 drift of the trajectories over hundreds of steps.',
  },
  {
    id: 'eD.not-one',
    experiment: ED,
    kind: 'finding',
    couldFail:
      'c* within a factor 2 of 1 throughout training at s = 1: alpha = 1 learns at s = 1 in experiment 2, so a best step close to the velocity itself was plausible before the runs.',
    claim:
      'Even at s = 1 the step the weights need is not the velocity itself: c* is not 1, and it drifts during training',
    statistic:
      'at s = 1, per seed: median over checkpoints of |log2 c*|, and log2(max c* / min c*) over checkpoints; 95% t intervals; a line search that ends at the edge of its range (c s in [1e-4, 1e4]) has no finite c* and is left out',
    rule: 'both intervals at or above `log2Factor`: supported; either entirely below: not supported',
    bounds: { log2Factor: 1 },
    why: 'A factor 2 in the step is a visible change in training (one grid step of experiment 3 is a factor 3.16); a c* within a factor 2 of 1 throughout would make alpha = 1 a reasonable learning rate.',
  },
  {
    id: 'eE.alpha-one-is-luck',
    experiment: EE1,
    kind: 'finding',
    couldFail:
      'The best alphas within a factor 10 of each other across the settings, and alpha = 1 within 5 points of the best in every one: if the mean-reduced loss put gradients at a scale that suits alpha = 1 for a structural reason, natural changes of the setup would keep it good.',
    claim:
      'alpha = 1 working at s = 1 on the default setup is luck: natural changes of the setup move the best alpha and break alpha = 1',
    statistic:
      'best ema-momentum alpha per natural setting (mean validation accuracy over the selection seeds); per setting, per final seed (the chosen alpha and alpha = 1 = no-lr-momentum run again after the choice, test split, paired): test accuracy of the chosen alpha minus alpha = 1',
    rule: 'the best alphas (validation) span at least a factor `span`, and in at least one setting alpha = 1 loses to the chosen alpha by a paired interval above `gap` on the final seeds or diverges in every final seed. A best alpha tied with others (paired interval of the gap reaching 0, or every alpha within `chance` of chance) counts as its tied range, and the span is the smallest one any choice within the ties gives. The verdict names each setting without which it would not hold',
    bounds: { span: 10, gap: 0.05, chance: 0.05 },
    why: 'A decade is a whole step of a usual learning-rate search; a 5-point loss against the tuned alpha is outside paired seed noise. If alpha = 1 were right for a structural reason, changes that keep the task the same would not move the best alpha by a decade.',
  },
  {
    id: 'eF.rate-momentum-independent',
    experiment: EF,
    kind: 'check',
    expected: 'not supported',
    identity:
      'Restates e3.heavy-ball-slope: heavy-ball(alpha, mu) = ema-momentum(alpha / (1 - mu), mu), so its best alpha at mu = 0.99 against mu = 0 is the factor the slope already measures.',
    claim:
      'Learning rate and momentum are effectively independent (a claim of the usual answer; in the heavy-ball form the grid says otherwise)',
    statistic: "heavy-ball's best alpha (experiment 3, validation) at the largest momentum against mu = 0",
    rule: 'independent when the two best alphas are within a factor `factor` of each other',
    bounds: { factor: 3.16 },
    why: 'One grid step (half a decade): best alphas closer than that cannot be told apart by the grid. Theory for heavy-ball predicts a factor 1 / (1 - mu), 100 at mu = 0.99.',
  },
  {
    id: 'eF.zero-delta',
    experiment: EF,
    kind: 'check',
    expected: 'not supported',
    identity:
      "no-lr-momentum steps by v (a rate of 1), so its weights move by construction; the usual answer's zero delta refers to a rate of 0, which this row does not test.",
    claim: 'Without a learning rate the weight delta would still be zero (a claim of the usual answer)',
    statistic:
      'final |w - w0| of no-lr-momentum (beta = 0.9, s = 1) relative to |w0|, and its final test accuracy, per seed',
    rule: 'supported when every seed moves by less than `relative` of |w0| and stays within `chance` of chance accuracy',
    bounds: { relative: 1e-6, chance: 0.05 },
    why: 'A zero delta means the weights do not move beyond float32 rounding (1e-6 relative), and a model that does not move stays at its initial (chance-level) accuracy.',
  },
  {
    id: 'eF.ray-bound',
    experiment: EF,
    kind: 'finding',
    couldFail:
      "The best point of the ray w0 - t g0 reaching the learned accuracy: one gradient direction followed far enough is a real (if crude) improvement, and how good its best point is depends on the data, not on algebra. (That each run ends at or below its ray's best is algebra and guards the code.)",
    claim:
      'Pure momentum (one gradient step) can do no better than the best point of the ray w0 - t g0, and that is below what SGD learns',
    statistic:
      'best test accuracy over t on the ray per seed (95% t interval); each pure-momentum run against the ray of its seed',
    rule: "every pure-momentum run ends within `slack` of or below its ray's best, and the ray-best interval is entirely below the preset's learned accuracy",
    bounds: { slack: 0.005 },
    why: "Every weight vector pure momentum (k = 1) visits is w0 - t g0 for some t >= 0 whatever alpha, mu and s, so the ray's best bounds it; the slack covers float32 differences between the run's path and the ray and the t grid's resolution. The learned accuracy is what sgd and heavy-ball reach (experiment 1).",
  },
  {
    id: 'eG.alpha-span',
    experiment: G0,
    kind: 'finding',
    couldFail:
      'The best alphas within a factor 30 of each other in every setting: the full preset found 0.316 for the default setup, every MLP width and the CNN, so a best alpha that hardly moves under natural changes was what the data so far suggested.',
    claim:
      'The best learning rate of ema-momentum (beta = 0.9) moves with the setting: across the natural settings of the atlas it spans more than a factor `span`',
    statistic:
      "best alpha per setting (highest mean validation accuracy over the selection seeds, the same half-decade grid in every setting); tied rates (paired interval of the gap reaching 0, or every rate within `chance` of chance) form the setting's range",
    rule: 'supported when the smallest span any choice within the ties gives is above `span`; not supported when the largest such span is at most `span` and no best alpha sits at an edge of the grid (where the best may lie beyond it); inconclusive otherwise',
    bounds: { span: 30, chance: 0.05 },
    why: 'A factor 30 is three grid steps (a decade and a half), beyond what seed noise between neighbouring rates can produce, and the units argument predicts factors of 100 or more for summed losses and raw pixels; chance margin as in the other experiments.',
  },
  {
    id: 'eG.proposal-near-tuned',
    experiment: G,
    kind: 'finding',
    couldFail:
      'The proposal more than 2 points behind tuned ema-momentum in a third of the settings or more: "alpha = 1 is luck" predicts exactly that, since any setting whose best alpha is far from 1 (summed losses, raw pixels, other models) should cost the proposal accuracy.',
    claim:
      'Dropping the learning rate costs little in most natural settings: the proposal (no-lr-momentum, beta = 0.9) is within `margin` of tuned ema-momentum in at least `share` of the settings',
    statistic:
      'per setting, per final seed (fresh seeds after the choice, test split, paired): test accuracy of ema-momentum at its chosen alpha minus the proposal, 95% t interval',
    rule: 'a setting is close when the interval is at or below `margin`, far when it is wholly above, undecided otherwise; the proposal at chance where tuned ema-momentum learned (more than `chance` above 10%) is far, both at chance is undecided. Supported when close settings reach `share` of all settings; not supported when far settings leave too few to reach it; inconclusive otherwise',
    bounds: { margin: 0.02, share: 2 / 3, chance: 0.05 },
    why: 'Two points of test accuracy is about what one half-decade off the best rate costs in the full preset, a loss a practitioner would accept to skip tuning; two thirds is "most settings" with room for the settings that the units argument singles out (summed loss, raw pixels).',
  },
  {
    id: 'eG.proposal-breaks',
    experiment: G,
    kind: 'finding',
    couldFail:
      "The proposal within 10 points of tuned ema-momentum in every setting: ema-momentum at alpha = 1 takes steps of the gradient's size, and whether any natural setting makes those too large or too small to learn was open before the runs.",
    claim:
      'There are natural settings where the proposal breaks: more than `margin` behind tuned ema-momentum, or at chance',
    statistic: 'the same paired per-setting intervals as eG.proposal-near-tuned, against a margin of `margin`',
    rule: 'supported when at least one setting is far (interval wholly above `margin`, or the proposal at chance where tuned ema-momentum learned); not supported when every setting is close (interval at or below `margin`); inconclusive otherwise. The verdict names the settings',
    bounds: { margin: 0.1, chance: 0.05 },
    why: 'Ten points is a failure anyone would notice, well beyond seed noise and beyond the cost of a mistuned half-decade.',
  },
  {
    id: 'eG.proposal-reaches-target',
    experiment: G,
    kind: 'finding',
    couldFail:
      "The proposal missing the target in most settings: a step of the gradient's size could be too timid (small gradients, batch 1024) or too bold to get within 5% of the tuned methods in the same number of steps.",
    claim:
      "The proposal reaches the target (`fraction` of the best tuned method's final test accuracy) within the run in at least `share` of the settings",
    statistic:
      'per setting: how many final seeds of the proposal reach the target at some held-out evaluation (evaluated at evenly spaced steps)',
    rule: 'a setting counts as reached when every final seed reaches the target, missed when none does, undecided otherwise; supported when reached settings reach `share`, not supported when missed settings leave too few, inconclusive otherwise',
    bounds: { fraction: 0.95, share: 0.5 },
    why: '95% of the best tuned accuracy is the target of DeepOBS-style time-to-target comparisons; half the settings asks only whether reaching it is the rule rather than the exception.',
  },
  {
    id: 'eG.parameter-free-near-heavy-ball',
    experiment: G,
    kind: 'finding',
    couldFail:
      'Every parameter-free method more than 2 points behind tuned heavy-ball in over a fifth of the settings: published benchmarks show each of them losing to tuned SGD on some problems, and nine candidates over twenty settings could all have a bad fifth.',
    claim:
      'Some parameter-free method at its defaults (prodigy, dog, dadapt-adamw, cocob, mechanic, momo, polyak, adadelta, schedule-free) is within `margin` of tuned heavy-ball in at least `share` of the settings',
    statistic:
      'per method and setting, per final seed (paired): test accuracy of heavy-ball at its chosen alpha minus the method, 95% t interval',
    rule: 'per method, close/far/undecided per setting as in eG.proposal-near-tuned; supported when some method is close in at least `share` of the settings; not supported when every method is far in so many settings that it cannot reach the share; inconclusive otherwise. The verdict names the methods that qualify. Nine methods are tried, so "some" has nine chances: the verdict lists every method\'s count',
    bounds: { margin: 0.02, share: 0.8, chance: 0.05 },
    why: 'The margin of the proposal\'s comparison; 80% is the bar the question poses ("in at least 80% of settings"): a method a practitioner could use without tuning almost everywhere.',
  },
  {
    id: 'eG.adam-default-near-tuned',
    experiment: G,
    kind: 'finding',
    couldFail:
      "Adam at 1e-3 more than 2 points behind tuned adam in over a fifth of the settings: 1e-3 is a convention, and raw pixels, summed losses or a batch of 1024 could move adam's best rate (its step is alpha per weight, whatever the gradient's scale).",
    claim:
      "Adam's default rate (1e-3) acts as a parameter-free default: within `margin` of adam at its tuned rate in at least `share` of the settings",
    statistic: 'per setting, per final seed (paired): tuned adam minus adam at 1e-3, 95% t interval',
    rule: 'close/far/undecided per setting as in eG.proposal-near-tuned; supported when close settings reach `share`, not supported when far settings leave too few, inconclusive otherwise',
    bounds: { margin: 0.02, share: 0.8, chance: 0.05 },
    why: "The same margin and share as the parameter-free methods, so the two answers compare: is adam's convention as good as a method built to need no rate?",
  },
  {
    id: 'eG.bias-correction-same',
    experiment: G,
    kind: 'finding',
    couldFail:
      'A difference beyond 2 points in over a fifth of the settings: the bias-corrected EMA takes the full gradient as its first steps instead of (1 - beta) of it, ten times larger at the start, which can push a setting near its divergence edge over it or help a timid one.',
    claim:
      "Bias correction does not change the proposal's outcome: ema-debiased is within `margin` of no-lr-momentum, either way, in at least `share` of the settings",
    statistic: 'per setting, per final seed (paired): ema-debiased minus no-lr-momentum, 95% t interval',
    rule: 'a setting is the same when the interval lies inside [-`margin`, `margin`], different when it lies wholly outside, or when exactly one of the two is at chance; both at chance is undecided; supported when same settings reach `share`, not supported when different settings leave too few, inconclusive otherwise',
    bounds: { margin: 0.02, share: 0.8, chance: 0.05 },
    why: 'The same margin as the other comparisons with the proposal; 80% because a correction that changes the outcome in one setting in five matters to a practitioner.',
  },
  {
    id: 'eG.adadelta-lags',
    experiment: G,
    kind: 'finding',
    couldFail:
      'Adadelta within 5 points of tuned heavy-ball in over a third of the settings: its step grows from sqrt(eps) = 1e-3 per weight as the averages fill, and in 2 epochs that growth could have been fast enough.',
    claim:
      'Adadelta at its defaults (rate 1, rho 0.9, eps 1e-6) lags: more than `margin` behind tuned heavy-ball in at least `share` of the settings (its first steps are sqrt(eps) in size: eps is a learning rate in disguise)',
    statistic: 'per setting, per final seed (paired): heavy-ball at its chosen alpha minus adadelta, 95% t interval',
    rule: 'a setting lags when the interval is wholly above `margin` (or adadelta is at chance where heavy-ball learned), keeps up when it is at or below `margin`, undecided otherwise; supported when lagging settings reach `share`, not supported when keeping-up settings leave too few, inconclusive otherwise',
    bounds: { margin: 0.05, share: 2 / 3, chance: 0.05 },
    why: 'Five points is a clear lag, beyond a mistuned half-decade; two thirds is "most settings".',
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
