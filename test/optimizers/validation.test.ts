/** Every invalid spec fails at construction with one message naming field, value and what is allowed. */
import { describe, expect, it } from 'vitest';
import {
  OPTIMIZER_KINDS,
  OptimizerSpecError,
  createOptimizer,
  ema,
  scaleByLearningRate,
  stopGradientAfter,
  trace,
} from '../../src/optimizers/index.js';

const invalid: [string, unknown, string][] = [
  [
    'not an object',
    'sgd',
    'Invalid optimizer spec: "sgd" (expected an object { kind, learningRate?, momentum?, gradientSteps? })',
  ],
  [
    'unknown kind',
    { kind: 'adam', learningRate: 0.1 },
    'Invalid kind value: "adam" (expected one of: sgd, heavy-ball, nesterov, ema-momentum, no-lr-momentum, pure-momentum, keras-momentum)',
  ],
  [
    'missing kind',
    { learningRate: 0.1 },
    'Invalid kind value: undefined (expected one of: sgd, heavy-ball, nesterov, ema-momentum, no-lr-momentum, pure-momentum, keras-momentum)',
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
    'Invalid learningRate value: 0 (expected a finite number > 0, or a schedule { values, boundaries } with positive finite values and strictly increasing positive integer boundaries, values.length = boundaries.length + 1)',
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
    ] as const;
    for (const spec of valid) createOptimizer(spec as never).dispose();
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

describe('stage validation', () => {
  it.each([
    [() => trace(-0.5), 'Invalid momentum value: -0.5 (expected a finite number >= 0 for trace)'],
    [() => ema(1), 'Invalid decay value: 1 (expected 0 <= decay < 1 for ema)'],
    [() => scaleByLearningRate(0), 'Invalid learningRate value: 0 (expected a finite number > 0'],
    [() => stopGradientAfter(0), 'Invalid gradientSteps value: 0 (expected a positive integer for stopGradientAfter)'],
  ])('%s', (make, message) => {
    expect(make).toThrow(message);
  });
});
