/**
 * `createOptimizer(spec)`: the study's optimizer kinds as chains of stages, behind one
 * adapter. Every kind is a chain; the ablations are chains with a stage left out or added.
 *
 * | kind            | chain                                                   | update (v starts at 0)                          |
 * |-----------------|---------------------------------------------------------|-------------------------------------------------|
 * | sgd             | scaleByLearningRate(a)                                  | w -= a * g                                      |
 * | heavy-ball      | trace(mu), scaleByLearningRate(a)                       | v = mu*v + g; w -= a * v  (tf.train.momentum)   |
 * | nesterov        | trace(mu, nesterov), scaleByLearningRate(a)             | v = mu*v + g; w -= a * (g + mu*v)               |
 * | ema-momentum    | ema(beta), scaleByLearningRate(a)                       | v = beta*v + (1-beta)*g; w -= a * v             |
 * | no-lr-momentum  | ema(beta)                                               | v = beta*v + (1-beta)*g; w -= v                 |
 * | pure-momentum   | stopGradientAfter(k), trace(mu), scaleByLearningRate(a) | first k steps v = mu*v + g, then v = mu*v; w -= a*v |
 * | keras-momentum  | scaleByLearningRate(a), trace(mu)                       | v = mu*v + a*g; w -= v  (rate inside the velocity) |
 * | adam            | scaleByAdam(b1, b2, eps), scaleByLearningRate(a)        | Adam with bias corrections (optax.adam, torch.optim.Adam) |
 * | rmsprop         | scaleByRms(decay, eps), scaleByLearningRate(a)          | v = d*v + (1-d)*g^2; w -= a * g / (sqrt(v) + eps) |
 * | polyak          | scaleByPolyak(maxLearningRate, fMin, eps)               | w -= min((f - fMin) / (sum g^2 + eps), max) * g (needs the loss f) |
 * | prodigy         | scaleByProdigy(b1, b2, eps, d0), scaleByLearningRate(a) | Adam on d*g with d estimated (optax.contrib.prodigy) |
 * | ema-debiased    | ema(beta, debias)                                       | v = beta*v + (1-beta)*g; w -= v / (1 - beta^t)  |
 * | adadelta        | scaleByAdadelta(rho, eps), scaleByLearningRate(a)       | w -= a * sqrt(Ex + eps) / sqrt(Eg + eps) * g (optax.adadelta) |
 * | rprop           | scaleByRprop(a, eta-, eta+, minStep, maxStep)           | a step per weight from gradient signs (optax.rprop) |
 * | dog             | scaleByDog(rEpsilon, eps), scaleByLearningRate(a)       | w -= a * max|x0 - x| / sqrt(sum |g|^2 + eps) * g (optax.contrib.dog) |
 * | dowg            | scaleByDowg(initSqDist, eps), scaleByLearningRate(a)    | DoG with gradients weighted by r^2 (optax.contrib.dowg) |
 * | cocob           | scaleByLearningRate(a), scaleByCocob(alpha, eps)        | coin betting on each weight (optax.contrib.cocob) |
 * | dadapt-adamw    | dadaptAdamW(a, b1, b2, eps, d0)                         | Adam on d*a*g with d estimated (optax.contrib.dadapt_adamw) |
 * | mechanic        | mechanize(chain(trace(mu), scaleByLearningRate(a)), wd, eps, sInit, n) | heavy-ball's steps times a learned scale (optax.contrib.mechanize) |
 * | momo            | momo(a, beta, fLow)                                     | w -= min(a, Polyak step of a model of the loss) * EMA of g (needs the loss f) |
 * | schedule-free   | scheduleFree(chain(scaleByLearningRate(a)), a, beta, p) | SGD with averaging instead of momentum; evaluate at x (optax.contrib.schedule_free_sgd) |
 *
 * The fields of each kind and their defaults are in kinds.ts (adam a = 1e-3, rmsprop
 * a = 1e-2, prodigy a = 1; see KIND_DEFAULTS); the stages' doc comments give the rules.
 * mechanic's rate and momentum are its base optimizer's (baseLearningRate, baseMomentum;
 * mu = 0 drops the trace: plain sgd). A schedule-free model is evaluated at x, not at its
 * variables (the gradient point y): ChainOptimizer.evaluationParams() gives x.
 * The parameter-free kinds (ema-debiased to schedule-free) follow the Optax functions named
 * above operation for operation, in float32. Their rate defaults to 1, the method itself,
 * except rprop's, which is its initial step size (a number, not a schedule; 0.01);
 * ema-debiased takes none. adadelta's default rate is 1 rather than Optax's None, which
 * skips the sign flip and so climbs the loss; 1 is Zeiler's and torch.optim.Adadelta's.
 * `ema-momentum` without learningRate is the no-learning-rate variant (a = 1), identical
 * to `no-lr-momentum`. Momentum ranges: 0 <= mu < 1 for every kind except pure-momentum,
 * which takes any finite mu >= 0 (the study runs mu = 1 and mu > 1 on purpose).
 * heavy-ball and keras-momentum agree exactly while the learning rate is constant and
 * differ when it changes (the new rate applies to the whole velocity in heavy-ball, only
 * to new gradients in keras-momentum).
 */
import { chain } from './chain.js';
import { ChainOptimizer } from './chainOptimizer.js';
import { ema } from './ema.js';
import { fieldProblem, hasRange } from './fieldChecks.js';
import { learningRateProblem, type LearningRate } from './learningRate.js';
import { OptimizerSpecError, shown } from './optimizerSpecError.js';
import { scaleByAdadelta } from './scaleByAdadelta.js';
import { dadaptAdamW } from './dadaptAdamW.js';
import { mechanize } from './mechanize.js';
import { momo } from './momo.js';
import { scaleByAdam } from './scaleByAdam.js';
import { scaleByCocob } from './scaleByCocob.js';
import { scaleByDog } from './scaleByDog.js';
import { scaleByDowg } from './scaleByDowg.js';
import { scaleByLearningRate } from './scaleByLearningRate.js';
import { scaleByPolyak } from './scaleByPolyak.js';
import { scaleByProdigy } from './scaleByProdigy.js';
import { scaleByRms } from './scaleByRms.js';
import { scaleByRprop } from './scaleByRprop.js';
import { scheduleFree } from './scheduleFree.js';
import { stopGradientAfter } from './stopGradientAfter.js';
import { trace } from './trace.js';
import type { GradientTransformation } from './types.js';
import {
  KIND_DEFAULTS,
  KIND_FIELDS,
  OPTIMIZER_FIELDS,
  OPTIMIZER_KINDS,
  type OptimizerField,
  type OptimizerKind,
} from './kinds.js';

export { OPTIMIZER_KINDS, type OptimizerKind };

export interface OptimizerSpec {
  readonly kind: OptimizerKind;
  /** A positive number or a piecewise-constant schedule (see learningRate.ts); rprop: its initial step, a number. */
  readonly learningRate?: LearningRate;
  readonly momentum?: number;
  /** pure-momentum only: steps that feed the gradient in (default 1). */
  readonly gradientSteps?: number;
  /** adam, prodigy: decay of the first moment (default 0.9). */
  readonly beta1?: number;
  /** adam, prodigy: decay of the second moment (default 0.999). */
  readonly beta2?: number;
  /** adam, rmsprop, prodigy, dog, cocob (default 1e-8), polyak (default 0), adadelta (1e-6), dowg (1e-4). */
  readonly epsilon?: number;
  /** rmsprop: decay of the squared-gradient average (default 0.9). */
  readonly decay?: number;
  /** polyak: the largest step size (default 1). */
  readonly maxLearningRate?: number;
  /** polyak: a lower bound of the loss (default 0). */
  readonly fMin?: number;
  /** prodigy, dadapt-adamw: the first estimate of the distance d (default 1e-6). */
  readonly d0?: number;
  /** adadelta: decay of the averages of g^2 and of the squared update (default 0.9). */
  readonly rho?: number;
  /** rprop: factor of a step whose gradient changed sign, 0 < etaMinus < 1 (default 0.5). */
  readonly etaMinus?: number;
  /** rprop: factor of a step whose gradient kept its sign, > 1 (default 1.2). */
  readonly etaPlus?: number;
  /** rprop: smallest step size (default 1e-6). */
  readonly minStep?: number;
  /** rprop: largest step size (default 50). */
  readonly maxStep?: number;
  /** dog: the first distance is rEpsilon * (1 + |x0|) (default 1e-6). */
  readonly rEpsilon?: number;
  /** dowg: first estimate of the squared distance to the solution (default: epsilon). */
  readonly initSqDist?: number;
  /** cocob: the fraction-to-bet parameter (default 100). */
  readonly alpha?: number;
  /** mechanic: the rate of its base heavy-ball (default 1; Mechanic learns the scale on top). */
  readonly baseLearningRate?: number;
  /** mechanic: the momentum of its base heavy-ball, 0 <= mu < 1 (default 0.9; 0 is plain sgd). */
  readonly baseMomentum?: number;
  /** mechanic: Mechanic's own weight decay on the gradients it sees (default 0.01). */
  readonly weightDecay?: number;
  /** mechanic: the initial scale (default 1e-6). */
  readonly sInit?: number;
  /** mechanic: how many betas 1 - 0.1^i it averages over (default 6). */
  readonly numBetas?: number;
  /** momo: decay of its averages, 0 <= beta < 1 (default 0.9); schedule-free: interpolation, 0 < beta < 1 (default 0.9). */
  readonly beta?: number;
  /** momo: a lower bound of the loss (default 0). */
  readonly lowerBound?: number;
  /** schedule-free: the average weights steps by (largest rate so far)^weightLrPower (default 2). */
  readonly weightLrPower?: number;
}

/** A validated spec with every default filled in. */
type Resolved = Readonly<Partial<Record<Exclude<OptimizerField, 'learningRate'>, number>>> & {
  readonly learningRate?: LearningRate;
};

interface KindRule {
  /** 'unit': 0 <= mu < 1; 'nonNegative': finite mu >= 0 (for kinds that take momentum). */
  readonly momentum?: 'unit' | 'nonNegative';
  /** Fields without a default that may still be left out. */
  readonly optional?: readonly OptimizerField[];
  /** Why the learning rate must be a number (no schedule), for kinds where it is not a rate. */
  readonly constantRate?: string;
  /** Why the fields together are not allowed (the spec with its defaults), or null. */
  readonly combination?: (s: Resolved) => string | null;
  readonly build: (s: Resolved) => GradientTransformation;
}

const RULES: Readonly<Record<OptimizerKind, KindRule>> = {
  sgd: { build: (s) => chain(scaleByLearningRate(s.learningRate!)) },
  'heavy-ball': {
    momentum: 'unit',
    build: (s) => chain(trace(s.momentum!), scaleByLearningRate(s.learningRate!)),
  },
  nesterov: {
    momentum: 'unit',
    build: (s) => chain(trace(s.momentum!, { nesterov: true }), scaleByLearningRate(s.learningRate!)),
  },
  'ema-momentum': {
    momentum: 'unit',
    optional: ['learningRate'],
    build: (s) =>
      s.learningRate === undefined
        ? chain(ema(s.momentum!))
        : chain(ema(s.momentum!), scaleByLearningRate(s.learningRate)),
  },
  'no-lr-momentum': { momentum: 'unit', build: (s) => chain(ema(s.momentum!)) },
  'pure-momentum': {
    momentum: 'nonNegative',
    build: (s) => chain(stopGradientAfter(s.gradientSteps!), trace(s.momentum!), scaleByLearningRate(s.learningRate!)),
  },
  'keras-momentum': {
    momentum: 'unit',
    build: (s) => chain(scaleByLearningRate(s.learningRate!), trace(s.momentum!)),
  },
  adam: {
    build: (s) =>
      chain(scaleByAdam({ beta1: s.beta1, beta2: s.beta2, epsilon: s.epsilon }), scaleByLearningRate(s.learningRate!)),
  },
  rmsprop: {
    build: (s) => chain(scaleByRms({ decay: s.decay, epsilon: s.epsilon }), scaleByLearningRate(s.learningRate!)),
  },
  polyak: {
    build: (s) => chain(scaleByPolyak({ maxLearningRate: s.maxLearningRate, fMin: s.fMin, epsilon: s.epsilon })),
  },
  prodigy: {
    build: (s) =>
      chain(
        scaleByProdigy({ beta1: s.beta1, beta2: s.beta2, epsilon: s.epsilon, d0: s.d0, learningRate: s.learningRate }),
        scaleByLearningRate(s.learningRate!),
      ),
  },
  'ema-debiased': { momentum: 'unit', build: (s) => chain(ema(s.momentum!, { debias: true })) },
  adadelta: {
    build: (s) => chain(scaleByAdadelta({ rho: s.rho, epsilon: s.epsilon }), scaleByLearningRate(s.learningRate!)),
  },
  rprop: {
    constantRate: 'rprop takes its learningRate as the initial step size of every weight',
    combination: (s) =>
      s.minStep! <= s.maxStep!
        ? null
        : `Invalid minStep value: ${s.minStep} (expected minStep <= maxStep = ${s.maxStep} for rprop: lower minStep or raise maxStep)`,
    build: (s) =>
      chain(
        scaleByRprop({
          initialStep: s.learningRate as number,
          etaMinus: s.etaMinus,
          etaPlus: s.etaPlus,
          minStep: s.minStep,
          maxStep: s.maxStep,
        }),
      ),
  },
  dog: {
    build: (s) => chain(scaleByDog({ rEpsilon: s.rEpsilon, epsilon: s.epsilon }), scaleByLearningRate(s.learningRate!)),
  },
  dowg: {
    optional: ['initSqDist'],
    build: (s) =>
      chain(scaleByDowg({ initSqDist: s.initSqDist, epsilon: s.epsilon }), scaleByLearningRate(s.learningRate!)),
  },
  cocob: {
    build: (s) => chain(scaleByLearningRate(s.learningRate!), scaleByCocob({ alpha: s.alpha, epsilon: s.epsilon })),
  },
  'dadapt-adamw': {
    build: (s) =>
      chain(
        dadaptAdamW({ learningRate: s.learningRate, beta1: s.beta1, beta2: s.beta2, epsilon: s.epsilon, d0: s.d0 }),
      ),
  },
  mechanic: {
    build: (s) =>
      chain(
        mechanize(
          s.baseMomentum === 0
            ? chain(scaleByLearningRate(s.baseLearningRate!))
            : chain(trace(s.baseMomentum!), scaleByLearningRate(s.baseLearningRate!)),
          { weightDecay: s.weightDecay, epsilon: s.epsilon, sInit: s.sInit, numBetas: s.numBetas },
        ),
      ),
  },
  momo: { build: (s) => chain(momo({ learningRate: s.learningRate, beta: s.beta, lowerBound: s.lowerBound })) },
  'schedule-free': {
    build: (s) =>
      chain(
        scheduleFree(chain(scaleByLearningRate(s.learningRate!)), {
          learningRate: s.learningRate!,
          beta: s.beta,
          weightLrPower: s.weightLrPower,
        }),
      ),
  },
};

/** Fields that must be given: those of the kind without a default, unless the rule makes them optional. */
function isRequired(kind: OptimizerKind, field: OptimizerField): boolean {
  if (RULES[kind].optional?.includes(field)) return false;
  return KIND_DEFAULTS[kind][field] === undefined;
}

function momentumExpectation(rule: KindRule, kind: string): string {
  return rule.momentum === 'unit'
    ? `expected 0 <= momentum < 1 for ${kind}`
    : `expected a finite momentum >= 0 for ${kind}; 1 and above are allowed on purpose (undamped or growing motion)`;
}

/** Why `value` is not allowed for `field` of `kind`, or null. */
function valueProblem(kind: OptimizerKind, field: OptimizerField, value: unknown): string | null {
  const rule = RULES[kind];
  switch (field) {
    case 'learningRate':
      if (rule.constantRate !== undefined && typeof value !== 'number') {
        return `Invalid learningRate value: ${shown(value)} (${rule.constantRate}: expected a finite number > 0, not a schedule)`;
      }
      return learningRateProblem(value);
    case 'momentum': {
      const ok =
        typeof value === 'number' && Number.isFinite(value) && value >= 0 && (rule.momentum !== 'unit' || value < 1);
      return ok ? null : `Invalid momentum value: ${shown(value)} (${momentumExpectation(rule, kind)})`;
    }
    case 'gradientSteps':
      return typeof value === 'number' && Number.isInteger(value) && value >= 1
        ? null
        : `Invalid gradientSteps value: ${shown(value)} (expected a positive integer for ${kind})`;
    case 'beta':
      return fieldProblem(field, value, kind, kind === 'schedule-free' ? 'interpolation' : field);
    default:
      return hasRange(field) ? fieldProblem(field, value, kind) : null;
  }
}

function missingMessage(kind: OptimizerKind, field: OptimizerField): string {
  if (field === 'learningRate') {
    return `Missing learningRate for ${kind} (expected a finite number > 0 or a schedule { values, boundaries })`;
  }
  if (field === 'momentum') return `Missing momentum for ${kind} (${momentumExpectation(RULES[kind], kind)})`;
  return `Missing ${field} for ${kind}`;
}

/** The message for a field the kind does not take. */
function unexpectedMessage(kind: OptimizerKind, field: string, value: unknown, allowed: readonly string[]): string {
  if (!(OPTIMIZER_FIELDS as readonly string[]).includes(field)) {
    return `Unknown field "${field}" in optimizer spec (allowed for ${kind}: ${allowed.join(', ')})`;
  }
  if (kind === 'no-lr-momentum' && field === 'learningRate') {
    return `Invalid learningRate value: ${shown(value)} (no-lr-momentum has no learning rate by definition: remove learningRate, or use kind ema-momentum)`;
  }
  if (kind === 'ema-debiased' && field === 'learningRate') {
    return `Invalid learningRate value: ${shown(value)} (ema-debiased has no learning rate: it steps by the bias-corrected average itself; remove learningRate, or use kind ema-momentum for a rated average)`;
  }
  if (kind === 'polyak' && field === 'learningRate') {
    return `Invalid learningRate value: ${shown(value)} (polyak computes its step size from the loss: bound it with maxLearningRate instead)`;
  }
  if (kind === 'mechanic' && (field === 'learningRate' || field === 'momentum')) {
    const own = field === 'learningRate' ? 'baseLearningRate' : 'baseMomentum';
    return `Invalid ${field} value: ${shown(value)} (mechanic learns the scale of its base heavy-ball: set the base's ${field === 'learningRate' ? 'rate' : 'momentum'} with ${own} instead)`;
  }
  return `Invalid ${field} value: ${shown(value)} (${kind} takes no ${field}; allowed for ${kind}: ${allowed.join(', ')})`;
}

/**
 * Checks a spec and returns it typed. Throws an {@link OptimizerSpecError} whose one-line
 * message names the field, the value and what is allowed. Fields set to `undefined` count
 * as absent.
 */
export function validateOptimizerSpec(spec: unknown): OptimizerSpec {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new OptimizerSpecError(
      `Invalid optimizer spec: ${shown(spec)} (expected an object such as { kind: "heavy-ball", learningRate: 0.1, momentum: 0.9 })`,
    );
  }
  const fields = spec as Record<string, unknown>;
  const kind = fields.kind;
  if (typeof kind !== 'string' || !(OPTIMIZER_KINDS as readonly string[]).includes(kind)) {
    throw new OptimizerSpecError(`Invalid kind value: ${shown(kind)} (expected one of: ${OPTIMIZER_KINDS.join(', ')})`);
  }
  const valid = kind as OptimizerKind;
  const allowed = ['kind', ...KIND_FIELDS[valid]];
  for (const field of Object.keys(fields)) {
    const value = fields[field];
    if (value !== undefined && !allowed.includes(field)) {
      throw new OptimizerSpecError(unexpectedMessage(valid, field, value, allowed));
    }
  }
  for (const field of KIND_FIELDS[valid]) {
    const value = fields[field];
    if (value === undefined) {
      if (isRequired(valid, field)) throw new OptimizerSpecError(missingMessage(valid, field));
      continue;
    }
    const problem = valueProblem(valid, field, value);
    if (problem !== null) throw new OptimizerSpecError(problem);
  }
  const combined = RULES[valid].combination?.(withDefaults(valid, fields));
  if (combined !== undefined && combined !== null) throw new OptimizerSpecError(combined);
  return spec as OptimizerSpec;
}

/** The kind's fields from `fields`, the defaults where they are absent (values not checked). */
function withDefaults(kind: OptimizerKind, fields: Readonly<Record<string, unknown>>): Resolved {
  const resolved: Record<string, unknown> = { ...KIND_DEFAULTS[kind] };
  for (const field of KIND_FIELDS[kind]) if (fields[field] !== undefined) resolved[field] = fields[field];
  return resolved as Resolved;
}

/** The spec with the kind's defaults filled in (validated). */
export function resolveOptimizerSpec(spec: OptimizerSpec): OptimizerSpec {
  const valid = validateOptimizerSpec(spec);
  return {
    kind: valid.kind,
    ...withDefaults(valid.kind, valid as unknown as Record<string, unknown>),
  } as OptimizerSpec;
}

/** The chain of stages for a spec (validated), for users who want to extend it. */
export function optimizerTransformation(spec: OptimizerSpec): GradientTransformation {
  const resolved = resolveOptimizerSpec(spec);
  return RULES[resolved.kind].build(resolved);
}

/** The tf.Optimizer for a spec; invalid specs throw at construction (see validateOptimizerSpec). */
export function createOptimizer(spec: OptimizerSpec): ChainOptimizer {
  return new ChainOptimizer(optimizerTransformation(spec));
}
