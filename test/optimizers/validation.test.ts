/** Every invalid spec fails at construction with one message naming field, value and what is allowed. */
import { describe, expect, it } from 'vitest';
import {
  OPTIMIZER_KINDS,
  OptimizerSpecError,
  createOptimizer,
  stageFromConfig,
  type StageConfig,
} from '../../src/optimizers/index.js';

// One row per invalid spec (case, spec, start of the message): one shape, so the rules read as a list.
const invalid: [string, unknown, string][] = [
  [
    'not an object',
    'sgd',
    'Invalid optimizer spec: "sgd" (expected an object such as { kind: "heavy-ball", learningRate: 0.1, momentum: 0.9 })',
  ],
  [
    'unknown kind',
    { kind: 'lion', learningRate: 0.1 },
    'Invalid kind value: "lion" (expected one of: sgd, heavy-ball, nesterov, ema-momentum, no-lr-momentum, pure-momentum, keras-momentum, adam, rmsprop, polyak, prodigy, ema-debiased, adadelta, rprop, dog, dowg, cocob, dadapt-adamw, mechanic, momo, schedule-free)',
  ],
  [
    'missing kind',
    { learningRate: 0.1 },
    'Invalid kind value: undefined (expected one of: sgd, heavy-ball, nesterov, ema-momentum, no-lr-momentum, pure-momentum, keras-momentum, adam, rmsprop, polyak, prodigy, ema-debiased, adadelta, rprop, dog, dowg, cocob, dadapt-adamw, mechanic, momo, schedule-free)',
  ],
  [
    'unknown field',
    { kind: 'heavy-ball', learningRate: 0.1, momentum: 0.9, lr: 0.1 },
    'Unknown field "lr" in optimizer spec (allowed for heavy-ball: kind, learningRate, momentum)',
  ],
  [
    'learningRate for no-lr-momentum',
    { kind: 'no-lr-momentum', momentum: 0.9, learningRate: 0.1 },
    'Invalid learningRate value: 0.1 (no-lr-momentum has no learning rate by definition: remove learningRate, or use kind ema-momentum)',
  ],
  [
    'momentum for sgd',
    { kind: 'sgd', learningRate: 0.1, momentum: 0.9 },
    'Invalid momentum value: 0.9 (sgd takes no momentum; allowed for sgd: kind, learningRate)',
  ],
  [
    'gradientSteps for heavy-ball',
    { kind: 'heavy-ball', learningRate: 0.1, momentum: 0.9, gradientSteps: 3 },
    'Invalid gradientSteps value: 3 (heavy-ball takes no gradientSteps; allowed for heavy-ball: kind, learningRate, momentum)',
  ],
  [
    'missing learningRate',
    { kind: 'heavy-ball', momentum: 0.9 },
    'Missing learningRate for heavy-ball (expected a finite number > 0 or a schedule { values, boundaries })',
  ],
  [
    'missing learningRate (pure)',
    { kind: 'pure-momentum', momentum: 0.9 },
    'Missing learningRate for pure-momentum (expected a finite number > 0 or a schedule { values, boundaries })',
  ],
  [
    'missing momentum',
    { kind: 'nesterov', learningRate: 0.1 },
    'Missing momentum for nesterov (expected 0 <= momentum < 1 for nesterov)',
  ],
  [
    'missing momentum (no-lr)',
    { kind: 'no-lr-momentum' },
    'Missing momentum for no-lr-momentum (expected 0 <= momentum < 1 for no-lr-momentum)',
  ],
  [
    'zero learningRate',
    { kind: 'sgd', learningRate: 0 },
    'Invalid learningRate value: 0 (expected a finite number > 0, or a schedule { values, boundaries } with positive finite values and strictly increasing positive integer boundaries, values.length = boundaries.length + 1, or a named schedule { schedule: cosine-decay | linear | warmup-cosine | exponential-decay, ... })',
  ],
  [
    'negative learningRate',
    { kind: 'sgd', learningRate: -0.1 },
    'Invalid learningRate value: -0.1 (expected a finite number > 0',
  ],
  [
    'infinite learningRate',
    { kind: 'heavy-ball', learningRate: Infinity, momentum: 0.9 },
    'Invalid learningRate value: Infinity (expected a finite number > 0',
  ],
  [
    'NaN learningRate',
    { kind: 'ema-momentum', learningRate: NaN, momentum: 0.9 },
    'Invalid learningRate value: NaN (expected a finite number > 0',
  ],
  [
    'string learningRate',
    { kind: 'sgd', learningRate: '0.1' },
    'Invalid learningRate value: "0.1" (expected a finite number > 0',
  ],
  [
    'schedule with wrong lengths',
    { kind: 'sgd', learningRate: { values: [0.1], boundaries: [10] } },
    'Invalid learningRate value: {"values":[0.1],"boundaries":[10]} (expected a finite number > 0, or a schedule',
  ],
  [
    'schedule with decreasing boundaries',
    { kind: 'sgd', learningRate: { values: [0.1, 0.05, 0.01], boundaries: [10, 5] } },
    'Invalid learningRate value: {"values":[0.1,0.05,0.01],"boundaries":[10,5]} (expected',
  ],
  [
    'schedule with a zero value',
    { kind: 'sgd', learningRate: { values: [0.1, 0], boundaries: [10] } },
    'Invalid learningRate value: {"values":[0.1,0],"boundaries":[10]} (expected',
  ],
  [
    'momentum 1.5 for ema-momentum',
    { kind: 'ema-momentum', learningRate: 0.1, momentum: 1.5 },
    'Invalid momentum value: 1.5 (expected 0 <= momentum < 1 for ema-momentum)',
  ],
  [
    'momentum 1 for no-lr-momentum',
    { kind: 'no-lr-momentum', momentum: 1 },
    'Invalid momentum value: 1 (expected 0 <= momentum < 1 for no-lr-momentum)',
  ],
  [
    'negative momentum for heavy-ball',
    { kind: 'heavy-ball', learningRate: 0.1, momentum: -0.1 },
    'Invalid momentum value: -0.1 (expected 0 <= momentum < 1 for heavy-ball)',
  ],
  [
    'momentum 1 for nesterov',
    { kind: 'nesterov', learningRate: 0.1, momentum: 1 },
    'Invalid momentum value: 1 (expected 0 <= momentum < 1 for nesterov)',
  ],
  [
    'negative momentum for pure-momentum',
    { kind: 'pure-momentum', learningRate: 0.1, momentum: -1 },
    'Invalid momentum value: -1 (expected a finite momentum >= 0 for pure-momentum; 1 and above are allowed on purpose (undamped or growing motion))',
  ],
  [
    'infinite momentum for pure-momentum',
    { kind: 'pure-momentum', learningRate: 0.1, momentum: Infinity },
    'Invalid momentum value: Infinity (expected a finite momentum >= 0 for pure-momentum',
  ],
  [
    'gradientSteps 0',
    { kind: 'pure-momentum', learningRate: 0.1, momentum: 0.9, gradientSteps: 0 },
    'Invalid gradientSteps value: 0 (expected a positive integer for pure-momentum)',
  ],
  [
    'fractional gradientSteps',
    { kind: 'pure-momentum', learningRate: 0.1, momentum: 0.9, gradientSteps: 1.5 },
    'Invalid gradientSteps value: 1.5 (expected a positive integer for pure-momentum)',
  ],
  ['beta1 1 for adam', { kind: 'adam', beta1: 1 }, 'Invalid beta1 value: 1 (expected 0 <= beta1 < 1 for adam)'],
  [
    'negative beta2 for prodigy',
    { kind: 'prodigy', beta2: -0.1 },
    'Invalid beta2 value: -0.1 (expected 0 <= beta2 < 1 for prodigy)',
  ],
  [
    'negative epsilon for adam',
    { kind: 'adam', epsilon: -1e-8 },
    'Invalid epsilon value: -1e-8 (expected a finite number >= 0 for adam)',
  ],
  [
    'decay 1 for rmsprop',
    { kind: 'rmsprop', decay: 1 },
    'Invalid decay value: 1 (expected 0 <= decay < 1 for rmsprop)',
  ],
  [
    'string decay for rmsprop',
    { kind: 'rmsprop', decay: '0.9' },
    'Invalid decay value: "0.9" (expected 0 <= decay < 1 for rmsprop)',
  ],
  [
    'zero maxLearningRate for polyak',
    { kind: 'polyak', maxLearningRate: 0 },
    'Invalid maxLearningRate value: 0 (expected a finite number > 0 for polyak)',
  ],
  [
    'infinite fMin for polyak',
    { kind: 'polyak', fMin: -Infinity },
    'Invalid fMin value: -Infinity (expected a finite number for polyak)',
  ],
  ['zero d0 for prodigy', { kind: 'prodigy', d0: 0 }, 'Invalid d0 value: 0 (expected a finite number > 0 for prodigy)'],
  [
    'learningRate for polyak',
    { kind: 'polyak', learningRate: 0.1 },
    'Invalid learningRate value: 0.1 (polyak computes its step size from the loss: bound it with maxLearningRate instead)',
  ],
  [
    'momentum for adam',
    { kind: 'adam', momentum: 0.9 },
    'Invalid momentum value: 0.9 (adam takes no momentum; allowed for adam: kind, learningRate, beta1, beta2, epsilon)',
  ],
  [
    'd0 for adam',
    { kind: 'adam', d0: 1e-6 },
    'Invalid d0 value: 0.000001 (adam takes no d0; allowed for adam: kind, learningRate, beta1, beta2, epsilon)',
  ],
  [
    'decay for prodigy',
    { kind: 'prodigy', decay: 0.9 },
    'Invalid decay value: 0.9 (prodigy takes no decay; allowed for prodigy: kind, learningRate, beta1, beta2, epsilon, d0)',
  ],
  [
    'learningRate for ema-debiased',
    { kind: 'ema-debiased', momentum: 0.9, learningRate: 0.1 },
    'Invalid learningRate value: 0.1 (ema-debiased has no learning rate: it steps by the bias-corrected average itself; remove learningRate, or use kind ema-momentum for a rated average)',
  ],
  [
    'missing momentum for ema-debiased',
    { kind: 'ema-debiased' },
    'Missing momentum for ema-debiased (expected 0 <= momentum < 1 for ema-debiased)',
  ],
  ['rho 1 for adadelta', { kind: 'adadelta', rho: 1 }, 'Invalid rho value: 1 (expected 0 <= rho < 1 for adadelta)'],
  [
    'a schedule for rprop',
    { kind: 'rprop', learningRate: { values: [0.1, 0.01], boundaries: [10] } },
    'Invalid learningRate value: {"values":[0.1,0.01],"boundaries":[10]} (rprop takes its learningRate as the initial step size of every weight: expected a finite number > 0, not a schedule)',
  ],
  [
    'etaMinus 1 for rprop',
    { kind: 'rprop', etaMinus: 1 },
    'Invalid etaMinus value: 1 (expected 0 < etaMinus < 1 for rprop)',
  ],
  ['etaPlus 1 for rprop', { kind: 'rprop', etaPlus: 1 }, 'Invalid etaPlus value: 1 (expected etaPlus > 1 for rprop)'],
  [
    'minStep above the default maxStep for rprop',
    { kind: 'rprop', minStep: 60 },
    'Invalid minStep value: 60 (expected minStep <= maxStep = 50 for rprop: lower minStep or raise maxStep)',
  ],
  [
    'zero rEpsilon for dog',
    { kind: 'dog', rEpsilon: 0 },
    'Invalid rEpsilon value: 0 (expected a finite number > 0 for dog)',
  ],
  [
    'negative initSqDist for dowg',
    { kind: 'dowg', initSqDist: -1 },
    'Invalid initSqDist value: -1 (expected a finite number > 0 for dowg)',
  ],
  [
    'zero alpha for cocob',
    { kind: 'cocob', alpha: 0 },
    'Invalid alpha value: 0 (expected a finite number > 0 for cocob)',
  ],
  [
    'zero epsilon for cocob (a divisor there)',
    { kind: 'cocob', epsilon: 0 },
    'Invalid epsilon value: 0 (expected a finite number > 0 for cocob)',
  ],
  [
    'rho for dog',
    { kind: 'dog', rho: 0.9 },
    'Invalid rho value: 0.9 (dog takes no rho; allowed for dog: kind, learningRate, rEpsilon, epsilon)',
  ],
  [
    'beta1 1 for dadapt-adamw',
    { kind: 'dadapt-adamw', beta1: 1 },
    'Invalid beta1 value: 1 (expected 0 <= beta1 < 1 for dadapt-adamw)',
  ],
  [
    'zero d0 for dadapt-adamw',
    { kind: 'dadapt-adamw', d0: 0 },
    'Invalid d0 value: 0 (expected a finite number > 0 for dadapt-adamw)',
  ],
  [
    'learningRate for mechanic',
    { kind: 'mechanic', learningRate: 0.1 },
    "Invalid learningRate value: 0.1 (mechanic learns the scale of its base heavy-ball: set the base's rate with baseLearningRate instead)",
  ],
  [
    'momentum for mechanic',
    { kind: 'mechanic', momentum: 0.9 },
    "Invalid momentum value: 0.9 (mechanic learns the scale of its base heavy-ball: set the base's momentum with baseMomentum instead)",
  ],
  [
    'baseMomentum 1 for mechanic',
    { kind: 'mechanic', baseMomentum: 1 },
    'Invalid baseMomentum value: 1 (expected 0 <= baseMomentum < 1 for mechanic)',
  ],
  [
    'zero baseLearningRate for mechanic',
    { kind: 'mechanic', baseLearningRate: 0 },
    'Invalid baseLearningRate value: 0 (expected a finite number > 0 for mechanic)',
  ],
  [
    'negative weightDecay for mechanic',
    { kind: 'mechanic', weightDecay: -0.01 },
    'Invalid weightDecay value: -0.01 (expected a finite number >= 0 for mechanic)',
  ],
  [
    'zero sInit for mechanic',
    { kind: 'mechanic', sInit: 0 },
    'Invalid sInit value: 0 (expected a finite number > 0 for mechanic)',
  ],
  [
    'fractional numBetas for mechanic',
    { kind: 'mechanic', numBetas: 2.5 },
    'Invalid numBetas value: 2.5 (expected a positive integer for mechanic)',
  ],
  ['beta 1 for momo', { kind: 'momo', beta: 1 }, 'Invalid beta value: 1 (expected 0 <= beta < 1 for momo)'],
  [
    'infinite lowerBound for momo',
    { kind: 'momo', lowerBound: Infinity },
    'Invalid lowerBound value: Infinity (expected a finite number for momo)',
  ],
  [
    'beta 0 for schedule-free (x = (y - (1 - beta) z) / beta)',
    { kind: 'schedule-free', beta: 0 },
    'Invalid beta value: 0 (expected 0 < beta < 1 for schedule-free)',
  ],
  [
    'NaN weightLrPower for schedule-free',
    { kind: 'schedule-free', weightLrPower: NaN },
    'Invalid weightLrPower value: NaN (expected a finite number for schedule-free)',
  ],
  [
    'momentum for schedule-free',
    { kind: 'schedule-free', momentum: 0.9 },
    'Invalid momentum value: 0.9 (schedule-free takes no momentum; allowed for schedule-free: kind, learningRate, beta, weightLrPower)',
  ],
  [
    'zero learningRate for adam',
    { kind: 'adam', learningRate: 0 },
    'Invalid learningRate value: 0 (expected a finite number > 0',
  ],
];

describe('createOptimizer validation', () => {
  it.each(invalid)('%s', (_, spec, message) => {
    let error: unknown;
    try {
      createOptimizer(spec as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OptimizerSpecError);
    expect((error as Error).message.slice(0, message.length)).toBe(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it('accepts the boundaries of every range', () => {
    const valid = [
      { kind: 'heavy-ball', learningRate: 1e-6, momentum: 0 },
      { kind: 'nesterov', learningRate: 0.1, momentum: 0.999 },
      { kind: 'ema-momentum', momentum: 0 },
      { kind: 'pure-momentum', learningRate: 0.1, momentum: 1 },
      { kind: 'pure-momentum', learningRate: 0.1, momentum: 1.2, gradientSteps: 5 },
      { kind: 'sgd', learningRate: { values: [0.1, 0.05, 0.01], boundaries: [10, 20] } },
      { kind: 'sgd', learningRate: 0.1, momentum: undefined }, // undefined counts as absent
      { kind: 'adam', beta1: 0, beta2: 0, epsilon: 0 },
      { kind: 'rmsprop', decay: 0, epsilon: 0 },
      { kind: 'polyak', fMin: -5, epsilon: 0 },
      { kind: 'prodigy', d0: 1e-12, learningRate: { values: [1, 0.1], boundaries: [100] } },
      { kind: 'ema-debiased', momentum: 0 },
      { kind: 'adadelta', rho: 0, epsilon: 0, learningRate: { values: [1, 0.5], boundaries: [10] } },
      { kind: 'rprop', learningRate: 1e-3, etaMinus: 1e-3, etaPlus: 1.001, minStep: 0.5, maxStep: 0.5 },
      { kind: 'dog', epsilon: 0 },
      { kind: 'dowg', initSqDist: 1e-12, epsilon: 0 },
      { kind: 'cocob', epsilon: 1e-30, alpha: 1e-3 },
      { kind: 'dadapt-adamw', beta1: 0, beta2: 0, epsilon: 0 },
      { kind: 'mechanic', baseMomentum: 0, weightDecay: 0, epsilon: 0, numBetas: 1 },
      { kind: 'momo', beta: 0, lowerBound: -3, learningRate: { values: [1, 0.1], boundaries: [100] } },
      { kind: 'schedule-free', beta: 0.999, weightLrPower: 0 },
    ] as const;
    for (const spec of valid) createOptimizer(spec as never).dispose();
    // The momentum kinds lead the list in this order, written out so that a reorder is a visible change.
    expect(OPTIMIZER_KINDS.slice(0, 6)).toEqual([
      'sgd',
      'heavy-ball',
      'nesterov',
      'ema-momentum',
      'no-lr-momentum',
      'pure-momentum',
    ]);
  });
});

describe('stage configs read back from a file', () => {
  // The stages trust their inputs; a config from a saved model is checked where it is rebuilt.
  it.each([
    [{ name: 'trace', momentum: -0.5 }, 'Invalid momentum value: -0.5 (expected a finite number >= 0 for trace)'],
    [{ name: 'ema', decay: 1 }, 'Invalid decay value: 1 (expected 0 <= decay < 1 for ema)'],
    [{ name: 'scaleByLearningRate', learningRate: 0 }, 'Invalid learningRate value: 0 (expected a finite number > 0'],
    [
      { name: 'stopGradientAfter', steps: 0 },
      'Invalid steps value: 0 (expected a positive integer for stopGradientAfter)',
    ],
    [{ name: 'scaleByAdam', beta1: 1 }, 'Invalid beta1 value: 1 (expected 0 <= beta1 < 1 for scaleByAdam)'],
    [{ name: 'scaleByRms', epsilon: -1 }, 'Invalid epsilon value: -1 (expected a finite number >= 0 for scaleByRms)'],
    [
      { name: 'scaleByPolyak', maxLearningRate: 'fast' },
      'Invalid maxLearningRate value: "fast" (expected a finite number > 0 for scaleByPolyak)',
    ],
    [{ name: 'scaleByProdigy', beta3: 1 }, 'Invalid beta3 value: 1 (expected 0 <= beta3 < 1 for scaleByProdigy)'],
    [{ name: 'scaleByProdigy', learningRate: -1 }, 'Invalid learningRate value: -1 (expected a finite number > 0'],
    [{ name: 'scaleByAdadelta', rho: 1 }, 'Invalid rho value: 1 (expected 0 <= rho < 1 for scaleByAdadelta)'],
    [{ name: 'scaleByRprop' }, 'Invalid initialStep value: undefined (expected a finite number > 0 for scaleByRprop)'],
    [
      { name: 'scaleByRprop', initialStep: 0.1, minStep: 2, maxStep: 1 },
      'Invalid minStep value: 2 (expected minStep <= maxStep = 1 for scaleByRprop)',
    ],
    [{ name: 'scaleByDog', rEpsilon: -1 }, 'Invalid rEpsilon value: -1 (expected a finite number > 0 for scaleByDog)'],
    [
      { name: 'scaleByDowg', initSqDist: 0 },
      'Invalid initSqDist value: 0 (expected a finite number > 0 for scaleByDowg)',
    ],
    [{ name: 'scaleByCocob', epsilon: 0 }, 'Invalid epsilon value: 0 (expected a finite number > 0 for scaleByCocob)'],
    [{ name: 'dadaptAdamW', d0: -1 }, 'Invalid d0 value: -1 (expected a finite number > 0 for dadaptAdamW)'],
    [
      { name: 'mechanize', base: { name: 'trace', momentum: 2, nesterov: 'yes' }, numBetas: 0 },
      'Invalid numBetas value: 0 (expected a positive integer for mechanize)',
    ],
    [
      { name: 'mechanize', base: { name: 'ema', decay: 1 } },
      'Invalid decay value: 1 (expected 0 <= decay < 1 for ema)',
    ],
    [{ name: 'momo', beta: -0.1 }, 'Invalid beta value: -0.1 (expected 0 <= beta < 1 for momo)'],
    [
      { name: 'scheduleFree', base: { name: 'identity' }, learningRate: 0.1, beta: 1 },
      'Invalid beta value: 1 (expected 0 < beta < 1 for scheduleFree)',
    ],
    [
      { name: 'scheduleFree', base: [], learningRate: 0.1 },
      'Invalid scheduleFree config: {"name":"scheduleFree","base":[],"learningRate":0.1} (expected { name: "scheduleFree", base: { name: ..., ... }, ... }',
    ],
  ] as [StageConfig, string][])('%o', (config, message) => {
    expect(() => stageFromConfig(config)).toThrow(OptimizerSpecError);
    expect(() => stageFromConfig(config)).toThrow(message);
  });

  it('fills in the defaults of optional fields absent from the config', () => {
    expect(stageFromConfig({ name: 'scaleByAdam' }).config).toEqual({
      name: 'scaleByAdam',
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
    });
    // Optax's defaults; dowg without initSqDist starts its estimate at epsilon.
    expect(stageFromConfig({ name: 'scaleByDowg' }).config).toEqual({ name: 'scaleByDowg', epsilon: 1e-4 });
    expect(stageFromConfig({ name: 'scaleByRprop', initialStep: 0.1 }).config).toEqual({
      name: 'scaleByRprop',
      initialStep: 0.1,
      etaMinus: 0.5,
      etaPlus: 1.2,
      minStep: 1e-6,
      maxStep: 50,
    });
    // Configs saved before ema had its debias option read back as the plain average.
    expect(stageFromConfig({ name: 'ema', decay: 0.9 }).config).toEqual({ name: 'ema', decay: 0.9, debias: false });
  });
});
