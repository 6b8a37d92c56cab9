/**
 * The study: fifteen experiments (1-6, A, A1, B0, B, C-E, E1, F; listed in experiments/index.ts) that answer
 * "if momentum keeps its own inertia for every weight, why do we still need a learning rate?" with
 * real runs. Everything lands in out/study/<preset>/: the run folders, one CSV per experiment,
 * summary.csv, the plots, report.md and a self-contained report.html. Re-running resumes: finished runs are read
 * back from their folders instead of being trained again.
 */
import os from 'node:os';
import path from 'node:path';
import { backendInfo } from '../backend.js';
import { loadDataset, type Dataset } from '../data/index.js';
import type { CompileMode } from '../graph/compileMode.js';
import { changedSince, gitCommit } from '../util/provenance.js';
import { checkCommitMixture, commitMixture, mixtureText, TRAINING_PATHS } from './commitMixture.js';
import { writeChart } from '../plot/chart.js';
import { SUMMARY_COLUMNS, summaryRow, type ExperimentResult } from './context.js';
import { columnsOf, writeCsvAtomic } from '../util/csv.js';
import { planningInputs, type AnyExperiment, type PlanInputs } from './experiment.js';
import { experimentsFor } from './experiments/index.js';
import { openingAnswer } from './answer.js';
import { CRITERIA, criteriaHash } from './criteria.js';
import { CRITERIA_CHANGES } from './criteriaChanges.js';
import { decisionHashes, decisionLines, publishedDecisionFile, readDecisionHashes } from './decisionHash.js';
import { getPreset, type PresetName, type StudyPreset } from './presets.js';
import { renderMarkdown, type ReportInput } from './report.js';
import { renderHtml } from '../util/markdown.js';
import {
  countingSweep,
  finishedOutcomes,
  type RunCounts,
  type RunEvent,
  type RunOutcome,
  type StudyRun,
} from '../exec/runBatch.js';
import type { Executor } from '../exec/executor.js';
import { LocalExecutor } from '../exec/local.js';
import { holmFindings, type Verdict } from './verdict.js';
import { startTiming, type ExperimentTiming } from './timing.js';
import { trimmedRelativeToFull } from './trimmed.js';
import { UserError } from '../util/errors.js';
import { makeFolder, writeFileAtomic } from '../util/fs.js';
import { lockFolder } from '../util/lock.js';
import { checkName } from '../util/names.js';
import { stableJson } from '../util/json.js';

export interface StudyOptions {
  preset: PresetName;
  /** Parent folder of the study folder (default out/study). */
  out?: string;
  /** Override the preset's number of seeds for the reruns of experiment 3. */
  seeds?: number;
  /** Folder with the dataset's IDX files (fashion-mnist in the full preset). */
  dataDir?: string;
  /** Local worker processes training runs in parallel (default: one per core, on the compiled CLI; 1 = in this process). */
  workers?: number;
  /** Where the runs train (default: a local executor with `workers` processes); the caller closes it. */
  executor?: Executor;
  /**
   * Compiled steps of the study's own measurements (the probes) and of the runs of the default
   * executor (absent: $INERTIA_COMPILE, else auto). A given executor trains with its own settings.
   */
  compile?: CompileMode;
  /** Resume runs trained at a commit whose training code differs from the current one (the report lists the mixture). */
  allowMixedCommits?: boolean;
  /**
   * Train nothing: report on the runs already finished (the atlas preset only, whose
   * experiments leave out, and list, every setting with unfinished runs).
   */
  finishedOnly?: boolean;
  onEvent?: (event: StudyEvent) => void;
}

/** The events of the study's runs, and the start of each experiment. */
export type StudyEvent = RunEvent | { type: 'experiment'; index: number; total: number; title: string };

export interface StudyResult {
  dir: string;
  verdicts: Verdict[];
  experiments: Record<string, ExperimentResult>;
  files: { report: string; html: string; summary: string };
  runsTrained: number;
  runsResumed: number;
  seconds: number;
  /** Runs, wall and CPU time and machine load per experiment. */
  timings: ExperimentTiming[];
}

/** How many training runs the preset makes: the sum of the experiments' plans. */
export function plannedRuns(
  preset: StudyPreset,
  experiments: readonly AnyExperiment[] = experimentsFor(preset),
  trainCount = preset.trainLimit ?? 1,
): number {
  const inputs = planningInputs(preset, trainCount);
  return experiments.reduce((sum, experiment) => sum + experiment.plan(preset, inputs).length, 0);
}

const TITLE = 'Why does momentum still need a learning rate?';

/** Text for the report with every absolute path in it made relative to the study folder: the report names no machine's folders. */
export function relativePaths(text: string, studyDir: string): string {
  return text.replace(/(?<![\w.])\/[^\s(),;]+/g, (file) => path.relative(path.resolve(studyDir), file) || '.');
}

function datasetFact(dataset: Dataset, preset: StudyPreset, dir: string): string {
  const train = Math.min(dataset.train.count, preset.trainLimit ?? Infinity);
  const test = Math.min(dataset.test.count, preset.testLimit ?? Infinity);
  return (
    `${dataset.name}: ${relativePaths(dataset.source, dir)}, ${train - preset.validationSize} train + ${preset.validationSize} validation ` +
    `(seeded, stratified, carved from the training split) / ${test} test examples`
  );
}

function intro(preset: StudyPreset, verdicts: readonly Verdict[]): string[] {
  if (preset.name === 'atlas') {
    return [
      "The practitioner's question, measured: if I drop the learning rate (momentum as an EMA of gradients, stepped by the velocity itself: alpha = 1), what do I lose, and where does it break? " +
        `This report runs the question's proposal, its bias-corrected form, adam at 1e-3, the parameter-free methods at their defaults and four tuned methods in natural settings on ${preset.dataset} (experiments G0 and G), with findings fixed before the runs.`,
      openingAnswer(verdicts),
    ];
  }
  return [
    '> "If momentum independently keeps a custom inertia value for each weight, why do we need to bother with a learning rate? ' +
      'Surely momentum would catch up its magnitude to any needed value."',
    'The usual answer: without a gradient-driven step, momentum "does not enable learning", since the weight change then follows dw_t = mu dw_{t-1}, ' +
      "predetermined by the momentum coefficient and the first step. This report tests that answer and the question's intuition with real training runs " +
      `(preset \`${preset.name}\`: an MLP 784-256-128-10 on ${preset.dataset}), checks the theory on a quadratic where everything is known in closed form, ` +
      "gives the question's own proposal its own knob (experiments A and E), and tests the answer against adaptive (Adam, RMSprop) and learning-rate-free (Polyak, Prodigy) optimizers (B and C).",
    openingAnswer(verdicts),
  ];
}

type Sweep = (runs: readonly StudyRun[]) => Promise<RunOutcome[]>;

/**
 * Runs the experiments in order: each plans, its runs are trained (or resumed), its numbers
 * computed, its figures and CSV written. Tuned learning rates flow to the plans after it.
 */
async function runExperiments(
  experiments: readonly AnyExperiment[],
  preset: StudyPreset,
  inputs: PlanInputs,
  io: {
    dir: string;
    plotsDir: string;
    dataset: Dataset;
    compile?: CompileMode;
    sweep: Sweep;
    emit: (event: StudyEvent) => void;
  },
): Promise<{ results: ExperimentResult[]; timings: ExperimentTiming[] }> {
  const results: ExperimentResult[] = [];
  const timings: ExperimentTiming[] = [];
  for (const [index, experiment] of experiments.entries()) {
    io.emit({ type: 'experiment', index: index + 1, total: experiments.length, title: experiment.title });
    const timing = startTiming(experiment.id);
    const outcomes = await io.sweep(experiment.plan(preset, inputs));
    timing.trainingDone();
    const numbers: unknown = await experiment.analyse(outcomes, {
      preset,
      plan: inputs,
      dataset: io.dataset,
      compile: io.compile,
    });
    if (experiment.tuned) inputs = { ...inputs, tuned: { ...inputs.tuned, ...experiment.tuned(numbers) } };
    const figures = experiment.figures(numbers);
    for (const figure of figures) await writeChart(figure.spec, path.join(io.plotsDir, figure.name));
    const csv = experiment.table(numbers);
    await writeCsvAtomic(path.join(io.dir, `${checkName(experiment.id, 'experiment id')}.csv`), columnsOf(csv), csv);
    const body = experiment.section(numbers);
    results.push({
      numbers,
      csv,
      summary: outcomes.map((o) => summaryRow(experiment.id, o)),
      section: {
        id: experiment.id,
        title: experiment.title,
        ...body,
        figures: figures.map((f) => ({ file: `plots/${f.name}`, caption: f.caption })),
        verdicts: experiment.verdicts(numbers),
      },
    });
    const trained = outcomes.filter((o) => !o.resumed).map((o) => o.seconds);
    timings.push(timing.finish(outcomes.length, trained));
  }
  return { results, timings };
}

export async function runStudy(options: StudyOptions): Promise<StudyResult> {
  const base = getPreset(options.preset);
  if (options.seeds !== undefined && (!Number.isInteger(options.seeds) || options.seeds < 1)) {
    throw new UserError(`Invalid seeds value: ${options.seeds} (expected a positive integer)`);
  }
  const preset: StudyPreset = { ...base, seeds: options.seeds ?? base.seeds };
  if (options.finishedOnly && preset.name !== 'atlas') {
    throw new UserError(
      `finishedOnly (--finished-only) reports the atlas preset only, whose experiments can leave out unfinished settings; drop it, or use --preset atlas`,
    );
  }
  const dir = path.join(options.out ?? path.join('out', 'study'), preset.name);
  // One writer per study folder: a second study on it is refused while this one runs.
  const lock = await lockFolder(dir, `inertia study --preset ${preset.name}`);
  try {
    return await runLocked(options, preset, dir);
  } finally {
    await lock.release();
  }
}

async function runLocked(options: StudyOptions, preset: StudyPreset, dir: string): Promise<StudyResult> {
  const started = performance.now();
  const plotsDir = path.join(dir, 'plots');
  makeFolder(path.join(dir, 'runs'));
  makeFolder(plotsDir);
  const mixture = () => commitMixture(path.join(dir, 'runs'), gitCommit(), (c) => changedSince(c, TRAINING_PATHS));
  checkCommitMixture(mixture(), options.allowMixedCommits ?? false, dir);
  const dataset = await loadDataset(preset.dataset, { dataDir: options.dataDir });
  const emit = options.onEvent ?? (() => {});
  const { compile } = options;
  const settings = compile === undefined ? {} : { compile };
  const executor = options.executor ?? new LocalExecutor({ workers: options.workers, dataset, settings });
  const experiments = experimentsFor(preset);
  const total = plannedRuns(preset, experiments, dataset.train.count);
  const runsDir = path.join(dir, 'runs');
  const { sweep: keeping, counts } = countingSweep(runsDir, executor, total, emit, !options.finishedOnly);
  const sweep: Sweep = async (runs) => finishedOutcomes(await keeping(runs));
  let results: ExperimentResult[];
  let timings: ExperimentTiming[];
  try {
    ({ results, timings } = await runExperiments(experiments, preset, planningInputs(preset, dataset.train.count), {
      dir,
      plotsDir,
      dataset,
      compile,
      sweep,
      emit,
    }));
  } finally {
    if (!options.executor) await executor.close();
  }

  const { ordered, verdicts } = orderedAndCorrected(results);
  const summaryFile = path.join(dir, 'summary.csv');
  await writeCsvAtomic(
    summaryFile,
    SUMMARY_COLUMNS,
    ordered.flatMap((r) => r.summary),
  );
  const seconds = (performance.now() - started) / 1000;
  const facts = {
    ...studyFacts({ preset, dataset, dir, counts, executor, seconds }),
    ...partialFact(options, counts, total),
    'commits of the runs': mixtureText(mixture()),
  };
  const cost = {
    timings,
    trimmed: trimmedOf(preset, experiments, dataset.train.count),
  };
  const { report, html } = writeStudyReport(dir, preset, ordered, verdicts, { facts, cost });
  return {
    dir,
    verdicts,
    experiments: Object.fromEntries(results.map((r) => [r.section.id, r])),
    files: { report, html, summary: summaryFile },
    runsTrained: counts.trained,
    runsResumed: counts.resumed,
    seconds,
    timings,
  };
}

/**
 * The results in report order (the numbering, not the order of execution) and the verdicts
 * with Holm's correction over the findings judged together; each section shows the corrected
 * verdicts too.
 */
function orderedAndCorrected(results: readonly ExperimentResult[]): {
  ordered: ExperimentResult[];
  verdicts: Verdict[];
} {
  const ordered = [...results].sort((a, b) => a.section.id.localeCompare(b.section.id));
  const verdicts = holmFindings(ordered.flatMap((r) => r.section.verdicts));
  const corrected = new Map(verdicts.map((v) => [v.id, v]));
  for (const r of ordered) r.section.verdicts = r.section.verdicts.map((v) => corrected.get(v.id) ?? v);
  return { ordered, verdicts };
}

/** What the preset trims relative to the full one; nothing for the full preset, nor for the atlas, which runs other experiments. */
function trimmedOf(preset: StudyPreset, experiments: readonly AnyExperiment[], trainCount: number) {
  return preset.name === 'full' || preset.name === 'atlas'
    ? undefined
    : trimmedRelativeToFull(preset, experiments, trainCount);
}

/** The report's line for a report of finished runs only: how many of the planned runs it has. */
function partialFact(options: StudyOptions, counts: RunCounts, total: number): Record<string, string> {
  if (!options.finishedOnly) return {};
  return { partial: `${counts.done} of ${total} planned runs had finished; nothing was trained (--finished-only)` };
}

/** The "How this was made" table: preset, data, backend, machine, commit, criteria, runs, time. */
function studyFacts(input: {
  preset: StudyPreset;
  dataset: Dataset;
  dir: string;
  counts: RunCounts;
  executor: Executor;
  seconds: number;
}): Record<string, string> {
  const { preset, counts } = input;
  const info = backendInfo();
  return {
    preset: preset.name,
    dataset: datasetFact(input.dataset, preset, input.dir),
    backend: `${info.backend}${info.tensorflowVersion ? ` (TensorFlow ${info.tensorflowVersion})` : ''}, tfjs ${info.tfjsVersions['tfjs-core']}`,
    machine: `${os.cpus().length} cores, ${os.platform()} ${os.arch()}, Node ${process.version}`,
    'git commit': gitCommit() ?? 'unknown',
    'criteria hash': criteriaHash(),
    'decision hash': decisionHashes().hash,
    runs: `${counts.trained + counts.resumed} (${counts.trained} trained now, ${counts.resumed} resumed from earlier); executor: ${input.executor.description}`,
    'wall time': `${input.seconds.toFixed(0)} s (load average at the end: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')} over 1, 5, 15 min)`,
    date: new Date().toISOString(),
  };
}

/** The commands that reproduce the study. */
function reproduceCommands(preset: StudyPreset): string[] {
  const command =
    preset.name === 'default'
      ? 'npm start   # = npx inertia study --preset default'
      : `npx inertia study --preset ${preset.name}`;
  return [
    'npm install',
    ...(preset.dataset === 'fashion-mnist'
      ? ['sh scripts/fetch-fashion-mnist.sh   # the Fashion-MNIST IDX files, verified']
      : []),
    command,
    '# results, in the study folder: report.html, summary.csv, one CSV per experiment, runs/<id>/metrics.csv',
  ];
}

/** Writes report.md and report.html into the study folder; returns their paths. */
function writeStudyReport(
  dir: string,
  preset: StudyPreset,
  ordered: readonly ExperimentResult[],
  verdicts: Verdict[],
  { facts, cost }: { facts: Record<string, string>; cost: ReportInput['cost'] },
): { report: string; html: string } {
  const decision = decisionHashes();
  const recorded = path.join(dir, 'decision.json');
  const lines = decisionLines(decision, [
    { label: 'the previous study in this folder', hashes: readDecisionHashes(recorded) },
    { label: `the published ${preset.name} study`, hashes: readDecisionHashes(publishedDecisionFile(preset.name)) },
  ]);
  writeFileAtomic(recorded, stableJson(decision));
  const markdown = renderMarkdown({
    title: TITLE,
    preset: preset.name,
    intro: intro(preset, verdicts),
    sections: ordered.map((r) => r.section),
    verdicts,
    facts,
    criteria: { list: CRITERIA, hash: criteriaHash(), changes: CRITERIA_CHANGES, decision: lines },
    cost,
    commands: reproduceCommands(preset),
  });
  const report = path.join(dir, 'report.md');
  const html = path.join(dir, 'report.html');
  writeFileAtomic(report, markdown);
  writeFileAtomic(html, renderHtml(markdown, dir, TITLE));
  return { report, html };
}
