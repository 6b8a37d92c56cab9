/**
 * Experiment 3: learning rate x momentum grid for heavy-ball and ema-momentum, every cell
 * over several seeds, trained on the training data minus the validation split and judged on
 * the validation split only (the test split is never loaded by these runs). Heavy-ball's
 * steady-state step is alpha / (1 - mu), so its best alpha should move like (1 - mu); the EMA
 * form's step is alpha itself, so its best alpha should stay put. The slopes get bootstrap
 * intervals over seeds. The grid also holds pairs heavy-ball(alpha, mu) / ema-momentum(alpha /
 * (1 - mu), mu), identical in exact arithmetic: their float32 disagreement is the noise floor
 * of every "same curve" comparison. The best alpha per optimizer and momentum and the noise
 * floor are handed on to the experiments after this one.
 */
import type { VegaLiteSpec } from '../../plot/chart.js';
import { schemeColour, textColourOn } from '../../plot/palette.js';
import { bounds } from '../criteria.js';
import { idNumber, selectionConfig, type CsvRow } from '../context.js';
import { defineExperiment, type Tuning } from '../experiment.js';
import { selectionSeeds, type StudyPreset } from '../presets.js';
import { series, type RunOutcome, type StudyRun } from '../../exec/runBatch.js';
import {
  allClaimsPValue,
  decideWithin,
  formatInterval,
  fractionInterval,
  type Interval,
  intervalCell,
  maxRelativeDifference,
  tInterval,
  withinClaims,
} from '../../util/intervals.js';
import { mean, slope } from '../../util/stats.js';
import { controlVerdict, verdict } from '../verdict.js';
import { formatNumber as num, formatPercent as pct } from '../../util/format.js';

export const ID = 'experiment-3-learning-rate-momentum-grid';
export const GRID_OPTIMIZERS = ['heavy-ball', 'ema-momentum'] as const;
type GridOptimizer = (typeof GRID_OPTIMIZERS)[number];

function gridRun(
  preset: StudyPreset,
  optimizer: GridOptimizer,
  learningRate: number,
  momentum: number,
  seed: number,
): StudyRun {
  return {
    id: `e3-${optimizer}-lr${idNumber(learningRate)}-mu${idNumber(momentum)}-seed${seed}`,
    experiment: ID,
    config: selectionConfig(preset, { kind: optimizer, learningRate, momentum }, { seed, normEvery: 0 }),
  };
}

export function plan(preset: StudyPreset): StudyRun[] {
  return GRID_OPTIMIZERS.flatMap((optimizer) =>
    preset.gridMomenta.flatMap((momentum) =>
      preset.gridLearningRates.flatMap((lr) =>
        selectionSeeds(preset).map((seed) => gridRun(preset, optimizer, lr, momentum, seed)),
      ),
    ),
  );
}

/**
 * The best learning rate of one row of the grid, between grid points: a parabola through
 * log(loss) at the best cell and its two neighbours, in log10(alpha) (the usual
 * refinement of a learning-rate sweep). Grid points a half-decade apart would otherwise make
 * near-ties flip the answer by a whole step. Falls back to the best cell at the edges.
 */
export function interpolatedBest(learningRates: readonly number[], losses: readonly number[]): number {
  const x = learningRates.map(Math.log10);
  const y = losses.map((loss) => (Number.isFinite(loss) && loss > 0 ? Math.log(loss) : Infinity));
  const i = y.indexOf(Math.min(...y));
  if (i <= 0 || i >= y.length - 1 || !Number.isFinite(y[i - 1]) || !Number.isFinite(y[i + 1])) return learningRates[i];
  const curvature = y[i - 1] - 2 * y[i] + y[i + 1];
  if (!(curvature > 0)) return learningRates[i];
  const h = (x[i + 1] - x[i - 1]) / 2;
  const vertex = x[i] - (h / 2) * ((y[i + 1] - y[i - 1]) / curvature);
  return 10 ** Math.min(x[i + 1], Math.max(x[i - 1], vertex));
}

/** One grid run as selection sees it: validation metrics only (a cell has no test fields at all). */
export interface Cell {
  optimizer: GridOptimizer;
  learningRate: number;
  momentum: number;
  seed: number;
  validationLoss: number;
  validationAccuracy: number;
  /** Validation loss after each epoch (epoch 0 = untrained). */
  validationCurve: number[];
  diverged: boolean;
  steps: number;
}

/** The selection view of a grid run: reads the validation split's rows and nothing else. */
export function toCell(o: RunOutcome): Cell {
  const spec = o.run.config.optimizer as { kind: GridOptimizer; learningRate: number; momentum: number };
  return {
    optimizer: spec.kind,
    learningRate: spec.learningRate,
    momentum: spec.momentum,
    seed: o.run.config.seed,
    validationLoss: o.finalValidationLoss,
    validationAccuracy: o.finalValidationAccuracy,
    validationCurve: series(o.rows, 'validation', 'loss').map((row) => row.value),
    diverged: o.status === 'diverged',
    steps: o.steps,
  };
}

/** Validation loss, with diverged or non-finite runs ranked last. */
function score(cell: Cell): number {
  return cell.diverged || !Number.isFinite(cell.validationLoss) ? Infinity : cell.validationLoss;
}

/** One setting (optimizer, alpha, mu) over its seeds. */
export interface Setting {
  optimizer: GridOptimizer;
  learningRate: number;
  momentum: number;
  /** Mean validation loss over the seeds; Infinity when any seed diverged. */
  meanLoss: number;
  loss: Interval;
  accuracy: Interval;
  divergedSeeds: number;
}

export interface Movement {
  optimizer: GridOptimizer;
  /** Interpolated best alpha per momentum, from the mean over seeds. */
  bests: number[];
  slope: number;
  /** Bootstrap over seeds (the grid rows of one seed stay together). */
  slopeInterval: Interval;
}

export interface NoiseFloor {
  /** Largest relative difference of per-epoch validation loss over all non-diverged pairs. */
  value: number;
  pairs: number;
  worst: { learningRate: number; momentum: number; seed: number } | null;
  /** Largest difference among pairs at settings where some seed diverged (not part of the floor). */
  edge: number;
}

export interface Numbers {
  learningRates: number[];
  momenta: number[];
  seeds: number[];
  epochs: number;
  cells: Cell[];
  settings: Setting[];
  movement: Movement[];
  noiseFloor: NoiseFloor;
}

function settingKey(c: Pick<Cell, 'optimizer' | 'learningRate' | 'momentum'>): string {
  return `${c.optimizer}|${c.learningRate}|${c.momentum}`;
}

export function settingsOf(cells: readonly Cell[]): Setting[] {
  const groups = new Map<string, Cell[]>();
  for (const c of cells) groups.set(settingKey(c), [...(groups.get(settingKey(c)) ?? []), c]);
  return [...groups.values()].map((group) => {
    const finite = group.filter((c) => Number.isFinite(score(c)));
    return {
      optimizer: group[0].optimizer,
      learningRate: group[0].learningRate,
      momentum: group[0].momentum,
      meanLoss: mean(group.map(score)),
      loss: tInterval(finite.map((c) => c.validationLoss)),
      accuracy: fractionInterval(finite.map((c) => c.validationAccuracy)),
      divergedSeeds: group.length - finite.length,
    };
  });
}

/** Interpolated best alpha per momentum from the mean validation loss of `cells`, and the slope on log10(1 - mu). */
function bestsAndSlope(cells: readonly Cell[], optimizer: GridOptimizer, momenta: readonly number[]) {
  const settings = settingsOf(cells.filter((c) => c.optimizer === optimizer));
  const bests = momenta.map((mu) => {
    const row = settings.filter((s) => s.momentum === mu).sort((a, b) => a.learningRate - b.learningRate);
    return interpolatedBest(
      row.map((s) => s.learningRate),
      row.map((s) => s.meanLoss),
    );
  });
  const fit = slope(
    momenta.map((mu) => Math.log10(1 - mu)),
    bests.map(Math.log10),
  );
  return { bests, slope: fit };
}

function movementOf(cells: readonly Cell[], optimizer: GridOptimizer, momenta: readonly number[]): Movement {
  const bySeed = new Map<number, Cell[]>();
  for (const c of cells) bySeed.set(c.seed, [...(bySeed.get(c.seed) ?? []), c]);
  const { bests, slope: fit } = bestsAndSlope(cells, optimizer, momenta);
  // One slope per seed (its own best alphas), with a t interval: a bootstrap over a handful of
  // seeds has few distinct resamples (126 for 5) and puts the estimate at its edge.
  const perSeed = [...bySeed.values()].map((own) => bestsAndSlope(own, optimizer, momenta).slope);
  return { optimizer, bests, slope: fit, slopeInterval: tInterval(perSeed) };
}

/** The ema-momentum(alpha / (1 - mu), mu) run of the same seed as a heavy-ball(alpha, mu) run. */
function pairOf(cells: readonly Cell[], heavy: Cell): Cell | undefined {
  const target = heavy.learningRate / (1 - heavy.momentum);
  return cells.find(
    (c) =>
      c.optimizer === 'ema-momentum' &&
      c.momentum === heavy.momentum &&
      c.seed === heavy.seed &&
      !c.diverged &&
      Math.abs(c.learningRate / target - 1) < 1e-6,
  );
}

/**
 * The float32 disagreement of heavy-ball(alpha, mu) and ema-momentum(alpha / (1 - mu), mu),
 * same seed, mu > 0, over settings where no seed of either side diverged. At the edge of
 * stability rounding differences grow chaotically, so those pairs are reported apart.
 */
export function noiseFloorOf(cells: readonly Cell[]): NoiseFloor {
  const unstable = new Set(cells.filter((c) => c.diverged).map(settingKey));
  let value = 0;
  let pairs = 0;
  let edge = 0;
  let worst: NoiseFloor['worst'] = null;
  for (const heavy of cells.filter((c) => c.optimizer === 'heavy-ball' && c.momentum > 0 && !c.diverged)) {
    const ema = pairOf(cells, heavy);
    if (!ema) continue;
    const difference = maxRelativeDifference(ema.validationCurve, heavy.validationCurve);
    if (unstable.has(settingKey(heavy)) || unstable.has(settingKey(ema))) {
      edge = Math.max(edge, difference);
      continue;
    }
    pairs += 1;
    if (difference >= value) {
      value = difference;
      worst = { learningRate: heavy.learningRate, momentum: heavy.momentum, seed: heavy.seed };
    }
  }
  return { value: pairs > 0 ? value : NaN, pairs, worst, edge };
}

export function analyseCells(cells: Cell[], preset: StudyPreset): Numbers {
  return {
    learningRates: preset.gridLearningRates,
    momenta: preset.gridMomenta,
    seeds: selectionSeeds(preset),
    epochs: preset.epochs,
    cells,
    settings: settingsOf(cells),
    movement: GRID_OPTIMIZERS.map((optimizer) => movementOf(cells, optimizer, preset.gridMomenta)),
    noiseFloor: noiseFloorOf(cells),
  };
}

/** The best setting of one row: lowest mean validation loss over the seeds (a grid point). */
function bestSetting(n: Numbers, optimizer: GridOptimizer, momentum: number): Setting | undefined {
  const row = n.settings.filter((s) => s.optimizer === optimizer && s.momentum === momentum);
  return row.length === 0 ? undefined : row.reduce((a, b) => (b.meanLoss < a.meanLoss ? b : a));
}

/** sgd is heavy-ball with mu = 0. */
export function tuned(n: Numbers): Tuning {
  return {
    learningRate: (kind, momentum) => {
      const optimizer = kind === 'sgd' ? 'heavy-ball' : (kind as GridOptimizer);
      const best = bestSetting(n, optimizer, kind === 'sgd' ? 0 : momentum);
      if (!best) throw new Error(`The grid has no ${kind} row at momentum ${momentum} to tune from`);
      return best.learningRate;
    },
    noiseFloor: n.noiseFloor.value,
  };
}

function describeSlope(n: Numbers, m: Movement): string {
  const perMu = n.momenta.map((mu, i) => `${mu}: ${num(m.bests[i])}`).join(', ');
  return `slope ${formatInterval(m.slopeInterval, (x) => num(x))} over seeds; best alpha per mu ${perMu}`;
}

export function verdicts(n: Numbers) {
  const [heavy, ema] = n.movement;
  const hb = bounds('e3.heavy-ball-slope');
  const flat = bounds('e3.ema-flat').bound;
  return [
    verdict(
      'e3.heavy-ball-slope',
      describeSlope(n, heavy),
      decideWithin(heavy.slopeInterval, hb.low, hb.high),
      allClaimsPValue(withinClaims(heavy.slopeInterval, hb.low, hb.high)),
    ),
    controlVerdict(
      'e3.heavy-ball-slope',
      'ema-momentum, whose step is alpha: its best alpha must not move like (1 - beta)',
      describeSlope(n, ema),
      decideWithin(ema.slopeInterval, hb.low, hb.high),
    ),
    verdict(
      'e3.ema-flat',
      describeSlope(n, ema),
      decideWithin(ema.slopeInterval, -flat, flat),
      allClaimsPValue(withinClaims(ema.slopeInterval, -flat, flat)),
    ),
  ];
}

/**
 * Each cell's text colour: black or white by the luminance of its fill, the reversed viridis
 * colour of its loss on the log scale between the smallest and largest loss drawn (grey if it diverged).
 */
export function withTextColours(values: readonly CsvRow[]): CsvRow[] {
  const logs = values.filter((row) => !row.diverged).map((row) => Math.log(Number(row.validation_loss)));
  const [low, high] = [Math.min(...logs), Math.max(...logs)];
  return values.map((row) => {
    const t = high > low ? (Math.log(Number(row.validation_loss)) - low) / (high - low) : 0;
    const fill = row.diverged ? DIVERGED_GREY : schemeColour('viridis', 1 - t);
    return { ...row, text_colour: textColourOn(fill) };
  });
}

function heatmap(values: CsvRow[]): VegaLiteSpec {
  return {
    title: 'Mean validation loss over learning rate x momentum (grey: a seed diverged)',
    data: { values: withTextColours(values) },
    facet: { field: 'optimizer', type: 'nominal', title: null },
    columns: 2,
    spec: {
      width: 360,
      height: 160,
      encoding: {
        x: { field: 'learning_rate', type: 'ordinal', title: 'learning rate alpha', sort: 'ascending' },
        y: { field: 'momentum', type: 'ordinal', title: 'momentum mu / beta', sort: 'descending' },
      },
      layer: [
        {
          transform: [{ filter: '!datum.diverged' }],
          mark: 'rect',
          encoding: {
            color: {
              field: 'validation_loss',
              type: 'quantitative',
              scale: { type: 'log', scheme: 'viridis', reverse: true },
              title: 'validation loss',
            },
          },
        },
        { transform: [{ filter: 'datum.diverged' }], mark: { type: 'rect', color: DIVERGED_GREY } },
        {
          mark: { type: 'text', fontSize: 9 },
          encoding: {
            text: { field: 'label', type: 'nominal' },
            color: { condition: { test: "datum.text_colour === 'white'", value: 'white' }, value: 'black' },
          },
        },
      ],
    },
  } as unknown as VegaLiteSpec;
}

/** Fill of the diverged cells in the heatmap. */
export const DIVERGED_GREY = '#bbbbbb';

function settingRows(n: Numbers): CsvRow[] {
  return n.settings.map((s) => ({
    optimizer: s.optimizer,
    learning_rate: s.learningRate,
    momentum: s.momentum,
    validation_loss: s.divergedSeeds > 0 ? 0 : s.loss.estimate,
    diverged: s.divergedSeeds > 0,
    label: s.divergedSeeds > 0 ? 'div' : `${(100 * s.accuracy.estimate).toFixed(0)}`,
  }));
}

export function figures(n: Numbers) {
  const bests = n.movement.flatMap((m) =>
    m.bests.map((lr, i) => ({ optimizer: m.optimizer, one_minus_mu: 1 - n.momenta[i], best_learning_rate: lr })),
  );
  return [
    {
      name: `${ID}-heatmap`,
      caption: `Mean validation loss over ${n.seeds.length} seeds (colour) and validation accuracy in % (text) per setting; grey cells diverged on at least one seed.`,
      spec: heatmap(settingRows(n)),
    },
    {
      name: `${ID}-best-lr`,
      caption:
        'The best learning rate per momentum (mean over seeds), on log-log axes: slope 1 means proportional to (1 - mu).',
      spec: {
        title: 'Best learning rate per momentum',
        data: { values: bests },
        mark: { type: 'line', point: true },
        width: 420,
        height: 260,
        encoding: {
          x: { field: 'one_minus_mu', type: 'quantitative', scale: { type: 'log' }, title: '1 - mu' },
          y: { field: 'best_learning_rate', type: 'quantitative', scale: { type: 'log' }, title: 'best alpha' },
          color: { field: 'optimizer', type: 'nominal' },
        },
      } as VegaLiteSpec,
    },
  ];
}

export function table(n: Numbers): CsvRow[] {
  return n.cells.map((c) => ({
    optimizer: c.optimizer,
    learning_rate: c.learningRate,
    momentum: c.momentum,
    seed: c.seed,
    effective_step: Number(
      (c.optimizer === 'heavy-ball' ? c.learningRate / (1 - c.momentum) : c.learningRate).toPrecision(12),
    ),
    final_validation_loss: c.validationLoss,
    final_validation_accuracy: c.validationAccuracy,
    diverged: c.diverged,
  }));
}

function bestTable(n: Numbers) {
  const rows = GRID_OPTIMIZERS.flatMap((optimizer) =>
    n.momenta.map((mu) => {
      const s = bestSetting(n, optimizer, mu);
      return s === undefined
        ? [optimizer, mu, '', '', '', '']
        : [
            optimizer,
            mu,
            s.learningRate,
            intervalCell(s.loss, (x) => num(x, 4)),
            intervalCell(s.accuracy, pct),
            `${s.loss.n} (${s.divergedSeeds} diverged)`,
          ];
    }),
  );
  return {
    caption: 'Best alpha per optimizer and momentum, by mean validation loss; mean [95% t interval] over seeds',
    columns: ['optimizer', 'mu / beta', 'best alpha', 'validation loss', 'validation accuracy', 'n'],
    rows,
  };
}

function slopeTable(n: Numbers) {
  return {
    caption: 'Slope of log10(best alpha) on log10(1 - mu): estimate [95% bootstrap interval, resampling seeds]',
    columns: ['optimizer', 'slope', 'n (seeds)', ...n.momenta.map((mu) => `best alpha, mu = ${mu}`)],
    rows: n.movement.map((m) => [
      m.optimizer,
      intervalCell(m.slopeInterval, (x) => num(x)),
      m.slopeInterval.n,
      ...m.bests.map((b) => num(b)),
    ]),
  };
}

export function section(n: Numbers) {
  const floor = n.noiseFloor;
  return {
    text: [
      `Every setting is a ${n.epochs}-epoch run (${n.cells[0]?.steps ?? 0} steps, as long as the runs that use its result) with seeds ${n.seeds.join(', ')}, ` +
        'trained on the training data minus the validation split and evaluated on the validation split only: these runs never load the test split, and the seeds used here are not used for any reported test number. ' +
        'Heavy-ball (v = mu v + g; w -= alpha v) settles at a step alpha/(1-mu); the EMA form (v = beta v + (1-beta) g; w -= alpha v) settles at alpha. ' +
        'So heavy-ball should need a smaller alpha as mu grows, while the EMA form should keep its alpha.',
      'Both are steady-state statements: the velocity needs about 1/(1 - mu) steps (100 at mu = 0.99) to reach its steady size, and the EMA form starts from v = 0 without bias correction, ' +
        'so in short runs a large beta favours a larger alpha.',
      'The two forms are one optimizer with the learning rate measured differently: heavy-ball(alpha, mu) takes exactly the steps of ema-momentum(alpha / (1 - mu), mu). ' +
        `The grid holds ${floor.pairs} such pairs (same seed, neither diverged); their largest relative difference in per-epoch validation loss, ${num(floor.value, 2)}` +
        (floor.worst
          ? ` (alpha = ${floor.worst.learningRate}, mu = ${floor.worst.momentum}, seed ${floor.worst.seed})`
          : '') +
        ', is float32 rounding amplified by training: the noise floor of every "same curve" comparison in this report.',
    ],
    tables: [slopeTable(n), bestTable(n)],
  };
}

// The parts every experiment declares, in the one shape of defineExperiment.
export const grid = defineExperiment<Numbers>({
  id: ID,
  title: '3. Learning rate x momentum (chosen on the validation split)',
  plan,
  analyse: (outcomes, inputs) => analyseCells(outcomes.map(toCell), inputs.preset),
  verdicts,
  figures,
  section,
  table,
  tuned,
});
