/** `inertia study`: runs (or resumes) the study and prints where the report is and the verdicts. */
import type { InferredOptionTypes } from 'yargs';
import { PRESET_NAMES, type PresetName } from '../study/presets.js';
import { runStudy, type StudyResult } from '../study/study.js';
import { progressView } from './progress.js';

export const studyOptions = {
  preset: { choices: PRESET_NAMES, default: 'default' as PresetName, describe: 'quick: tests/CI (< 1 min); default: mnist-digits, every experiment (a few minutes); full: Fashion-MNIST, more seeds' },
  out: { type: 'string', default: 'out/study', describe: 'Parent folder of the study folder (<out>/<preset>/)' },
  seeds: { type: 'number', describe: "Seeds for the reruns of each optimizer's best grid setting (default: the preset's)" },
  'data-dir': { type: 'string', describe: 'Folder with the IDX files (fashion-mnist for the full preset)' },
  workers: { type: 'number', describe: 'Worker processes training runs in parallel (default: one per core, at most 2)' },
  quiet: { type: 'boolean', default: false, describe: 'No progress output' },
} as const;

export type StudyArgs = InferredOptionTypes<typeof studyOptions>;

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
  const view = progressView({ quiet: args.quiet, format: 'study |{bar}| run {value}/{total} {run} | {detail} | ETA {eta_formatted}' });
  let experiment = '';
  try {
    return await runStudy({
      preset: args.preset as PresetName,
      out: args.out,
      seeds: args.seeds,
      dataDir: args['data-dir'],
      workers: args.workers,
      onEvent: (event) => {
        if (event.type === 'experiment') {
          experiment = `experiment ${event.title}`;
          view.line(`[${event.index}/${event.total}] ${event.title}`);
        } else if (event.type === 'run-start') {
          view.update(event.done, event.total, { run: event.run.id, detail: experiment });
        } else if (event.type === 'progress') {
          view.update(event.done, event.total, { run: event.progress.runId, detail: `epoch ${event.progress.epoch}/${event.progress.epochs} step ${event.progress.step}/${event.progress.totalSteps}` });
        } else {
          view.update(event.done, event.total, { run: event.outcome.run.id, detail: event.outcome.resumed ? 'resumed' : event.outcome.status });
        }
      },
    });
  } finally {
    view.stop();
  }
}
