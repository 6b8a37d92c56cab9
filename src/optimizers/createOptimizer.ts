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
 *
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
import { learningRateProblem, type LearningRate } from './learningRate.js';
import { OptimizerSpecError, shown } from './optimizerSpecError.js';
import { scaleByLearningRate } from './scaleByLearningRate.js';
import { stopGradientAfter } from './stopGradientAfter.js';
import { trace } from './trace.js';
import type { GradientTransformation } from './types.js';
import { OPTIMIZER_KINDS, type OptimizerKind } from './kinds.js';

export { OPTIMIZER_KINDS, type OptimizerKind };

export interface OptimizerSpec {
  readonly kind: OptimizerKind;
  /** A positive number or a piecewise-constant schedule (see learningRate.ts). */
  readonly learningRate?: LearningRate;
  readonly momentum?: number;
  /** pure-momentum only: steps that feed the gradient in (default 1). */
  readonly gradientSteps?: number;
}

type Presence = 'required' | 'optional' | 'forbidden';

interface KindRule {
  readonly learningRate: Presence;
  /** 'unit': 0 <= mu < 1; 'nonNegative': finite mu >= 0; 'none': no momentum. */
  readonly momentum: 'unit' | 'nonNegative' | 'none';
  readonly gradientSteps: boolean;
  readonly build: (spec: {
    learningRate?: LearningRate;
    momentum: number;
    gradientSteps: number;
  }) => GradientTransformation;
}

const RULES: Readonly<Record<OptimizerKind, KindRule>> = {
  sgd: {
    learningRate: 'required',
    momentum: 'none',
    gradientSteps: false,
    build: (s) => chain(scaleByLearningRate(s.learningRate!)),
  },
  'heavy-ball': {
    learningRate: 'required',
    momentum: 'unit',
    gradientSteps: false,
    build: (s) => chain(trace(s.momentum), scaleByLearningRate(s.learningRate!)),
  },
  nesterov: {
    learningRate: 'required',
    momentum: 'unit',
    gradientSteps: false,
    build: (s) => chain(trace(s.momentum, { nesterov: true }), scaleByLearningRate(s.learningRate!)),
  },
  'ema-momentum': {
    learningRate: 'optional',
    momentum: 'unit',
    gradientSteps: false,
    build: (s) =>
      s.learningRate === undefined
        ? chain(ema(s.momentum))
        : chain(ema(s.momentum), scaleByLearningRate(s.learningRate)),
  },
  'no-lr-momentum': {
    learningRate: 'forbidden',
    momentum: 'unit',
    gradientSteps: false,
    build: (s) => chain(ema(s.momentum)),
  },
  'pure-momentum': {
    learningRate: 'required',
    momentum: 'nonNegative',
    gradientSteps: true,
    build: (s) => chain(stopGradientAfter(s.gradientSteps), trace(s.momentum), scaleByLearningRate(s.learningRate!)),
  },
  'keras-momentum': {
    learningRate: 'required',
    momentum: 'unit',
    gradientSteps: false,
    build: (s) => chain(scaleByLearningRate(s.learningRate!), trace(s.momentum)),
  },
};

function allowedFields(rule: KindRule): string[] {
  const fields = ['kind'];
  if (rule.learningRate !== 'forbidden') fields.push('learningRate');
  if (rule.momentum !== 'none') fields.push('momentum');
  if (rule.gradientSteps) fields.push('gradientSteps');
  return fields;
}

const KNOWN_FIELDS = ['kind', 'learningRate', 'momentum', 'gradientSteps'];

function momentumExpectation(rule: KindRule, kind: string): string {
  return rule.momentum === 'unit'
    ? `expected 0 <= momentum < 1 for ${kind}`
    : `expected a finite momentum >= 0 for ${kind}; 1 and above are allowed on purpose (undamped or growing motion)`;
}

function checkMomentum(value: unknown, rule: KindRule, kind: string): number {
  const ok =
    typeof value === 'number' && Number.isFinite(value) && value >= 0 && (rule.momentum !== 'unit' || value < 1);
  if (!ok) throw new OptimizerSpecError(`Invalid momentum value: ${shown(value)} (${momentumExpectation(rule, kind)})`);
  return value as number;
}

/**
 * Checks a spec and returns it typed. Throws an {@link OptimizerSpecError} whose one-line
 * message names the field, the value and what is allowed. Fields set to `undefined` count
 * as absent.
 */
export function validateOptimizerSpec(spec: unknown): OptimizerSpec {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new OptimizerSpecError(
      `Invalid optimizer spec: ${shown(spec)} (expected an object { kind, learningRate?, momentum?, gradientSteps? })`,
    );
  }
  const fields = spec as Record<string, unknown>;
  const kind = fields.kind;
  if (typeof kind !== 'string' || !(OPTIMIZER_KINDS as readonly string[]).includes(kind)) {
    throw new OptimizerSpecError(`Invalid kind value: ${shown(kind)} (expected one of: ${OPTIMIZER_KINDS.join(', ')})`);
  }
  const rule = RULES[kind as OptimizerKind];
  const allowed = allowedFields(rule);
  for (const field of Object.keys(fields)) {
    const value = fields[field];
    if (value === undefined || allowed.includes(field)) continue;
    if (!KNOWN_FIELDS.includes(field)) {
      throw new OptimizerSpecError(
        `Unknown field "${field}" in optimizer spec (allowed for ${kind}: ${allowed.join(', ')})`,
      );
    }
    if (kind === 'no-lr-momentum' && field === 'learningRate') {
      throw new OptimizerSpecError(
        `Invalid learningRate value: ${shown(value)} (no-lr-momentum has no learning rate by definition: remove learningRate, or use kind ema-momentum)`,
      );
    }
    throw new OptimizerSpecError(
      `Invalid ${field} value: ${shown(value)} (${kind} takes no ${field}; allowed for ${kind}: ${allowed.join(', ')})`,
    );
  }
  const { learningRate, momentum, gradientSteps } = fields;
  if (learningRate === undefined && rule.learningRate === 'required') {
    throw new OptimizerSpecError(
      `Missing learningRate for ${kind} (expected a finite number > 0 or a schedule { values, boundaries })`,
    );
  }
  if (learningRate !== undefined) {
    const problem = learningRateProblem(learningRate);
    if (problem !== null) throw new OptimizerSpecError(problem);
  }
  if (momentum === undefined && rule.momentum !== 'none') {
    throw new OptimizerSpecError(`Missing momentum for ${kind} (${momentumExpectation(rule, kind)})`);
  }
  if (momentum !== undefined) checkMomentum(momentum, rule, kind);
  if (
    gradientSteps !== undefined &&
    !(typeof gradientSteps === 'number' && Number.isInteger(gradientSteps) && gradientSteps >= 1)
  ) {
    throw new OptimizerSpecError(
      `Invalid gradientSteps value: ${shown(gradientSteps)} (expected a positive integer for ${kind})`,
    );
  }
  return spec as OptimizerSpec;
}

/** The chain of stages for a spec (validated), for users who want to extend it. */
export function optimizerTransformation(spec: OptimizerSpec): GradientTransformation {
  const valid = validateOptimizerSpec(spec);
  return RULES[valid.kind].build({
    learningRate: valid.learningRate,
    momentum: valid.momentum ?? 0,
    gradientSteps: valid.gradientSteps ?? 1,
  });
}

/** The tf.Optimizer for a spec; invalid specs throw at construction (see validateOptimizerSpec). */
export function createOptimizer(spec: OptimizerSpec): ChainOptimizer {
  return new ChainOptimizer(optimizerTransformation(spec));
}
