/** `inertia study`: the study, resumable after a stop. */
import { outputOf } from '../output.js';
import { studyOptions } from '../studyOptions.js';
import { defineCommand } from './command.js';
import { exitOnStopSignalsResumable } from './resumable.js';

export const studyCommand = defineCommand({
  name: 'study',
  describe: 'Run (or resume) the momentum / learning-rate study and write its report',
  options: studyOptions,
  examples: [
    ['$0 study', 'The default preset: every experiment on mnist-digits, about 2 minutes on 2 cores'],
    ['$0 study --preset quick --workers 1', 'The small preset in this process'],
    ['$0 study --preset quick --json | jq .verdicts', 'The verdicts, for a script'],
  ],
  async handler(args) {
    const { studyCommand: study, formatStudy, studyRecord } = await import('../study.js');
    await exitOnStopSignalsResumable();
    return outputOf(await study(args), formatStudy, studyRecord);
  },
});
