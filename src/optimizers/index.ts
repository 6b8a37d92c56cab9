/**
 * Optimizers built Optax-style: small gradient transformations (stages) composed by
 * `chain`, state keyed by variable name, and one adapter (`ChainOptimizer`) that makes any
 * chain a tf.Optimizer. `createOptimizer(spec)` builds the study's kinds.
 */
export { GLOBAL } from './types.js';
export type {
  ApplyGradientsOptions,
  GlobalStep,
  GlobalValues,
  GradientTransformation,
  NamedTensor,
  PerVariable,
  StageConfig,
  StepContext,
  TensorsByName,
  TransformationState,
  ConfigValue,
} from './types.js';
export { identity, type IdentityState } from './identity.js';
export { trace, type TraceOptions, type TraceState } from './trace.js';
export { ema, type EmaOptions, type EmaState } from './ema.js';
export { scaleByLearningRate, type ScaleByLearningRateState } from './scaleByLearningRate.js';
export { scaleByAdam, type ScaleByAdamOptions, type ScaleByAdamState } from './scaleByAdam.js';
export { scaleByRms, type ScaleByRmsOptions, type ScaleByRmsState } from './scaleByRms.js';
export { scaleByProdigy, type ScaleByProdigyOptions, type ScaleByProdigyState } from './scaleByProdigy.js';
export { scaleByPolyak, type ScaleByPolyakOptions, type ScaleByPolyakState } from './scaleByPolyak.js';
export { scaleByAdadelta, type ScaleByAdadeltaOptions, type ScaleByAdadeltaState } from './scaleByAdadelta.js';
export { scaleByRprop, type ScaleByRpropOptions, type ScaleByRpropState } from './scaleByRprop.js';
export { scaleByDog, type ScaleByDogOptions, type ScaleByDogState } from './scaleByDog.js';
export { scaleByDowg, type ScaleByDowgOptions, type ScaleByDowgState } from './scaleByDowg.js';
export { scaleByCocob, type ScaleByCocobOptions, type ScaleByCocobState } from './scaleByCocob.js';
export { dadaptAdamW, type DAdaptAdamWOptions, type DAdaptAdamWState } from './dadaptAdamW.js';
export { mechanize, type MechanizeOptions, type MechanizeState } from './mechanize.js';
export { momo, type MomoOptions, type MomoState } from './momo.js';
export { scheduleFree, type ScheduleFreeOptions, type ScheduleFreeState } from './scheduleFree.js';
export { MissingLossError, requireLoss } from './stepLoss.js';
export { stopGradientAfter, type StopGradientAfterState } from './stopGradientAfter.js';
export { chain, type ChainState } from './chain.js';
export { addDecayedWeights, type AddDecayedWeightsState } from './addDecayedWeights.js';
export { clip, clipByGlobalNorm, type ClipState } from './clip.js';
export { multiSteps, type MultiStepsState } from './multiSteps.js';
export { reduceOnPlateau, type ReduceOnPlateauOptions, type ReduceOnPlateauState } from './reduceOnPlateau.js';
export {
  checkLearningRate,
  learningRateAt,
  learningRateProblem,
  type LearningRate,
  type PiecewiseConstantSchedule,
} from './learningRate.js';
export {
  SCHEDULE_NAMES,
  namedScheduleAt,
  type CosineDecaySchedule,
  type ExponentialDecaySchedule,
  type LinearSchedule,
  type NamedSchedule,
  type ScheduleName,
  type WarmupCosineSchedule,
} from './schedules.js';
export { registerStage, registeredStageNames, stageFromConfig, type StageFactory } from './registry.js';
export { ScalarCache } from './scalarCache.js';
export { ChainOptimizer, applyGradientsWithLoss } from './chainOptimizer.js';
export { OptimizerSpecError } from './optimizerSpecError.js';
export {
  OPTIMIZER_KINDS,
  createOptimizer,
  optimizerTransformation,
  resolveOptimizerSpec,
  validateOptimizerSpec,
  type OptimizerKind,
  type OptimizerSpec,
} from './createOptimizer.js';
export { KIND_DEFAULTS, KIND_FIELDS, OPTIMIZER_FIELDS, type OptimizerField } from './kinds.js';
export {
  BUILTIN_OPTIMIZER_KINDS,
  createBuiltinOptimizer,
  type BuiltinOptimizerKind,
  type BuiltinOptimizerSpec,
} from './builtin.js';
