/** The positional arguments of the commands that read runs (compare, export, serve, runs). */

/** One or more run folders, folders of runs, or globs. */
export const RUN_FOLDERS = {
  type: 'string',
  array: true,
  demandOption: true,
  describe: 'Run folders, folders of runs, or quoted globs',
} as const;

/** One folder of runs, searched below. */
export const RUNS_FOLDER = {
  type: 'string',
  default: 'out',
  describe: 'The folder of runs (searched 4 folders deep)',
} as const;
