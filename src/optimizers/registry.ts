/**
 * Rebuilds stages from their configs (StageConfig.name -> factory), so an optimizer's
 * getConfig() round-trips through fromConfig() and model.save/tf.loadLayersModel.
 * Register your own stage with {@link registerStage} to make it serializable too.
 * A config comes from a file, so the built-in factories check its numbers here (the stages
 * trust their inputs); optional fields absent from the config take the stage's default.
 */
import { chain } from './chain.js';
import { ema } from './ema.js';
import { identity } from './identity.js';
import { checkLearningRate, type LearningRate } from './learningRate.js';
import { checkField } from './fieldChecks.js';
import { scaleByLearningRate } from './scaleByLearningRate.js';
import { scaleByAdadelta } from './scaleByAdadelta.js';
import { scaleByAdam } from './scaleByAdam.js';
import { scaleByCocob } from './scaleByCocob.js';
import { scaleByDog } from './scaleByDog.js';
import { scaleByDowg } from './scaleByDowg.js';
import { scaleByPolyak } from './scaleByPolyak.js';
import { scaleByProdigy } from './scaleByProdigy.js';
import { scaleByRms } from './scaleByRms.js';
import { scaleByRprop } from './scaleByRprop.js';
import { dadaptAdamW } from './dadaptAdamW.js';
import { mechanize } from './mechanize.js';
import { momo } from './momo.js';
import { scheduleFree } from './scheduleFree.js';
import { stopGradientAfter } from './stopGradientAfter.js';
import { trace } from './trace.js';
import type { GradientTransformation, StageConfig } from './types.js';
import { OptimizerSpecError, shown } from './optimizerSpecError.js';
import { addDecayedWeights } from './addDecayedWeights.js';
import { clip, clipByGlobalNorm } from './clip.js';
import { multiSteps } from './multiSteps.js';
import { reduceOnPlateau } from './reduceOnPlateau.js';

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

/** The base optimizer's config inside a wrapper stage's config (mechanize, scheduleFree). */
function baseConfig(config: StageConfig): StageConfig {
  const base = config.base;
  if (
    typeof base !== 'object' ||
    base === null ||
    Array.isArray(base) ||
    typeof (base as StageConfig).name !== 'string'
  ) {
    throw new OptimizerSpecError(
      `Invalid ${config.name} config: ${JSON.stringify(config)} (expected { name: "${config.name}", base: { name: ..., ... }, ... } with the wrapped optimizer's config as base)`,
    );
  }
  return base as StageConfig;
}

/** The number `config[field]` after its range check; undefined when absent and `optional`. */
function numberField(config: StageConfig, field: string, optional = false): number {
  const value = config[field];
  return (optional && value === undefined ? undefined : checkField(field, value, config.name)) as number;
}

/** The numbers `fields` of `config`, each after its range check (in order), undefined where absent. */
function optionalNumbers<F extends string>(config: StageConfig, ...fields: F[]): Record<F, number | undefined> {
  const numbers = {} as Record<F, number | undefined>;
  for (const field of fields) numbers[field] = numberField(config, field, true);
  return numbers;
}

/** `config.learningRate` after its check, undefined when absent. */
function optionalLearningRate(config: StageConfig): LearningRate | undefined {
  return config.learningRate === undefined ? undefined : checkLearningRate(config.learningRate);
}

registerStage('identity', () => identity());
registerStage('trace', (c) => trace(numberField(c, 'momentum'), { nesterov: c.nesterov === true }));
registerStage('ema', (c) => ema(numberField(c, 'decay'), { debias: c.debias === true }));
registerStage('scaleByLearningRate', (c) => scaleByLearningRate(checkLearningRate(c.learningRate)));
registerStage('scaleByAdam', (c) => scaleByAdam(optionalNumbers(c, 'beta1', 'beta2', 'epsilon')));
registerStage('scaleByRms', (c) => scaleByRms(optionalNumbers(c, 'decay', 'epsilon')));
registerStage('scaleByProdigy', (c) =>
  scaleByProdigy({
    ...optionalNumbers(c, 'beta1', 'beta2', 'beta3', 'epsilon', 'd0'),
    learningRate: optionalLearningRate(c),
  }),
);
registerStage('scaleByPolyak', (c) => scaleByPolyak(optionalNumbers(c, 'maxLearningRate', 'fMin', 'epsilon')));
registerStage('scaleByAdadelta', (c) => scaleByAdadelta(optionalNumbers(c, 'rho', 'epsilon')));
registerStage('scaleByRprop', (c) => {
  const stage = scaleByRprop({
    initialStep: numberField(c, 'initialStep'),
    ...optionalNumbers(c, 'etaMinus', 'etaPlus', 'minStep', 'maxStep'),
  });
  const { minStep, maxStep } = stage.config;
  if ((minStep as number) > (maxStep as number)) {
    throw new OptimizerSpecError(
      `Invalid minStep value: ${minStep} (expected minStep <= maxStep = ${maxStep} for scaleByRprop)`,
    );
  }
  return stage;
});
registerStage('scaleByDog', (c) => scaleByDog(optionalNumbers(c, 'rEpsilon', 'epsilon')));
registerStage('scaleByDowg', (c) => scaleByDowg(optionalNumbers(c, 'initSqDist', 'epsilon')));
registerStage('scaleByCocob', (c) => scaleByCocob(optionalNumbers(c, 'alpha', 'epsilon')));
registerStage('dadaptAdamW', (c) =>
  dadaptAdamW({ learningRate: optionalLearningRate(c), ...optionalNumbers(c, 'beta1', 'beta2', 'epsilon', 'd0') }),
);
registerStage('mechanize', (c) =>
  mechanize(stageFromConfig(baseConfig(c)), optionalNumbers(c, 'weightDecay', 'epsilon', 'sInit', 'numBetas')),
);
registerStage('momo', (c) =>
  momo({ learningRate: optionalLearningRate(c), ...optionalNumbers(c, 'beta', 'lowerBound') }),
);
registerStage('scheduleFree', (c) =>
  scheduleFree(stageFromConfig(baseConfig(c)), {
    learningRate: checkLearningRate(c.learningRate),
    beta: c.beta === undefined ? undefined : checkField('beta', c.beta, c.name, 'interpolation'),
    weightLrPower: numberField(c, 'weightLrPower', true),
  }),
);
registerStage('stopGradientAfter', (c) => stopGradientAfter(numberField(c, 'steps')));
registerStage('chain', (c) => {
  if (!Array.isArray(c.stages))
    throw new OptimizerSpecError(
      `Invalid chain config: ${JSON.stringify(c)} (expected { name: "chain", stages: [...] })`,
    );
  return chain(...(c.stages as StageConfig[]).map(stageFromConfig));
});
registerStage('addDecayedWeights', (c) => addDecayedWeights(checkWeightDecay(c.weightDecay)));
registerStage('clip', (c) => clip(numberField(c, 'maxDelta')));
registerStage('clipByGlobalNorm', (c) => clipByGlobalNorm(numberField(c, 'maxNorm')));
registerStage('multiSteps', (c) => {
  if (typeof c.inner !== 'object' || c.inner === null || Array.isArray(c.inner)) {
    throw new OptimizerSpecError(
      `Invalid multiSteps config: inner is ${shown(c.inner)} (expected the stage config to accumulate for, e.g. { "name": "multiSteps", "everyK": 4, "inner": { "name": "scaleByLearningRate", "learningRate": 0.1 } })`,
    );
  }
  return multiSteps(stageFromConfig(c.inner as StageConfig), numberField(c, 'everyK'));
});

registerStage('reduceOnPlateau', (c) => {
  const stage = reduceOnPlateau(
    optionalNumbers(c, 'factor', 'patience', 'rtol', 'atol', 'cooldown', 'accumulationSize', 'minScale'),
  );
  if (stage.config.rtol === 0 && stage.config.atol === 0) {
    throw new OptimizerSpecError(
      'Invalid reduceOnPlateau config: rtol and atol are both 0 (expected at least one > 0, as Optax: with no tolerance every tiny decrease of the loss counts as an improvement)',
    );
  }
  return stage;
});

/** A weight decay: a finite number >= 0, or a schedule as a learning rate takes. */
function checkWeightDecay(value: unknown): LearningRate {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  if (typeof value === 'object' && value !== null) {
    return checkLearningRate(value);
  }
  throw new OptimizerSpecError(
    `Invalid weightDecay value: ${shown(value)} (expected a finite number >= 0 or a schedule, for addDecayedWeights)`,
  );
}
