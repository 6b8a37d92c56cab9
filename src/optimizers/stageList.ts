/**
 * A chain described as a JSON list of stage configs (the `--optimizer-spec` file of
 * `inertia train`, and the `{ kind: "chain", stages }` optimizer of a run's config.json):
 *
 *     [{ "name": "clipByGlobalNorm", "maxNorm": 1 },
 *      { "name": "scaleByAdam" },
 *      { "name": "addDecayedWeights", "weightDecay": 0.01 },
 *      { "name": "scaleByLearningRate", "learningRate": { "schedule": "warmup-cosine", "peakValue": 0.001, "warmupSteps": 100, "decaySteps": 1000 } }]
 *
 * Each entry is what the stage's getConfig gives (registry.ts). Checked entry by entry, with
 * messages naming the entry, the field and what is allowed; a field the stage does not take
 * is refused too (registry factories ignore unknown fields, which would hide a typo).
 */
import { chain } from './chain.js';
import { OptimizerSpecError, shown } from './optimizerSpecError.js';
import { registeredStageNames, stageFromConfig } from './registry.js';
import type { ConfigValue, GradientTransformation, StageConfig } from './types.js';

/** An optimizer built from a list of stage configs. */
export interface StageListSpec {
  readonly kind: 'chain';
  readonly stages: readonly StageConfig[];
}

export const STAGE_LIST_EXAMPLE =
  '[{ "name": "clipByGlobalNorm", "maxNorm": 1 }, { "name": "scaleByAdam" }, { "name": "scaleByLearningRate", "learningRate": 0.001 }]';

function isObject(value: unknown): value is Record<string, ConfigValue> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The first field of `given` (a stage config, nested ones too) that the built stage's config lacks. */
function unknownField(given: Record<string, ConfigValue>, built: Record<string, ConfigValue>): string | null {
  for (const field of Object.keys(given)) {
    if (!(field in built)) {
      const allowed = Object.keys(built).filter((f) => f !== 'name');
      return `Unknown field "${field}" in stage ${shown(given.name)} (allowed: ${allowed.length > 0 ? allowed.join(', ') : 'none'})`;
    }
    const inner = given[field];
    const builtInner = built[field];
    if (isObject(inner) && typeof inner.name === 'string' && isObject(builtInner)) {
      const problem = unknownField(inner, builtInner);
      if (problem !== null) return problem;
    }
    if (Array.isArray(inner) && Array.isArray(builtInner)) {
      for (let i = 0; i < inner.length; i++) {
        const [a, b] = [inner[i], builtInner[i]];
        if (isObject(a) && typeof a.name === 'string' && isObject(b)) {
          const problem = unknownField(a, b);
          if (problem !== null) return problem;
        }
      }
    }
  }
  return null;
}

/** One entry of the list as a stage; `where` names the list in messages. */
function stageAt(entry: unknown, index: number, where: string): GradientTransformation {
  const label = `stage ${index + 1} of ${where}`;
  if (!isObject(entry) || typeof entry.name !== 'string') {
    throw new OptimizerSpecError(
      `Invalid ${label}: ${shown(entry)} (expected an object with a "name", one of: ${registeredStageNames().join(', ')})`,
    );
  }
  let stage: GradientTransformation;
  try {
    stage = stageFromConfig(entry as StageConfig);
  } catch (error) {
    if (!(error instanceof OptimizerSpecError)) throw error;
    throw new OptimizerSpecError(`In ${label} (${entry.name}): ${error.message}`);
  }
  const unknown = unknownField(entry, stage.config as Record<string, ConfigValue>);
  if (unknown !== null) throw new OptimizerSpecError(`In ${label}: ${unknown}`);
  return stage;
}

/**
 * The chain a list of stage configs describes; throws an {@link OptimizerSpecError} naming the
 * entry and the fix when the list is not valid. `where` names the list in messages (a file).
 */
export function chainFromStageList(stages: unknown, where = 'the optimizer spec'): GradientTransformation {
  if (!Array.isArray(stages) || stages.length === 0) {
    throw new OptimizerSpecError(
      `Invalid ${where}: ${shown(stages)} (expected a non-empty JSON list of stage configs, e.g. ${STAGE_LIST_EXAMPLE})`,
    );
  }
  return chain(...stages.map((entry, i) => stageAt(entry, i, where)));
}
