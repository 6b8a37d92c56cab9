/** `inertia study`: runs (or resumes) the study and prints where the report is and the verdicts. */
import type { PresetName } from '../study/presets.js';
import type { StudyArgs } from './studyOptions.js';
import { runStudy, type StudyResult } from '../study/study.js';
import path from 'node:path';
import { createExecutor } from '../exec/index.js';
import { queueUrlFrom } from '../exec/queue/connection.js';
import { runEnd, runsProgress, showSharedEvent } from './runsProgress.js';
import { runSettingsFromFlags } from './runSettings.js';

/** The `--json` document of a study: where it was written, its verdicts and run counts (the numbers are in its CSVs). */
export function studyRecord(result: StudyResult): Omit<StudyResult, 'experiments'> {
  const { experiments: _experiments, ...record } = result;
  return record;
}

export function formatStudy(result: StudyResult): string {
  const width = Math.max(...result.verdicts.map((v) => v.outcome.length));
  return [
    `Study written to ${result.dir} in ${result.seconds.toFixed(0)} s (${result.runsTrained} runs trained, ${result.runsResumed} resumed)`,
    `  report: ${result.files.html}`,
    '',
    ...result.verdicts.map((v) => `  ${v.outcome.toUpperCase().padEnd(width)}  ${v.claim}`),
  ].join('\n');
}

export async function studyCommand(args: StudyArgs): Promise<StudyResult> {
  // --compile reaches every run in its settings (a pool worker, a queue job), and the study's probes through runStudy.
  const settings = runSettingsFromFlags(args);
  const view = runsProgress({ quiet: args.quiet, label: 'study' });
  const queue = queueUrlFrom(args.queue);
  const dataDir = args['data-dir'];
  const dir = path.join(args.out, args.preset);
  const executor = createExecutor({ queue, workers: args.workers, dir, dataDir, settings });
  try {
    return await runStudy({
      executor,
      preset: args.preset as PresetName,
      out: args.out,
      seeds: args.seeds,
      dataDir: args['data-dir'],
      workers: args.workers,
      compile: args.compile,
      allowMixedCommits: args['allow-mixed-commits'],
      finishedOnly: args['finished-only'],
      onEvent: (event) => {
        if (showSharedEvent(view, event)) return;
        if (event.type === 'experiment') view.line(`[${event.index}/${event.total}] ${event.title}`);
        else {
          // A study's tuning runs report the validation split, its final runs the test split.
          const split = event.outcome.run.config.validation?.evaluate === 'validation' ? 'validation' : 'test';
          view.end(event.done, event.total, runEnd(event.outcome, split));
        }
      },
    });
  } finally {
    view.stop();
    await executor.close();
  }
}
