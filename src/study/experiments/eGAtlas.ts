/**
 * Experiment G, the atlas: the practitioner's question measured. In every natural setting
 * (atlasSettings.ts) every method (atlasMethods.ts) runs on fresh seeds on the test split:
 * the zero-budget ones at their defaults, the tuned ones at the rate experiment G0 chose on
 * the validation split. Measured: final test accuracy, the step at which each run first
 * reaches 95% of the best tuned method's final accuracy (time to target), the proposal's loss
 * against tuned ema-momentum per setting with its interval, and Dolan-Moré performance profiles.
 */
import { lineChart } from '../../plot/chart.js';
import {
  accuracyProfile,
  closeness,
  countCloseness,
  intervalColumns,
  medianTime,
  performanceProfile,
  shareOutcome,
  timeToTarget,
  type Closeness,
} from '../atlasAnalysis.js';
import {
  ADAM_DEFAULT,
  ATLAS_METHODS,
  DEBIASED,
  PROPOSAL,
  isTunedKind,
  methodId,
  methodSpec,
  type AtlasMethod,
} from '../atlasMethods.js';
import { atlasRun, atlasSettingsOf, runsOfSetting } from '../atlasRuns.js';
import { unfinishedText } from './eG0AtlasTuning.js';
import type { AtlasFactor } from '../atlasSettings.js';
import type { CsvRow } from '../context.js';
import { bounds } from '../criteria.js';
import { defineExperiment, type AnalysisInputs, type PlanInputs } from '../experiment.js';
import { finalSeeds, type StudyPreset } from '../presets.js';
import {
  accuracyInterval,
  atChance,
  divergedCount,
  groupBySetting,
  pairedGain,
  type SettingRuns,
} from '../seedGroups.js';
import { formatInterval, type Interval } from '../../util/intervals.js';
import { series, type RunOutcome, type StudyRun } from '../../exec/runBatch.js';
import { verdict, type Verdict } from '../verdict.js';
import { formatNumber as num, formatPercent as pct } from '../../util/format.js';

export const ID = 'experiment-g-atlas';

/** Factors tau of the time profile, and accuracy gaps d (points) of the accuracy profile. */
export const PROFILE_TAUS = [1, 1.25, 1.5, 2, 3, 4, 6, 8];
export const PROFILE_GAPS = [0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2];

function rateOf(inputs: PlanInputs, setting: string, method: AtlasMethod): number {
  if (method.budget === 'zero') return NaN;
  if (!inputs.tuned.settingRate) throw new Error('Experiment G plans after G0: no tuned rates per setting yet');
  return inputs.tuned.settingRate(setting, method.name);
}

/** Settings whose tuning had finished: every tuned kind has a chosen rate (all of them before any run). */
function tunedSettings(preset: StudyPreset, inputs: PlanInputs) {
  return atlasSettingsOf(preset).filter((setting) =>
    ATLAS_METHODS.every((method) => !Number.isNaN(rateOf(inputs, setting.name, method)) || method.budget === 'zero'),
  );
}

export function plan(preset: StudyPreset, inputs: PlanInputs): StudyRun[] {
  return tunedSettings(preset, inputs).flatMap((setting) =>
    ATLAS_METHODS.flatMap((method) => {
      const rate = rateOf(inputs, setting.name, method);
      return finalSeeds(preset).map((seed) =>
        atlasRun(preset, inputs.trainCount, {
          experiment: ID,
          id: `g-${setting.name}-${methodId(method.name, rate)}-seed${seed}`,
          setting,
          optimizer: methodSpec(method.name, rate),
          seed,
          purpose: 'final',
        }),
      );
    }),
  );
}

export interface MethodResult {
  name: string;
  budget: AtlasMethod['budget'];
  /** The chosen learning rate of a tuned method (NaN for a zero-budget one). */
  rate: number;
  runs: SettingRuns;
  accuracy: Interval;
  diverged: number;
  /** Per seed (the order of runs.seeds): the first evaluated step at or above the target, null for never. */
  times: (number | null)[];
  /** Median over seeds of the time to target, Infinity when most seeds never reach it. */
  medianTime: number;
}

export interface SettingResult {
  name: string;
  label: string;
  factor: AtlasFactor;
  /** `fraction` of the best tuned method's mean final test accuracy. */
  target: number;
  /** Steps of a run in this setting. */
  steps: number;
  methods: MethodResult[];
}

export interface Numbers {
  settings: SettingResult[];
  /** Settings left out because some of their runs (or their tuning) had not finished. */
  unfinished: string[];
  seeds: number;
}

function heldOutSeries(outcome: RunOutcome) {
  const split = outcome.run.config.validation?.evaluate ?? 'test';
  return series(outcome.rows, split, 'accuracy');
}

function settingResult(
  setting: ReturnType<typeof atlasSettingsOf>[number],
  outcomes: readonly RunOutcome[],
  inputs: AnalysisInputs,
): SettingResult {
  const names = atlasSettingsOf(inputs.preset).map((s) => s.name);
  const mine = runsOfSetting(outcomes, 'g', setting.name, names);
  const byMethod = ATLAS_METHODS.map((method) => {
    const rate = rateOf(inputs.plan, setting.name, method);
    const prefix = `g-${setting.name}-${methodId(method.name, rate)}-seed`;
    const runs = mine.filter((o) => o.run.id.startsWith(prefix)).sort((a, b) => a.run.config.seed - b.run.config.seed);
    return { method, rate, runs };
  });
  const groups = byMethod.map(({ runs }) => groupBySetting(runs, () => 'all').get('all'));
  const tunedBest = Math.max(
    ...byMethod.flatMap(({ method }, i) =>
      method.budget === 'tuned' && groups[i] ? [accuracyInterval(groups[i]).estimate] : [],
    ),
  );
  const target = bounds('eG.proposal-reaches-target').fraction * tunedBest;
  const methods = byMethod.flatMap(({ method, rate, runs }, i) => {
    const group = groups[i];
    if (!group) return [];
    const times = runs.map((o) => timeToTarget(heldOutSeries(o), target));
    return [
      {
        name: method.name,
        budget: method.budget,
        rate,
        runs: group,
        accuracy: accuracyInterval(group),
        diverged: divergedCount(group),
        times,
        medianTime: medianTime(times),
      },
    ];
  });
  const steps = Math.max(0, ...mine.map((o) => o.steps));
  return { name: setting.name, label: setting.label, factor: setting.factor, target, steps, methods };
}

export function analyse(outcomes: readonly RunOutcome[], inputs: AnalysisInputs): Numbers {
  const planned = plan(inputs.preset, inputs.plan);
  const all = atlasSettingsOf(inputs.preset);
  const names = all.map((s) => s.name);
  const complete = (name: string) => {
    const count = (runs: readonly { id: string }[]) => runsOfSetting(runs, 'g', name, names).length;
    return count(planned) > 0 && count(outcomes.map((o) => o.run)) === count(planned);
  };
  return {
    settings: all.filter((s) => complete(s.name)).map((setting) => settingResult(setting, outcomes, inputs)),
    unfinished: all.filter((s) => !complete(s.name)).map((s) => s.name),
    seeds: inputs.preset.seeds,
  };
}

function method(s: SettingResult, name: string): MethodResult {
  const found = s.methods.find((m) => m.name === name);
  if (!found) throw new Error(`Setting ${s.name} has no runs of ${name}`);
  return found;
}

export interface Comparison {
  setting: string;
  /** Paired reference minus method (accuracy), 95% t interval. */
  gap: Interval;
  verdict: Closeness;
}

/** `reference` against `other` in every setting, judged at `margin` (see closeness). */
export function compare(n: Numbers, reference: string, other: string, margin: number, chance: number): Comparison[] {
  return n.settings.map((s) => {
    const [r, m] = [method(s, reference), method(s, other)];
    const gap = pairedGain(r.runs, m.runs);
    return {
      setting: s.name,
      gap,
      verdict: closeness(gap, { reference: r.accuracy.estimate, method: m.accuracy.estimate }, margin, chance),
    };
  });
}

/** Two-sided: `other` minus `reference` inside [-margin, margin] is the same, wholly outside is different. */
export function sameOutcome(
  gap: Interval,
  means: { reference: number; method: number },
  margin: number,
  chance: number,
): Closeness {
  const [a, b] = [atChance(means.reference, chance), atChance(means.method, chance)];
  if (a && b) return 'undecided';
  if (a !== b) return 'far';
  if (gap.low >= -margin && gap.high <= margin) return 'close';
  if (gap.low > margin || gap.high < -margin) return 'far';
  return 'undecided';
}

function gapsText(comparisons: readonly Comparison[]): string {
  return comparisons.map((c) => `${c.setting} ${formatInterval(c.gap, pct)}`).join('; ');
}

function countsText(counts: Record<Closeness, number>, words: [string, string]): string {
  return `${counts.close} ${words[0]}, ${counts.far} ${words[1]}, ${counts.undecided} undecided`;
}

/**
 * `other` against tuned `reference` in every setting, at the margin and chance of criterion
 * `id` (see compare), and how many settings came out close, far and undecided.
 */
function judged(n: Numbers, id: string, reference: string, other: string) {
  const b = bounds(id);
  const comparisons = compare(n, reference, other, b.margin, b.chance);
  return { b, comparisons, counts: countCloseness(comparisons.map((c) => c.verdict)) };
}

function proposalNear(n: Numbers): Verdict {
  const { b, comparisons, counts } = judged(n, 'eG.proposal-near-tuned', 'ema-momentum', PROPOSAL);
  return verdict(
    'eG.proposal-near-tuned',
    `of ${n.settings.length} settings: ${countsText(counts, ['close', 'far'])} (needed: ${Math.ceil(b.share * n.settings.length - 1e-9)} close). Tuned ema-momentum minus the proposal: ${gapsText(comparisons)}`,
    shareOutcome(counts.close, counts.far, n.settings.length, b.share),
  );
}

function proposalBreaks(n: Numbers): Verdict {
  const { b, comparisons } = judged(n, 'eG.proposal-breaks', 'ema-momentum', PROPOSAL);
  const far = comparisons.filter((c) => c.verdict === 'far');
  const allClose = comparisons.every((c) => c.verdict === 'close');
  return verdict(
    'eG.proposal-breaks',
    far.length > 0
      ? `breaks in ${far.length} of ${n.settings.length} settings: ${gapsText(far)}`
      : `no setting more than ${num(b.margin * 100)} points behind for certain (${comparisons.filter((c) => c.verdict === 'close').length} of ${n.settings.length} within it)`,
    far.length > 0 ? true : allClose ? false : null,
  );
}

function proposalReaches(n: Numbers): Verdict {
  const b = bounds('eG.proposal-reaches-target');
  const per = n.settings.map((s) => {
    const times = method(s, PROPOSAL).times;
    const reached = times.filter((t) => t !== null).length;
    return { setting: s.name, reached, of: times.length };
  });
  const holds = per.filter((p) => p.of > 0 && p.reached === p.of).length;
  const fails = per.filter((p) => p.reached === 0).length;
  return verdict(
    'eG.proposal-reaches-target',
    `reached by every seed in ${holds} of ${n.settings.length} settings, by none in ${fails}; seeds reaching it: ${per.map((p) => `${p.setting} ${p.reached}/${p.of}`).join(', ')}`,
    shareOutcome(holds, fails, n.settings.length, b.share),
  );
}

/** Per parameter-free method: its closeness to tuned heavy-ball in every setting. */
export function parameterFreeCounts(n: Numbers): { method: string; counts: Record<Closeness, number> }[] {
  return ATLAS_METHODS.filter((m) => m.parameterFree).map((m) => ({
    method: m.name,
    counts: judged(n, 'eG.parameter-free-near-heavy-ball', 'heavy-ball', m.name).counts,
  }));
}

function parameterFree(n: Numbers): Verdict {
  const b = bounds('eG.parameter-free-near-heavy-ball');
  const per = parameterFreeCounts(n).map((p) => ({
    ...p,
    outcome: shareOutcome(p.counts.close, p.counts.far, n.settings.length, b.share),
  }));
  const qualify = per.filter((p) => p.outcome === 'supported');
  const outcome = qualify.length > 0 ? true : per.every((p) => p.outcome === 'not supported') ? false : null;
  return verdict(
    'eG.parameter-free-near-heavy-ball',
    `${qualify.length > 0 ? `qualify: ${qualify.map((p) => p.method).join(', ')}` : 'no method qualifies'}; close/far/undecided of ${n.settings.length} settings: ${per.map((p) => `${p.method} ${p.counts.close}/${p.counts.far}/${p.counts.undecided}`).join(', ')}`,
    outcome,
  );
}

function adamDefault(n: Numbers): Verdict {
  const { b, comparisons, counts } = judged(n, 'eG.adam-default-near-tuned', 'adam', ADAM_DEFAULT);
  return verdict(
    'eG.adam-default-near-tuned',
    `of ${n.settings.length} settings: ${countsText(counts, ['close', 'far'])}. Tuned adam minus adam at 1e-3: ${gapsText(comparisons)}`,
    shareOutcome(counts.close, counts.far, n.settings.length, b.share),
  );
}

function biasCorrection(n: Numbers): Verdict {
  const b = bounds('eG.bias-correction-same');
  const comparisons = n.settings.map((s) => {
    const [proposal, debiased] = [method(s, PROPOSAL), method(s, DEBIASED)];
    const gap = pairedGain(debiased.runs, proposal.runs);
    const means = { reference: proposal.accuracy.estimate, method: debiased.accuracy.estimate };
    return { setting: s.name, gap, verdict: sameOutcome(gap, means, b.margin, b.chance) };
  });
  const counts = countCloseness(comparisons.map((c) => c.verdict));
  return verdict(
    'eG.bias-correction-same',
    `of ${n.settings.length} settings: ${countsText(counts, ['the same', 'different'])}. ema-debiased minus no-lr-momentum: ${gapsText(comparisons)}`,
    shareOutcome(counts.close, counts.far, n.settings.length, b.share),
  );
}

function adadeltaLags(n: Numbers): Verdict {
  const { b, comparisons, counts } = judged(n, 'eG.adadelta-lags', 'heavy-ball', 'adadelta');
  // Here "far" is the claim (lags) and "close" contradicts it (keeps up).
  return verdict(
    'eG.adadelta-lags',
    `of ${n.settings.length} settings: ${counts.far} lag, ${counts.close} keep up, ${counts.undecided} undecided. Tuned heavy-ball minus adadelta: ${gapsText(comparisons)}`,
    shareOutcome(counts.far, counts.close, n.settings.length, b.share),
  );
}

function verdicts(n: Numbers): Verdict[] {
  const partial = unfinishedText(n.unfinished, n.settings.length);
  return [
    proposalNear(n),
    proposalBreaks(n),
    proposalReaches(n),
    parameterFree(n),
    adamDefault(n),
    biasCorrection(n),
    adadeltaLags(n),
  ].map((v) => ({ ...v, measured: `${partial}${v.measured}` }));
}

/** The profiles of every method over the settings: time to target (steps) and final accuracy. */
export function profiles(n: Numbers): { time: Record<string, number[]>; accuracy: Record<string, number[]> } {
  const names = ATLAS_METHODS.map((m) => m.name);
  const time = Object.fromEntries(names.map((m) => [m, n.settings.map((s) => method(s, m).medianTime)]));
  const accuracy = Object.fromEntries(names.map((m) => [m, n.settings.map((s) => method(s, m).accuracy.estimate)]));
  return { time: performanceProfile(time, PROFILE_TAUS), accuracy: accuracyProfile(accuracy, PROFILE_GAPS) };
}

function figures(n: Numbers) {
  if (n.settings.length === 0) return [];
  const p = profiles(n);
  const names = ATLAS_METHODS.map((m) => m.name);
  const budget = (name: string) => (isTunedKind(name) ? 'tuned' : 'zero budget');
  const timePoints = names.flatMap((m) =>
    PROFILE_TAUS.map((tau, i) => ({ tau, fraction: p.time[m][i], method: m, budget: budget(m) })),
  );
  const accuracyPoints = names.flatMap((m) =>
    PROFILE_GAPS.map((d, i) => ({ points: d * 100, fraction: p.accuracy[m][i], method: m, budget: budget(m) })),
  );
  const gapPoints = compare(n, 'ema-momentum', PROPOSAL, 0, bounds('eG.proposal-near-tuned').chance).map((c, i) => ({
    setting: c.setting,
    order: i,
    gap: c.gap.estimate * 100,
    low: c.gap.low * 100,
    high: c.gap.high * 100,
    series: 'tuned ema-momentum minus the proposal',
  }));
  return [
    {
      name: `${ID}-time-profile`,
      caption: `Performance profile (Dolan and Moré) of the time to target over the ${n.settings.length} settings: for each method, the fraction of settings in which its median time to target (over ${n.seeds} final seeds; never = infinitely slow) is within a factor tau of the fastest method's. The target is 95% of the best tuned method's mean final test accuracy in the setting.`,
      spec: lineChart(timePoints, {
        title: 'Time to target: how often each method is within a factor tau of the fastest',
        x: { field: 'tau', title: 'factor tau of the best time (log)', log: true },
        y: { field: 'fraction', title: 'fraction of settings', domain: [0, 1] },
        color: { field: 'method', title: 'method', sort: names },
        strokeDash: { field: 'budget', title: 'budget' },
      }),
    },
    {
      name: `${ID}-accuracy-profile`,
      caption: `Accuracy profile over the ${n.settings.length} settings: for each method, the fraction of settings in which its mean final test accuracy (${n.seeds} final seeds) is within d points of the best method's.`,
      spec: lineChart(accuracyPoints, {
        title: 'Final accuracy: how often each method is within d points of the best',
        x: { field: 'points', title: 'd (points of test accuracy)' },
        y: { field: 'fraction', title: 'fraction of settings', domain: [0, 1] },
        color: { field: 'method', title: 'method', sort: names },
        strokeDash: { field: 'budget', title: 'budget' },
      }),
    },
    {
      name: `${ID}-proposal-gap`,
      caption: `Tuned ema-momentum minus the proposal (no-lr-momentum), test accuracy in points, per setting in the order of the table (paired over ${n.seeds} final seeds; bar: 95% t interval).`,
      spec: lineChart(gapPoints, {
        title: 'What dropping the learning rate costs, setting by setting',
        x: { field: 'order', title: 'setting (numbered as in the table)' },
        y: { field: 'gap', title: 'points of test accuracy' },
        color: { field: 'series', title: '' },
        band: { low: 'low', high: 'high' },
        points: true,
      }),
    },
  ];
}

function table(n: Numbers): CsvRow[] {
  return n.settings.flatMap((s) =>
    s.methods.map((m) => ({
      setting: s.name,
      method: m.name,
      budget: m.budget,
      learning_rate: Number.isNaN(m.rate) ? '' : m.rate,
      seeds: m.runs.seeds.length,
      ...intervalColumns('test_accuracy', m.accuracy),
      diverged: m.diverged,
      target: s.target,
      median_steps_to_target: Number.isFinite(m.medianTime) ? m.medianTime : 'never',
      seeds_reaching_target: m.times.filter((t) => t !== null).length,
      steps: s.steps,
    })),
  );
}

function timeText(m: MethodResult): string {
  return Number.isFinite(m.medianTime) ? String(m.medianTime) : 'never';
}

function section(n: Numbers) {
  const near = bounds('eG.proposal-near-tuned');
  const gaps = compare(n, 'ema-momentum', PROPOSAL, near.margin, near.chance);
  const names = ATLAS_METHODS.map((m) => m.name);
  return {
    text: [
      ...(n.unfinished.length > 0 ? [`**Partial.** ${unfinishedText(n.unfinished, n.settings.length)}`] : []),
      "The practitioner's question: if I drop the learning rate (the question's EMA form at alpha = 1, `no-lr-momentum`), what do I lose, and where does it break? " +
        `Every method runs in every setting on ${n.seeds} fresh seeds (not used by any choice) and is evaluated on the test split; the tuned methods run at the rate experiment G0 chose on the validation split. ` +
        "Time to target: the first evaluated step at which a run reaches 95% of the best tuned method's mean final test accuracy in its setting (evaluations at evenly spaced steps; the resolution is one evaluation interval).",
    ],
    tables: [
      {
        caption: `Per setting: tuned ema-momentum minus the proposal (paired, ${n.seeds} seeds, 95% t interval), judged at ${num(near.margin * 100)} points; the chosen alpha of ema-momentum (validation)`,
        columns: [
          '#',
          'setting',
          'factor',
          'proposal',
          'tuned ema-momentum',
          'loss of the proposal',
          'within 2 points',
          'best alpha',
        ],
        rows: n.settings.map((s, i) => [
          i,
          s.label,
          s.factor,
          formatInterval(method(s, PROPOSAL).accuracy, pct),
          formatInterval(method(s, 'ema-momentum').accuracy, pct),
          formatInterval(gaps[i].gap, pct),
          gaps[i].verdict,
          num(method(s, 'ema-momentum').rate),
        ]),
      },
      {
        caption: `Mean final test accuracy per setting and method (${n.seeds} final seeds; * marks runs that diverged in some seed)`,
        columns: ['setting', ...names],
        rows: n.settings.map((s) => [
          s.name,
          ...names.map((name) => {
            const m = method(s, name);
            return `${pct(m.accuracy.estimate)}${m.diverged > 0 ? '*' : ''}`;
          }),
        ]),
      },
      {
        caption:
          "Median steps to target per setting and method (never: most seeds never reach it); the setting's target accuracy and steps per run",
        columns: ['setting', 'target', 'steps', ...names],
        rows: n.settings.map((s) => [
          s.name,
          pct(s.target),
          s.steps,
          ...names.map((name) => timeText(method(s, name))),
        ]),
      },
    ],
  };
}

// The parts every experiment declares, in the one shape of defineExperiment.
export const atlas = defineExperiment<Numbers>({
  id: ID,
  title: 'G. The atlas: dropping the learning rate across natural settings',
  plan: (preset, inputs) => plan(preset, inputs),
  analyse: (outcomes, inputs) => analyse(outcomes, inputs),
  verdicts,
  figures,
  section,
  table,
});
