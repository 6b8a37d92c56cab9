/** Every command of the command line, in the order `inertia --help` lists them. */
import type { AnyCommand } from './command.js';
import { benchCommand } from './bench.js';
import { compareCommand } from './compare.js';
import { doctorCommand } from './doctor.js';
import { exportCommand } from './export.js';
import { runsCommand } from './runs.js';
import { serveCommand } from './serve.js';
import { setupCommand } from './setup.js';
import { studyCommand } from './study.js';
import { sweepCommand } from './sweep.js';
import { trainCommand } from './train.js';
import { workerCommand } from './worker.js';

export const COMMANDS: readonly AnyCommand[] = [
  doctorCommand,
  setupCommand,
  benchCommand,
  trainCommand,
  studyCommand,
  compareCommand,
  exportCommand,
  sweepCommand,
  workerCommand,
  serveCommand,
  runsCommand,
];
