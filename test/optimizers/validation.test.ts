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
    'Invalid kind value: "lion" (expected one of: sgd, heavy-ball, nesterov, ema-momentum, no-lr-momentum, pure-momentum, keras-momentum, adam, rmsprop, polyak, prodigy)',
  ],
  [
    'missing kind',
    { learningRate: 0.1 },
    'Invalid kind value: undefined (expected one of: sgd, heavy-ball, nesterov, ema-momentum, no-lr-momentum, pure-momentum, keras-momentum, adam, rmsprop, polyak, prodigy)',
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
  });
});
