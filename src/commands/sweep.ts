/** `inertia sweep`: a user-defined grid of runs, trained locally or over a queue, with its report. */
import crypto from 'node:crypto';
import path from 'node:path';
import { checkDataDir } from '../data/index.js';
import { createExecutor } from '../exec/index.js';
import { queueUrlFrom } from '../exec/queue/connection.js';
import { GRID_FIELDS, makeGrid, readGridFile } from '../sweep/grid.js';
import { runGridSweep, type SweepResult } from '../sweep/sweep.js';
import type { SettingGroup } from '../sweep/summary.js';
import { runSettingsFromFlags } from './runSettings.js';
import { formatMetricInterval } from '../util/intervals.js';
import { stableJson } from '../util/json.js';
import { runEnd, runsProgress, showSharedEvent } from './runsProgress.js';
import type { SweepArgs } from './sweepOptions.js';

export function formatSweep(result: SweepResult): string {
  const { runs } = result;
  const split = result.chosenOn;
  return [
    `Sweep written to ${result.dir} in ${result.seconds.toFixed(0)} s: ${runs.total} runs (${runs.trained} trained, ${runs.resumed} resumed, ${runs.failed} failed, ${runs.diverged} diverged)`,
    `  report: ${result.files.html}`,
    `  summary: ${result.files.summary}`,
    ...result.best.map((group) => {
      const final = result.final.find((candidate) => candidate.optimizer === group.optimizer);
      const onTest =
        final === undefined
          ? ''
          : `; on ${final.runs.length} fresh seeds, test accuracy ${formatMetricInterval(final.accuracy)}`;
      return `  best ${group.optimizer}: ${group.label}, ${split} accuracy ${formatMetricInterval(group.accuracy)}${onTest}`;
    }),
    ...result.edges.map((line) => `  ${line}`),
  ].join('\n');
}

/** The line saying that every run failed (the sweep then exits non-zero), or null when one did not. */
export function allFailedLine(result: SweepResult): string | null {
  const { total, failed } = result.runs;
  if (total === 0 || failed < total) return null;
  return `inertia: every run of the sweep failed (${failed} of ${total}); their errors are in ${result.files.report} and ${result.files.summary}`;
}

/** The JSON document of `inertia sweep --json`. */
export function sweepJson(result: SweepResult): object {
  return {
    dir: result.dir,
    runs: result.runs,
    files: result.files,
    seconds: result.seconds,
    chosenOn: result.chosenOn,
    best: result.best.map((group) => ({
      optimizer: group.optimizer,
      setting: group.settings,
      seeds: group.runs.length,
      [result.chosenOn === 'test' ? 'finalTestAccuracy' : 'finalValidationAccuracy']: group.accuracy,
      [result.chosenOn === 'test' ? 'finalTestLoss' : 'finalValidationLoss']: group.loss,
      ...finalJson(result.final.find((final) => final.optimizer === group.optimizer)),
    })),
    edges: result.edges,
  };
}

/** The final runs of a chosen setting (fresh seeds, test split) in --json. */
function finalJson(final: SettingGroup | undefined): object {
  if (final === undefined) return {};
  return {
    final: {
      seeds: final.runs.map(({ run }) => run.seed),
      failed: final.failed,
      diverged: final.diverged,
      finalTestAccuracy: final.accuracy,
      finalTestLoss: final.loss,
    },
  };
}

export async function sweepCommand(args: SweepArgs, command: string): Promise<SweepResult> {
  const flags: Parameters<typeof makeGrid>[1] = {
    seeds: args.seeds,
    'validation-size': args['validation-size'],
    search: args.search,
    trials: args.trials,
    'search-seed': args['search-seed'],
    eta: args.eta,
    'min-epochs': args['min-epochs'],
    schedule: args.schedule,
    'warmup-steps': args['warmup-steps'],
    'decay-steps': args['decay-steps'],
    'end-lr': args['end-lr'],
    'decay-rate': args['decay-rate'],
  };
  for (const field of GRID_FIELDS) flags[field] = args[field];
  // --compile, --tag and --note travel with every run (to a pool worker or a queue job), and
  // run.json records them; none is part of a run's id or config, so a rerun resumes finished runs.
  const settings = runSettingsFromFlags(args);
  const file = args.grid === undefined ? {} : readGridFile(args.grid);
  const grid = makeGrid(file, flags);
  const hash = crypto.createHash('sha256').update(stableJson(grid)).digest('hex').slice(0, 10);
  const dir = args.out ?? path.join('out', 'sweeps', `sweep-${hash}`);
  const dataDir = args['data-dir'];
  // Checked before the sweep folder is made: a missing or unreadable folder is one line, never other data.
  if (dataDir !== undefined) checkDataDir(dataDir);
  const executor = createExecutor({ queue: queueUrlFrom(args.queue), workers: args.workers, dir, dataDir, settings });
  const view = runsProgress({ quiet: args.quiet, label: 'sweep' });
  try {
    return await runGridSweep({
      grid,
      dir,
      executor,
      command,
      confirmed: args.yes,
      validationByDefault: args['validation-size'] === undefined && file['validation-size'] === undefined,
      onEvent: (event) => {
        if (!showSharedEvent(view, event)) {
          // Final runs of a sweep with a validation split evaluate on the test split.
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
