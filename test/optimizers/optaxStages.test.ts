/**
 * Reproduces every case of ../fixtures/optax-stages.json, written by
 * scripts/reference/optax_stages.py with Optax itself (float32; the file's `generator` names the
 * versions):
 * - schedules: each schedule, as a learning rate, at steps 0..80 within 1e-5 relative to
 *   max(value, 1e-3 of the schedule's largest value) (Optax computes them in float32);
 * - stages: each chain built from its list of stage configs exactly as
 *   `inertia train --optimizer-spec` builds it (chainFromStageList), open loop, every parameter
 *   after every step within 1e-5 relative to max(1, |x|), and within a tenth of how far the
 *   weights moved. The steps run compiled unless INERTIA_COMPILE=off (CI runs both).
 */
import { describe, expect, it } from 'vitest';
import { ChainOptimizer, learningRateAt, type LearningRate } from '../../src/optimizers/index.js';
import { chainFromStageList } from '../../src/optimizers/stageList.js';
import type { StageConfig } from '../../src/optimizers/types.js';
import { disposedAfterEach, makeVariables, stepOpenCase, uniquePrefix, type Nested } from './helpers.js';
import { readFileSync } from 'node:fs';

interface ScheduleCase {
  schedule: LearningRate;
  steps: number[];
  values: number[];
}

interface StageCase {
  label: string;
  stages: StageConfig[];
  steps: number;
  initial: Record<string, Nested>;
  gradients: Record<string, Nested>[];
  trajectory: Record<string, Nested>[];
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/optax-stages.json', import.meta.url), 'utf8')) as {
  generator: string;
  schedules: ScheduleCase[];
  stages: StageCase[];
};
const owned = disposedAfterEach();

describe('Optax reference: schedules', () => {
  it('covers every named schedule and the piecewise-constant one', () => {
    expect(fixture.generator).toMatch(/^optax /);
    const names = new Set(
      fixture.schedules.map((c) =>
        typeof c.schedule === 'object' && 'schedule' in c.schedule ? c.schedule.schedule : 'piecewise',
      ),
    );
    expect(names).toEqual(new Set(['cosine-decay', 'linear', 'warmup-cosine', 'exponential-decay', 'piecewise']));
  });

  it.each(fixture.schedules.map((c) => [JSON.stringify(c.schedule), c] as const))('%s', (_, c) => {
    const largest = Math.max(...c.values);
    c.steps.forEach((step, i) => {
      const expected = c.values[i];
      const actual = learningRateAt(c.schedule, step);
      expect(Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-3 * largest), `step ${step}`).toBeLessThan(
        1e-5,
      );
    });
  });
});

describe('Optax reference: stages', () => {
  it('covers weight decay, clipping, MultiSteps and scheduled rates', () => {
    const names = new Set(fixture.stages.flatMap((c) => JSON.stringify(c.stages).match(/"name":"\w+"/g) ?? []));
    for (const stage of ['addDecayedWeights', 'clip', 'clipByGlobalNorm', 'multiSteps', 'scaleByLearningRate']) {
      expect(names).toContain(`"name":"${stage}"`);
    }
  });

  it.each(fixture.stages.map((c) => [c.label, c] as const))('%s', (_, c) => {
    const prefix = uniquePrefix('optaxStages');
    const variables = makeVariables(prefix, c.initial);
    owned.push(Object.values(variables));
    const optimizer = new ChainOptimizer(chainFromStageList(c.stages));
    // The gradients are the step's inputs, so a compiled step takes each step's own.
    const errors = stepOpenCase(optimizer, prefix, variables, c);
    expect(errors.worst).toBeLessThan(1e-5);
    expect(errors.worstAbsolute).toBeLessThan(0.1 * errors.motion);
    expect(optimizer.iterations).toBe(c.steps);
    optimizer.dispose();
  });
});
