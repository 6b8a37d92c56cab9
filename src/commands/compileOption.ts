/** The `--compile` option shared by train, study, bench (and every command that trains). */
import { COMPILE_MODES } from '../graph/compileMode.js';

export const compileOption = {
  compile: {
    choices: COMPILE_MODES,
    describe:
      'Compiled training steps (one TensorFlow function call per step): auto = where they verify against eager steps, else eager with a warning; on = or fail; off = eager (default: $INERTIA_COMPILE, else auto)',
  },
} as const;
