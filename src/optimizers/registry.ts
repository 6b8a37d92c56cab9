/**
 * Rebuilds stages from their configs (StageConfig.name -> factory), so an optimizer's
 * getConfig() round-trips through fromConfig() and model.save/tf.loadLayersModel.
 * Register your own stage with {@link registerStage} to make it serializable too.
 */
import { chain } from './chain.js';
import { ema } from './ema.js';
import { identity } from './identity.js';
import type { LearningRate } from './learningRate.js';
import { scaleByLearningRate } from './scaleByLearningRate.js';
import { scaleByAdam } from './scaleByAdam.js';
import { scaleByPolyak } from './scaleByPolyak.js';
import { scaleByProdigy } from './scaleByProdigy.js';
import { scaleByRms } from './scaleByRms.js';
import { stopGradientAfter } from './stopGradientAfter.js';
import { trace } from './trace.js';
import type { GradientTransformation, StageConfig } from './types.js';
import { OptimizerSpecError } from './optimizerSpecError.js';

export type StageFactory = (config: StageConfig) => GradientTransformation;

const factories = new Map<string, StageFactory>();

export function registerStage(name: string, factory: StageFactory): void {
  factories.set(name, factory);
}

export function registeredStageNames(): string[] {
  return [...factories.keys()].sort();
}

/** The stage described by `config` (throws on an unregistered name). */
export function stageFromConfig(config: StageConfig): GradientTransformation {
  const factory = typeof config?.name === 'string' ? factories.get(config.name) : undefined;
  if (factory === undefined) {
    throw new OptimizerSpecError(
      `Unknown optimizer stage ${JSON.stringify(config?.name)} in config (expected one of: ${registeredStageNames().join(', ')}; register custom stages with registerStage)`,
    );
  }
  return factory(config);
}

registerStage('identity', () => identity());
registerStage('trace', (c) => trace(c.momentum as number, { nesterov: c.nesterov === true }));
registerStage('ema', (c) => ema(c.decay as number));
registerStage('scaleByLearningRate', (c) => scaleByLearningRate(c.learningRate as unknown as LearningRate));
registerStage('scaleByAdam', (c) =>
  scaleByAdam({ beta1: c.beta1 as number, beta2: c.beta2 as number, epsilon: c.epsilon as number }),
);
registerStage('scaleByRms', (c) => scaleByRms({ decay: c.decay as number, epsilon: c.epsilon as number }));
registerStage('scaleByProdigy', (c) =>
  scaleByProdigy({
    beta1: c.beta1 as number,
    beta2: c.beta2 as number,
    beta3: c.beta3 as number,
    epsilon: c.epsilon as number,
    d0: c.d0 as number,
    learningRate: c.learningRate as unknown as LearningRate,
  }),
);
registerStage('scaleByPolyak', (c) =>
  scaleByPolyak({
    maxLearningRate: c.maxLearningRate as number,
    fMin: c.fMin as number,
    epsilon: c.epsilon as number,
  }),
);
registerStage('stopGradientAfter', (c) => stopGradientAfter(c.steps as number));
registerStage('chain', (c) => {
  if (!Array.isArray(c.stages))
    throw new OptimizerSpecError(
      `Invalid chain config: ${JSON.stringify(c)} (expected { name: "chain", stages: [...] })`,
    );
  return chain(...(c.stages as StageConfig[]).map(stageFromConfig));
});
