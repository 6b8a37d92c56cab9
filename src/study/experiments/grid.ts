/**
 * Experiment 3: learning rate x momentum grid for heavy-ball and ema-momentum. Heavy-ball's
 * steady-state step is alpha / (1 - mu), so its best alpha should move like (1 - mu); the EMA
 * form's step is alpha itself, so its best alpha should stay put. The best alpha per
 * optimizer and momentum is handed on to the experiments that need a tuned learning rate.
 */
import type { VegaLiteSpec } from '../../plot/chart.js';
import { bounds } from '../criteria.js';
import { baseConfig, idNumber, type CsvRow } from '../context.js';
import { defineExperiment, type TunedRates } from '../experiment.js';
import type { StudyPreset } from '../presets.js';
import type { RunOutcome, StudyRun } from '../sweep.js';
import { slope } from '../../util/stats.js';
import { num, pct, verdict } from '../verdict.js';

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
    config: baseConfig(
      preset,
      { kind: optimizer, learningRate, momentum },
      { epochs: preset.gridEpochs, seed, normEvery: 0 },
    ),
  };
}

export function plan(preset: StudyPreset): StudyRun[] {
  return GRID_OPTIMIZERS.flatMap((optimizer) =>
    preset.gridMomenta.flatMap((momentum) =>
      preset.gridLearningRates.map((lr) => gridRun(preset, optimizer, lr, momentum, 1)),
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

export interface Cell {
  optimizer: GridOptimizer;
  learningRate: number;
  momentum: number;
  seed: number;
  finalLoss: number;
  finalAccuracy: number;
  diverged: boolean;
  steps: number;
}

export interface Numbers {
  learningRates: number[];
  momenta: number[];
  epochs: number;
  cells: Cell[];
  /** Per optimizer: interpolated best alpha per momentum and the slope on log10(1 - mu). */
  movement: { optimizer: GridOptimizer; bests: number[]; slope: number }[];
  /** Per optimizer: the single best cell. */
  winners: Cell[];
}

/** Final loss, with diverged or non-finite runs ranked last. */
function score(cell: Cell): number {
  return cell.diverged || !Number.isFinite(cell.finalLoss) ? Infinity : cell.finalLoss;
}

function toCell(o: RunOutcome): Cell {
  const spec = o.run.config.optimizer as { kind: GridOptimizer; learningRate: number; momentum: number };
  return {
    optimizer: spec.kind,
    learningRate: spec.learningRate,
    momentum: spec.momentum,
    seed: o.run.config.seed,
    finalLoss: o.finalTestLoss,
    finalAccuracy: o.finalTestAccuracy,
    diverged: o.status === 'diverged',
    steps: o.steps,
  };
}

function row(cells: readonly Cell[], optimizer: GridOptimizer, momentum: number): Cell[] {
  return cells
    .filter((c) => c.optimizer === optimizer && c.momentum === momentum)
    .sort((a, b) => a.learningRate - b.learningRate);
}

export function analyseCells(cells: Cell[], preset: StudyPreset): Numbers {
  const movement = GRID_OPTIMIZERS.map((optimizer) => {
    const bests = preset.gridMomenta.map((mu) => {
      const r = row(cells, optimizer, mu);
      return interpolatedBest(
        r.map((c) => c.learningRate),
        r.map(score),
      );
    });
    const fit = slope(
      preset.gridMomenta.map((mu) => Math.log10(1 - mu)),
      bests.map(Math.log10),
    );
    return { optimizer, bests, slope: fit };
  });
  const winners = GRID_OPTIMIZERS.map((optimizer) =>
    cells.filter((c) => c.optimizer === optimizer).reduce((a, b) => (score(b) < score(a) ? b : a)),
  );
  return {
    learningRates: preset.gridLearningRates,
    momenta: preset.gridMomenta,
    epochs: preset.gridEpochs,
    cells,
    movement,
    winners,
  };
}

export function tuned(n: Numbers): TunedRates {
  return {
    learningRate: (kind, momentum) => {
      const best = row(n.cells, kind as GridOptimizer, momentum).reduce((a, b) => (score(b) < score(a) ? b : a));
      return best.learningRate;
    },
  };
}

export function verdicts(n: Numbers) {
  const [heavy, ema] = n.movement;
  const gridStep = n.learningRates.length > 1 ? n.learningRates[1] / n.learningRates[0] : NaN;
  const perMu = (bests: number[]) => n.momenta.map((mu, i) => `${mu}: ${num(bests[i])}`).join(', ');
  const hb = bounds('e3.heavy-ball-slope');
  return [
    verdict(
      'e3.heavy-ball-slope',
      `slope ${num(heavy.slope)}; best alpha per mu ${perMu(heavy.bests)}`,
      n.momenta.length < 2 ? null : heavy.slope >= hb.low && heavy.slope <= hb.high,
    ),
    verdict(
      'e3.ema-flat',
      `slope ${num(ema.slope)}; best alpha per beta ${perMu(ema.bests)} (grid spacing x${num(gridStep, 2)} per point)`,
      n.momenta.length < 2 ? null : Math.abs(ema.slope) < bounds('e3.ema-flat').bound,
    ),
  ];
}

function heatmap(cells: CsvRow[]): VegaLiteSpec {
  return {
    title: 'Final loss over learning rate x momentum (grey: diverged)',
    data: { values: cells },
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
          mark: 'rect',
          encoding: {
            color: {
              condition: { test: 'datum.diverged', value: '#bbbbbb' },
              field: 'final_loss',
              type: 'quantitative',
              scale: { type: 'log', scheme: 'viridis', reverse: true },
              title: 'loss',
            },
          },
        },
        {
          mark: { type: 'text', fontSize: 9 },
          encoding: { text: { field: 'label', type: 'nominal' }, color: { value: 'black' } },
        },
      ],
    },
  } as unknown as VegaLiteSpec;
}

export function figures(n: Numbers) {
  const cells = table(n).map((c) => ({ ...c, final_loss: c.diverged ? null : c.final_test_loss }));
  const bests = n.movement.flatMap((m) =>
    m.bests.map((lr, i) => ({ optimizer: m.optimizer, one_minus_mu: 1 - n.momenta[i], best_learning_rate: lr })),
  );
  return [
    {
      name: `${ID}-heatmap`,
      caption: 'Final test loss (colour) and test accuracy in % (text) for every cell; grey cells diverged.',
      spec: heatmap(cells as CsvRow[]),
    },
    {
      name: `${ID}-best-lr`,
      caption: 'The best learning rate per momentum, on log-log axes: slope 1 means proportional to (1 - mu).',
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
    effective_step: c.optimizer === 'heavy-ball' ? c.learningRate / (1 - c.momentum) : c.learningRate,
    final_test_loss: c.finalLoss,
    final_test_accuracy: c.finalAccuracy,
    diverged: c.diverged,
    label: c.diverged ? 'div' : `${(100 * c.finalAccuracy).toFixed(0)}`,
  }));
}

export function section(n: Numbers) {
  return {
    text: [
      `Every cell is a ${n.epochs}-epoch run (${n.cells[0]?.steps ?? 0} steps) from the same initial weights (seed 1). Heavy-ball (v = mu v + g; w -= alpha v) settles at a step alpha/(1-mu); ` +
        'the EMA form (v = beta v + (1-beta) g; w -= alpha v) settles at alpha. So heavy-ball should need a smaller alpha as mu grows, while the EMA form should keep its alpha (the verdicts below check this): ' +
        'in both cases something has to set the step size in weight units, and it is the learning rate, not the momentum.',
      'Both are steady-state statements: the velocity needs about 1/(1 - mu) steps (100 at mu = 0.99) to reach its steady size, and the EMA form starts from v = 0 without bias correction, ' +
        'so in short runs a large beta favours a larger alpha. The fewer steps per cell, the less the grid can show the steady state.',
      'The two forms are one optimizer with the learning rate measured differently: heavy-ball(alpha, mu) takes exactly the steps of ema-momentum(alpha / (1 - mu), mu), ' +
        'since (1 - mu) times the heavy-ball velocity is the EMA velocity. Momentum changes how gradients are averaged; how far the weights move is set by the learning rate in either form.',
    ],
    tables: [
      {
        caption: 'Best cell per optimizer',
        columns: ['optimizer', 'alpha', 'mu / beta', 'test accuracy', 'test loss'],
        rows: n.winners.map((w) => [
          w.optimizer,
          w.learningRate,
          w.momentum,
          pct(w.finalAccuracy),
          num(w.finalLoss, 4),
        ]),
      },
    ],
  };
}

export const grid = defineExperiment<Numbers>({
  id: ID,
  title: '3. Learning rate x momentum',
  plan,
  analyse: (outcomes, inputs) => analyseCells(outcomes.map(toCell), inputs.preset),
  verdicts,
  figures,
  section,
  table,
  tuned,
});
