/**
 * The one shape every experiment of the study has. An experiment plans its runs from the
 * preset, turns the finished runs into numbers (analyse), and derives everything else from
 * those numbers alone: verdicts, figures, the report section and its CSV. So the numbers can
 * be checked in unit tests on synthetic outcomes, and the report never says more than they do.
 */
import type { Dataset } from '../data/index.js';
import type { CompileMode } from '../graph/compileMode.js';
import type { VegaLiteSpec } from '../plot/chart.js';
import type { CsvRow, Table } from './context.js';
import type { StudyPreset } from './presets.js';
import type { RunOutcome, StudyRun } from '../exec/runBatch.js';
import type { Verdict } from './verdict.js';
import type { Interval } from '../util/intervals.js';

/**
 * What a plan may depend on besides the preset. Run counts never depend on these values, so
 * the planned total can be computed before any run (see {@link planningInputs}).
 */
export interface PlanInputs {
  /** Training examples the runs see (after limits and any validation split). */
  trainCount: number;
  /** What an earlier experiment chose or measured on the validation split. */
  tuned: Tuning;
}

/** Chosen on the validation split only: the test split never reaches the code that makes these. */
export interface Tuning {
  /** The best learning rate of an optimizer kind at a momentum. */
  learningRate(kind: string, momentum: number): number;
  /**
   * Largest relative disagreement in held-out loss between runs that are identical in exact
   * arithmetic (heavy-ball(alpha, mu) vs ema-momentum(alpha / (1 - mu), mu)): the float32
   * noise floor for every "same curve" comparison.
   */
  noiseFloor: number;
  /**
   * The learning rate of a tuned kind chosen in one setting of the atlas (experiment G1, by
   * setting name and kind); absent before the atlas is tuned.
   */
  settingRate?(setting: string, kind: string): number;
  /** The beta of no-lr-momentum chosen at a loss scale (experiment A); absent before A. */
  fairChanceBeta?(scale: number): ChosenValue;
  /** The alpha of ema-momentum chosen in a natural setting, by its name (experiment E); absent before E. */
  naturalRate?(setting: string): ChosenValue;
}

/**
 * One value chosen on the validation split (a beta, an alpha), handed to the experiment that
 * runs it again on fresh seeds on the test split. Only `value` decides what runs; the rest
 * reports how the choice was made.
 */
export interface ChosenValue {
  /** The value with the highest mean validation accuracy: what runs after the choice. */
  value: number;
  /** The value and every value it cannot be told apart from (see chooseSetting), ascending. */
  tied: number[];
  /** Why there was no single winner ('at chance', 'overlapping'), or null. */
  tie: 'at chance' | 'overlapping' | null;
  /** Validation accuracy of the chosen value's selection runs: the numbers that made the choice. */
  validation: Interval;
}

/** What analyse() may use besides the outcomes (no run folders, no test set access beyond outcomes). */
export interface AnalysisInputs {
  preset: StudyPreset;
  plan: PlanInputs;
  /** The study's dataset, for measurements that are not training runs (curvature, line searches). */
  dataset: Dataset;
  /** Compiled computations of those measurements (the probes' `mode`; absent: $INERTIA_COMPILE, else auto). */
  compile?: CompileMode;
}

export interface FigureSpec {
  /** File name under plots/, without extension (.svg and .png are written). */
  name: string;
  caption: string;
  spec: VegaLiteSpec;
}

export interface SectionBody {
  /** Markdown paragraphs, in order, before the figures and tables. */
  text: string[];
  tables: Table[];
}

export interface Experiment<Numbers = unknown> {
  /** Stable id: file names, CSV names and verdict ids derive from it. */
  id: string;
  title: string;
  plan(preset: StudyPreset, inputs: PlanInputs): StudyRun[];
  /** Everything measured, from the outcomes of plan() in the same order (may run extra computations). */
  analyse(outcomes: readonly RunOutcome[], inputs: AnalysisInputs): Numbers | Promise<Numbers>;
  verdicts(numbers: Numbers): Verdict[];
  figures(numbers: Numbers): FigureSpec[];
  section(numbers: Numbers): SectionBody;
  /** Rows of `<id>.csv`. */
  table(numbers: Numbers): CsvRow[];
  /** What this experiment chose on the validation split, for the experiments after it (merged into what earlier ones chose). */
  tuned?(numbers: Numbers): Partial<Tuning>;
}

/** An experiment of any numbers type, as the registry holds it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyExperiment = Experiment<any>;

/** An experiment's parts as its module declares them: `figures` may be left out by one that draws none. */
export type ExperimentParts<Numbers> = Omit<Experiment<Numbers>, 'figures'> &
  Partial<Pick<Experiment<Numbers>, 'figures'>>;

/**
 * Declares an experiment with its numbers type checked across its functions. Every module in
 * experiments/ ends with the same call listing its parts (plan, analyse, verdicts, figures,
 * section, table), so each experiment reads the same way; one without figures leaves them out.
 */
export function defineExperiment<Numbers>(parts: ExperimentParts<Numbers>): Experiment<Numbers> {
  return { figures: () => [], ...parts };
}

const NO_INTERVAL: Interval = { estimate: NaN, low: NaN, high: NaN, n: 0, method: 'logit-t' };

/** A stand-in choice of `value`, made on no runs. */
function standIn(value: number): ChosenValue {
  return { value, tied: [value], tie: null, validation: NO_INTERVAL };
}

/** Stand-in for counting runs before any tuning exists: run counts never depend on its values. */
export const UNTUNED: Tuning = {
  learningRate: () => 1,
  noiseFloor: NaN,
  settingRate: () => 1,
  fairChanceBeta: () => standIn(0.9),
  naturalRate: () => standIn(1),
};

export function planningInputs(preset: StudyPreset, trainCount: number): PlanInputs {
  return { trainCount: Math.min(trainCount, preset.trainLimit ?? Infinity), tuned: UNTUNED };
}
