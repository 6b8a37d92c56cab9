/**
 * Experiment A: a fair chance for no learning rate. The question's own proposal gets its own
 * knob tuned: (i) no-lr-momentum (v = beta v + (1 - beta) s g; w -= v) over beta and the loss
 * scale s, with the divergence boundary s lambda_max < 2 (1 + beta) / (1 - beta) that heavy-ball
 * theory predicts (lambda_max measured at each seed's initial weights); (ii) heavy-ball without
 * a learning rate (v = mu v + s g; w -= v), whose steady step s g / (1 - mu) lets a large mu
 * stand in for a learning rate when s is small, and only makes things worse when s is large.
 * Runs are judged on the validation split: this experiment chooses beta and mu, and hands the
 * beta chosen at each scale to experiment A1, which runs it again on fresh seeds on the test
 * split. Its verdicts are about the sweep itself (where the best beta sits, which cells diverge);
 * the accuracy a chosen beta reaches is A1's to report.
 */
import { lineChart } from '../../plot/chart.js';
import { BREADTH } from '../breadthPreset.js';
import { runsOf, scaleId, type Setting } from '../breadthRuns.js';
import { bounds } from '../criteria.js';
import { idNumber, type CsvRow } from '../context.js';
import { defineExperiment, type AnalysisInputs, type ChosenValue, type Tuning } from '../experiment.js';
import type { StudyPreset } from '../presets.js';
import { lambdaMaxAtInit } from '../probes.js';
import {
  accuracyInterval,
  atChance,
  bestSetting,
  chooseSetting,
  divergedCount,
  groupBySetting,
  pairedGain,
  type SettingRuns,
} from '../seedGroups.js';
import { median } from '../../util/stats.js';
import {
  allClaimsPValue,
  allOf,
  decideInterval,
  formatInterval,
  type Interval,
  type Outcome,
} from '../../util/intervals.js';
import type { RunOutcome, StudyRun } from '../../exec/runBatch.js';
import { noLearningRateEmaLimit } from '../theory.js';
import { verdict } from '../verdict.js';
import { formatNumber as num, formatPercent as pct } from '../../util/format.js';

export const ID = 'experiment-a-no-lr-fair-chance';

type Form = 'ema' | 'heavy-ball';

/** One cell of the sweep; `prefix` starts its run ids (eA here, eA1 for the runs after the choice). */
export function setting(form: Form, coefficient: number, scale: number, prefix = 'eA'): Setting {
  return form === 'ema'
    ? {
        id: `${prefix}-no-lr-beta${idNumber(coefficient)}-${scaleId(scale)}`,
        optimizer: { kind: 'no-lr-momentum', momentum: coefficient },
        overrides: { lossScale: scale },
      }
    : {
        id: `${prefix}-heavy-ball-lr1-mu${idNumber(coefficient)}-${scaleId(scale)}`,
        optimizer: { kind: 'heavy-ball', learningRate: 1, momentum: coefficient },
        overrides: { lossScale: scale },
      };
}

export function plan(preset: StudyPreset): StudyRun[] {
  const b = BREADTH[preset.name];
  const settings = b.scales.flatMap((s) => [
    ...b.betas.map((beta) => setting('ema', beta, s)),
    ...b.heavyBallMomenta.map((mu) => setting('heavy-ball', mu, s)),
  ]);
  return settings.flatMap((x) => runsOf(preset, ID, x, 'selection'));
}

export interface Cell {
  form: Form;
  coefficient: number;
  scale: number;
  runs: SettingRuns;
  accuracy: Interval;
  diverged: number;
}

export interface Numbers {
  scales: number[];
  betas: number[];
  momenta: number[];
  learnedAccuracy: number;
  /** Steps of a run that did not diverge (the horizon an instability has to show). */
  steps: number;
  /** lambda_max of the unscaled loss at each seed's initial weights, and their median. */
  lambdas: { seed: number; value: number; converged: boolean }[];
  lambdaMax: number;
  cells: Cell[];
}

function cellKey(o: RunOutcome): string {
  const spec = o.run.config.optimizer as { kind: string; momentum: number };
  return `${spec.kind === 'no-lr-momentum' ? 'ema' : 'heavy-ball'}|${spec.momentum}|${o.run.config.lossScale}`;
}

export function cellsOf(outcomes: readonly RunOutcome[]): Cell[] {
  return [...groupBySetting(outcomes, cellKey).values()].map((runs) => {
    const [form, coefficient, scale] = runs.key.split('|');
    return {
      form: form as Form,
      coefficient: Number(coefficient),
      scale: Number(scale),
      runs,
      accuracy: accuracyInterval(runs),
      diverged: divergedCount(runs),
    };
  });
}

export async function analyse(outcomes: readonly RunOutcome[], inputs: AnalysisInputs): Promise<Numbers> {
  const b = BREADTH[inputs.preset.name];
  const firstOfSeed = new Map(outcomes.map((o) => [o.run.config.seed, o.run.config]));
  const lambdas = [...firstOfSeed].map(([seed, config]) => {
    const estimate = lambdaMaxAtInit(inputs.dataset, config, b.probeExamples, inputs.compile);
    return { seed, value: estimate.eigenvalue, converged: estimate.converged };
  });
  return {
    scales: b.scales,
    betas: b.betas,
    momenta: b.heavyBallMomenta,
    learnedAccuracy: inputs.preset.learnedAccuracy,
    steps: Math.max(...outcomes.map((o) => o.steps)),
    lambdas,
    lambdaMax: median(lambdas.map((l) => l.value)),
    cells: cellsOf(outcomes),
  };
}

function cellsAt(n: Numbers, form: Form, scale: number): Cell[] {
  return n.cells.filter((c) => c.form === form && c.scale === scale);
}

function bestCell(cells: readonly Cell[]): Cell {
  const best = bestSetting(cells.map((c) => c.runs));
  return cells.find((c) => c.runs === best)!;
}

function bestAt(n: Numbers, form: Form, scale: number): Cell {
  return bestCell(cellsAt(n, form, scale));
}

function cellOf(n: Numbers, form: Form, coefficient: number, scale: number): Cell {
  return n.cells.find((c) => c.form === form && c.coefficient === coefficient && c.scale === scale)!;
}

const showAccuracy = (i: Interval) => formatInterval(i, pct);

/** The best cell at one scale, with the cells it cannot be told apart from (see chooseSetting). */
export interface CellChoice {
  best: Cell;
  tied: Cell[];
  tie: 'at chance' | 'overlapping' | null;
}

export function choiceAt(n: Numbers, form: Form, scale: number, chanceMargin: number): CellChoice {
  const cells = cellsAt(n, form, scale);
  const choice = chooseSetting(
    cells.map((c) => c.runs),
    chanceMargin,
  );
  const cellOfRuns = (runs: SettingRuns) => cells.find((c) => c.runs === runs)!;
  return { best: cellOfRuns(choice.best), tied: choice.tied.map(cellOfRuns), tie: choice.tie };
}

function describeChoice(choice: CellChoice): string {
  if (choice.tie === null) return String(choice.best.coefficient);
  const tied = choice.tied.map((c) => c.coefficient).join(', ');
  return choice.tie === 'at chance'
    ? `none (every beta at chance: ${tied})`
    : `${choice.best.coefficient} by the mean, tied with ${choice.tied.length - 1} other(s) (paired interval reaching 0: ${tied})`;
}

/** The beta chosen at each loss scale, with its ties and validation accuracy: what experiment A1 runs again. */
export function tuned(n: Numbers): Partial<Tuning> {
  const { chance } = bounds('eA.best-beta-moves');
  return {
    fairChanceBeta: (scale): ChosenValue => {
      const choice = choiceAt(n, 'ema', scale, chance);
      return {
        value: choice.best.coefficient,
        tied: choice.tied.map((c) => c.coefficient).sort((a, b) => a - b),
        tie: choice.tie,
        validation: choice.best.accuracy,
      };
    },
  };
}

/**
 * Decided on the selection numbers: the claim is about the choice itself (which beta wins at
 * each end, and whether it wins by more than noise on the seeds that chose it), not about the
 * accuracy a chosen beta reaches, which experiment A1 measures on fresh seeds.
 */
function bestBetaVerdict(n: Numbers) {
  const [low, high] = [Math.min(...n.scales), Math.max(...n.scales)];
  const { margin, chance } = bounds('eA.best-beta-moves');
  const choiceLow = choiceAt(n, 'ema', low, chance);
  const choiceHigh = choiceAt(n, 'ema', high, chance);
  const [atLow, atHigh] = [choiceLow.best, choiceHigh.best];
  const measured = `validation (selection): best beta at s=${num(low)}: ${describeChoice(choiceLow)}, at s=${num(high)}: ${describeChoice(choiceHigh)}`;
  const shared = choiceLow.tied.filter((c) => choiceHigh.tied.some((d) => d.coefficient === c.coefficient));
  if (shared.length > 0 && (choiceLow.tie !== null || choiceHigh.tie !== null)) {
    return verdict(
      'eA.best-beta-moves',
      `${measured}: beta ${shared.map((c) => c.coefficient).join(', ')} is among the best at both scales, so a tie decides nothing`,
      'inconclusive',
    );
  }
  if (atLow.coefficient === atHigh.coefficient) return verdict('eA.best-beta-moves', `${measured} (the same)`, false);
  const gainLow = pairedGain(atLow.runs, cellOf(n, 'ema', atHigh.coefficient, low).runs);
  const gainHigh = pairedGain(atHigh.runs, cellOf(n, 'ema', atLow.coefficient, high).runs);
  return verdict(
    'eA.best-beta-moves',
    `${measured}; paired gain of each over the other at its own scale: ${formatInterval(gainLow, pct)} and ${formatInterval(gainHigh, pct)}`,
    allOf([decideInterval(gainLow, 'above', margin), decideInterval(gainHigh, 'above', margin)]),
    allClaimsPValue([
      { interval: gainLow, side: 'above', bound: margin },
      { interval: gainHigh, side: 'above', bound: margin },
    ]),
  );
}

/** A cell far from the predicted boundary, with the prediction and what the runs did. */
export interface BoundaryCheck {
  beta: number;
  scale: number;
  /** s * lambda_max / (2 (1 + beta) / (1 - beta)): below 1 predicted stable. */
  ratio: number;
  predictedStable: boolean;
  diverged: number;
  /** Seeds that ended at chance (counted as failing to learn). */
  atChance: number;
  seeds: number;
  agrees: boolean;
}

export function boundaryChecks(n: Numbers): BoundaryCheck[] {
  const { factor, chance } = bounds('eA.divergence-boundary');
  return n.cells
    .filter((c) => c.form === 'ema')
    .map((c) => {
      const ratio = (c.scale * n.lambdaMax) / noLearningRateEmaLimit(c.coefficient);
      const predictedStable = ratio < 1;
      const seeds = c.runs.seeds.length;
      const stalled = c.runs.accuracies.filter((a) => atChance(a, chance)).length;
      // A stable cell is one that learns: a run that ends at chance has not shown stability.
      const agrees = predictedStable ? c.diverged === 0 && stalled === 0 : c.diverged === seeds;
      return {
        beta: c.coefficient,
        scale: c.scale,
        ratio,
        predictedStable,
        diverged: c.diverged,
        atChance: stalled,
        seeds,
        agrees,
      };
    })
    .filter((check) => {
      const far = check.ratio <= 1 / factor || check.ratio >= factor;
      const longEnough = check.predictedStable || n.steps >= 1 / (1 - check.beta);
      return far && longEnough;
    });
}

/**
 * Decided on the selection runs: every cell of the sweep is judged against the prediction, none
 * is chosen, so no choice's optimism enters its numbers.
 */
function boundaryVerdict(n: Numbers) {
  const checks = boundaryChecks(n);
  const disagreeing = checks.filter((c) => !c.agrees);
  const list = checks
    .map(
      (c) =>
        `beta ${c.beta}, s=${num(c.scale)}: ratio ${num(c.ratio, 2)}, diverged ${c.diverged}/${c.seeds}` +
        `${c.atChance > 0 ? `, at chance ${c.atChance}/${c.seeds}` : ''}${c.agrees ? '' : ' (disagrees)'}`,
    )
    .join('; ');
  const outcome: Outcome =
    checks.length < bounds('eA.divergence-boundary').minCells
      ? 'inconclusive'
      : disagreeing.length === 0
        ? 'supported'
        : 'not supported';
  return verdict(
    'eA.divergence-boundary',
    `lambda_max(w0) median ${num(n.lambdaMax)} over ${n.lambdas.length} seeds; ${checks.length} cells far from the boundary: ${list || 'none'}`,
    outcome,
  );
}

/**
 * Decided on the selection runs: a check whose outcome the identity heavy-ball(1, mu) at scale s
 * = ema-momentum(s / (1 - mu), mu) fixes, about the sweep of mu (a mu > 0 that helps at the
 * smallest s; none that learns at the largest, where taking the best can only favour learning).
 * No mu is chosen for later runs, so nothing is confirmed on fresh seeds.
 */
function heavyBallVerdict(n: Numbers) {
  const [low, high] = [Math.min(...n.scales), Math.max(...n.scales)];
  const bestLow = bestCell(cellsAt(n, 'heavy-ball', low).filter((c) => c.coefficient > 0));
  const gain = pairedGain(bestLow.runs, cellOf(n, 'heavy-ball', 0, low).runs);
  const bestHigh = bestAt(n, 'heavy-ball', high);
  return verdict(
    'eA.heavy-ball-partial',
    `validation (selection): s=${num(low)}: mu=${bestLow.coefficient} gains ${formatInterval(gain, pct)} over mu=0; s=${num(high)}: best mu=${bestHigh.coefficient} reaches ${showAccuracy(bestHigh.accuracy)}`,
    allOf([
      decideInterval(gain, 'above', bounds('eA.heavy-ball-partial').margin),
      decideInterval(bestHigh.accuracy, 'below', n.learnedAccuracy),
    ]),
  );
}

/** Whether a chosen beta rescues the largest scale (eA.rescue-large-scale) is judged by A1, on fresh seeds. */
export function verdicts(n: Numbers) {
  return [bestBetaVerdict(n), boundaryVerdict(n), heavyBallVerdict(n)];
}

function figures(n: Numbers) {
  // Legend in numeric order: the form, then the coefficient (as text "0.9999" would sort before "0.99").
  const ordered = [...n.cells].sort((a, b) => a.form.localeCompare(b.form) || a.coefficient - b.coefficient);
  const label = (c: Cell) =>
    c.form === 'ema' ? `no-lr EMA, beta = ${c.coefficient}` : `heavy-ball, alpha = 1, mu = ${c.coefficient}`;
  const points = ordered.map((c) => ({
    log2s: Math.log2(c.scale),
    accuracy: c.accuracy.estimate,
    low: c.accuracy.low,
    high: c.accuracy.high,
    setting: label(c),
    form:
      c.form === 'ema'
        ? 'no-lr EMA (w -= v, v = beta v + (1 - beta) s g)'
        : 'heavy-ball, alpha = 1 (w -= v, v = mu v + s g)',
  }));
  return [
    {
      name: `${ID}-accuracy`,
      caption: `Validation (selection) accuracy (mean over ${n.cells[0]?.runs.seeds.length ?? 0} seeds, band: 95% logit-t interval) against the loss scale, per beta (EMA form) and mu (heavy-ball form without a learning rate); both panels share the accuracy axis. A diverged run keeps the accuracy of its last weights (see the tables). Not drawn: the predicted divergence of the EMA form above s = 2 (1 + beta) / ((1 - beta) lambda_max), lambda_max(w0) = ${num(n.lambdaMax)}: ${n.betas.map((b) => `beta ${b}: s > ${num(noLearningRateEmaLimit(b) / n.lambdaMax)}`).join(', ')}.`,
      spec: lineChart(points, {
        title: 'Without a learning rate: accuracy against the loss scale',
        x: { field: 'log2s', title: 'log2 of the loss scale s' },
        y: { field: 'accuracy', title: 'validation (selection) accuracy' },
        color: { field: 'setting', title: '', sort: [...new Set(ordered.map(label))] },
        band: { low: 'low', high: 'high' },
        facet: { field: 'form', title: '', columns: 2, sharedY: true },
        width: 320,
      }),
    },
  ];
}

function table(n: Numbers): CsvRow[] {
  return n.cells.map((c) => ({
    form: c.form === 'ema' ? 'no-lr-momentum' : 'heavy-ball-lr1',
    coefficient: c.coefficient,
    loss_scale: c.scale,
    seeds: c.runs.seeds.length,
    validation_accuracy_mean: c.accuracy.estimate,
    validation_accuracy_low: c.accuracy.low,
    validation_accuracy_high: c.accuracy.high,
    diverged: c.diverged,
    predicted_stable: c.form === 'ema' ? c.scale * n.lambdaMax < noLearningRateEmaLimit(c.coefficient) : '',
  }));
}

function sectionTable(n: Numbers, form: Form, coefficients: number[], name: string) {
  return {
    caption: `${name}: validation (selection) accuracy, mean [95% logit-t interval] (n seeds), diverged runs in brackets`,
    columns: ['loss scale s', ...coefficients.map((c) => `${form === 'ema' ? 'beta' : 'mu'} = ${c}`)],
    rows: n.scales.map((s) => [
      num(s),
      ...coefficients.map((c) => {
        const cell = cellOf(n, form, c, s);
        return `${showAccuracy(cell.accuracy)}${cell.diverged ? ` (${cell.diverged} diverged)` : ''}`;
      }),
    ]),
  };
}

/** The best beta at every loss scale, for the reader: the verdict itself compares the two extreme scales. */
function bestBetaPerScale(n: Numbers): string {
  const { chance } = bounds('eA.best-beta-moves');
  const parts = n.scales.map((scale) => {
    const choice = choiceAt(n, 'ema', scale, chance);
    if (choice.tie !== null) return `s=${num(scale)}: ${describeChoice(choice)}`;
    const best = choice.best;
    const below = best.accuracy.estimate < n.learnedAccuracy ? `, below the learned ${pct(n.learnedAccuracy)}` : '';
    return `s=${num(scale)}: ${best.coefficient} (${pct(best.accuracy.estimate)}${below})`;
  });
  return (
    `Best beta per loss scale, by mean accuracy on the validation split (selection): ${parts.join('; ')}. ` +
    'The verdict on whether it moves compares the smallest and the largest scale only, as its criterion was written before the runs. ' +
    'These validation numbers made the choice; the accuracy each chosen beta reaches on fresh seeds on the test split is in A1.'
  );
}

function section(n: Numbers) {
  const moves = bestBetaVerdict(n).outcome === 'supported';
  return {
    text: [
      "The question's proposal is no-lr-momentum, and its one knob is beta. Here beta gets a sweep at every loss scale s, judged on the validation split (selection: these runs choose beta, and A1 runs each choice again on fresh seeds on the test split). " +
        'Without alpha, the EMA form is heavy-ball with learning rate 1 - beta on u = v / (1 - beta), so on a quadratic it is stable only while s lambda_max < 2 (1 + beta) / (1 - beta). ' +
        `lambda_max of the unscaled loss at the initial weights (power iteration on Hessian-vector products, fixed batch of training examples) is ${num(n.lambdaMax)} (median over seeds).`,
      moves
        ? 'The best beta moves with s: beta is being used as a learning rate in disguise. (In theory it can only act through stability and the EMA warm-up, since the steady step s g does not depend on beta.)'
        : 'The data do not show the best beta moving with s in the way a learning rate would: see the verdicts below.',
      bestBetaPerScale(n),
      'In the heavy-ball form without alpha (v = mu v + s g; w -= v) the steady step is s g / (1 - mu), so mu multiplies the step: at small s a large mu can supply the missing factor, at large s every mu only enlarges a step that is already too big.',
    ],
    tables: [
      sectionTable(n, 'ema', n.betas, 'no-lr-momentum (EMA form)'),
      sectionTable(n, 'heavy-ball', n.momenta, 'heavy-ball with alpha = 1'),
    ],
  };
}

// The parts every experiment declares, in the one shape of defineExperiment.
export const fairChance = defineExperiment<Numbers>({
  id: ID,
  title: 'A. A fair chance for no learning rate',
  plan: (preset) => plan(preset),
  analyse,
  verdicts,
  figures,
  section,
  table,
  tuned,
});
