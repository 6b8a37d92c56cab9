/**
 * `inertia train --optimizer-spec file.json`: a chain of stages read from a JSON list of stage
 * configs (see optimizers/stageList.ts), checked entry by entry before anything runs.
 */
import { parsedOr, UserError } from '../util/errors.js';
import { readUserFile } from '../util/fs.js';
import { chainFromStageList, STAGE_LIST_EXAMPLE, type StageListSpec } from '../optimizers/stageList.js';
import type { StageConfig } from '../optimizers/types.js';

/** A spec file larger than this is refused (a list of stage configs is a few hundred bytes). */
export const MAX_OPTIMIZER_SPEC_BYTES = 64 * 1024;

/** The optimizer `file` describes; throws one line naming the file and the fix when it is not valid. */
export function readOptimizerSpecFile(file: string): StageListSpec {
  const text = readUserFile(file, '--optimizer-spec', MAX_OPTIMIZER_SPEC_BYTES);
  const parsed = parsedOr<unknown>(
    () => JSON.parse(text),
    (reason) =>
      new UserError(
        `Cannot parse --optimizer-spec ${file}: ${reason}; fix the JSON (expected a list of stage configs, e.g. ${STAGE_LIST_EXAMPLE})`,
      ),
  );
  chainFromStageList(parsed, `--optimizer-spec ${file}`);
  return { kind: 'chain', stages: parsed as StageConfig[] };
}
