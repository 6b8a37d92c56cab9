/** The `--tag` and `--note` options of the commands that write runs (train, sweep). */
export const labelOptions = {
  tag: {
    type: 'string',
    array: true,
    describe:
      'Tag the run(s): a short word (letters, digits, -_.:); repeat or comma-separate for several. Recorded in run.json, not in the run id or config',
  },
  note: { type: 'string', describe: 'A note on the run(s), at most 1,000 characters, recorded in run.json' },
} as const;
