/**
 * Experiment 3: learning rate x momentum grid for heavy-ball and ema-momentum. Heavy-ball's
 * steady-state step is alpha / (1 - mu), so its best alpha should move like (1 - mu); the EMA
 * form's step is alpha itself, so its best alpha should stay put. Each optimizer's best
 * setting is then rerun with more seeds (DeepOBS style) and reported as mean +/- std.
 */
import path from 'node:path';
import { writeChart, type VegaLiteSpec } from '../../plot/chart.js';
import { baseConfig, idNumber, summaryRow, type CsvRow, type ExperimentResult, type StudyContext } from '../context.js';
import type { RunOutcome, StudyRun } from '../sweep.js';
import { mean, slope, std } from '../stats.js';
import { num, pct, verdict } from '../verdict.js';

export const ID = 'experiment-3-learning-rate-momentum-grid';
export const GRID_OPTIMIZERS = ['heavy-ball', 'ema-momentum'] as const;
type GridOptimizer = (typeof GRID_OPTIMIZERS)[number];

export interface GridResult extends ExperimentResult {
  /** Best learning rate per optimizer and momentum (by final test loss). */
  bestLearningRate(optimizer: GridOptimizer, momentum: number): number;
}

function gridRun(
  context: StudyContext,
  optimizer: GridOptimizer,
  learningRate: number,
  momentum: number,
  seed: number,
): StudyRun {
  return {
    id: `e3-${optimizer}-lr${idNumber(learningRate)}-mu${idNumber(momentum)}-seed${seed}`,
    experiment: ID,
    config: baseConfig(
      context.preset,
      { kind: optimizer, learningRate, momentum },
      { epochs: context.preset.gridEpochs, seed, normEvery: 0 },
    ),
  };
}

/** Final test loss, with diverged or non-finite runs ranked last. */
function score(outcome: RunOutcome): number {
  return outcome.status === 'diverged' || !Number.isFinite(outcome.finalTestLoss) ? Infinity : outcome.finalTestLoss;
}

/**
 * The best learning rate of one row of the grid, between grid points: a parabola through
 * log(test loss) at the best cell and its two neighbours, in log10(alpha) (the usual
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

function best(outcomes: readonly RunOutcome[]): RunOutcome {
  return outcomes.reduce((a, b) => (score(b) < score(a) ? b : a));
}

function heatmap(cells: CsvRow[]): VegaLiteSpec {
  return {
    title: 'Final test loss over learning rate x momentum (grey: diverged)',
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
              field: 'final_test_loss',
              type: 'quantitative',
              scale: { type: 'log', scheme: 'viridis', reverse: true },
              title: 'test loss',
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

export async function run(context: StudyContext): Promise<GridResult> {
  const { gridLearningRates, gridMomenta, seeds } = context.preset;
  const plan = GRID_OPTIMIZERS.flatMap((optimizer) =>
    gridMomenta.flatMap((momentum) => gridLearningRates.map((lr) => gridRun(context, optimizer, lr, momentum, 1))),
  );
  const outcomes = await context.sweep(plan);
  const cell = (o: RunOutcome) =>
    o.run.config.optimizer as { kind: GridOptimizer; learningRate: number; momentum: number };
  const select = (optimizer: GridOptimizer, momentum?: number) =>
    outcomes.filter((o) => cell(o).kind === optimizer && (momentum === undefined || cell(o).momentum === momentum));
  const bestLearningRate = (optimizer: GridOptimizer, momentum: number) =>
    cell(best(select(optimizer, momentum))).learningRate;
  const interpolatedLearningRate = (optimizer: GridOptimizer, momentum: number) => {
    const row = select(optimizer, momentum).sort((a, b) => cell(a).learningRate - cell(b).learningRate);
    return interpolatedBest(
      row.map((o) => cell(o).learningRate),
      row.map(score),
    );
  };

  // Reruns of each optimizer's best setting with more seeds.
  const winners = GRID_OPTIMIZERS.map((optimizer) => best(select(optimizer)));
  const reruns = await context.sweep(
    winners.flatMap((w) =>
      Array.from({ length: seeds - 1 }, (_, i) =>
        gridRun(context, cell(w).kind, cell(w).learningRate, cell(w).momentum, i + 2),
      ),
    ),
  );
  const seedStats = winners.map((w) => {
    const all = [w, ...reruns.filter((r) => cell(r).kind === cell(w).kind)];
    const accuracies = all.map((o) => o.finalTestAccuracy);
    const losses = all.map((o) => o.finalTestLoss);
    return {
      optimizer: cell(w).kind,
      learningRate: cell(w).learningRate,
      momentum: cell(w).momentum,
      seeds: all.length,
      accuracyMean: mean(accuracies),
      accuracyStd: std(accuracies),
      lossMean: mean(losses),
      lossStd: std(losses),
    };
  });

  // How the best alpha moves with (1 - mu): slope of log10(best alpha) on log10(1 - mu).
  const movement = GRID_OPTIMIZERS.map((optimizer) => {
    const bests = gridMomenta.map((mu) => interpolatedLearningRate(optimizer, mu));
    const fit = slope(
      gridMomenta.map((mu) => Math.log10(1 - mu)),
      bests.map(Math.log10),
    );
    return { optimizer, bests, slope: fit };
  });
  const [heavy, ema] = movement;
  const gridStep = gridLearningRates.length > 1 ? gridLearningRates[1] / gridLearningRates[0] : NaN;

  const cells: CsvRow[] = outcomes.map((o) => ({
    optimizer: cell(o).kind,
    learning_rate: cell(o).learningRate,
    momentum: cell(o).momentum,
    effective_step:
      cell(o).kind === 'heavy-ball' ? cell(o).learningRate / (1 - cell(o).momentum) : cell(o).learningRate,
    final_test_loss: o.finalTestLoss,
    final_test_accuracy: o.finalTestAccuracy,
    diverged: o.status === 'diverged',
    label: o.status === 'diverged' ? 'div' : `${(100 * o.finalTestAccuracy).toFixed(0)}`,
  }));
  await writeChart(
    heatmap(cells.map((c) => ({ ...c, final_test_loss: c.diverged ? null : c.final_test_loss })) as CsvRow[]),
    path.join(context.plotsDir, `${ID}-heatmap`),
  );
  await writeChart(
    {
      title: 'Best learning rate per momentum',
      data: {
        values: movement.flatMap((m) =>
          m.bests.map((lr, i) => ({
            optimizer: m.optimizer,
            one_minus_mu: 1 - gridMomenta[i],
            best_learning_rate: lr,
          })),
        ),
      },
      mark: { type: 'line', point: true },
      width: 420,
      height: 260,
      encoding: {
        x: { field: 'one_minus_mu', type: 'quantitative', scale: { type: 'log' }, title: '1 - mu' },
        y: {
          field: 'best_learning_rate',
          type: 'quantitative',
          scale: { type: 'log' },
          title: 'best alpha (lowest test loss)',
        },
        color: { field: 'optimizer', type: 'nominal' },
      },
    } as VegaLiteSpec,
    path.join(context.plotsDir, `${ID}-best-lr`),
  );

  const verdicts = [
    verdict(
      ID,
      "Heavy-ball's best learning rate moves like (1 - mu): its effective step is alpha / (1 - mu)",
      'slope of log10(best alpha) against log10(1 - mu) across the momenta is between 0.5 and 1.5 (1 = proportional; best alpha interpolated between grid points)',
      `slope ${num(heavy.slope)}; best alpha per mu ${gridMomenta.map((mu, i) => `${mu}: ${num(heavy.bests[i])}`).join(', ')}`,
      gridMomenta.length < 2 ? null : heavy.slope >= 0.5 && heavy.slope <= 1.5,
    ),
    verdict(
      ID,
      "ema-momentum's best learning rate stays put: its step is alpha whatever beta is",
      `|slope| of log10(best alpha) against log10(1 - beta) is below 0.3 (best alpha interpolated; grid spacing x${num(gridStep, 2)} per point)`,
      `slope ${num(ema.slope)}; best alpha per beta ${gridMomenta.map((mu, i) => `${mu}: ${num(ema.bests[i])}`).join(', ')}`,
      gridMomenta.length < 2 ? null : Math.abs(ema.slope) < 0.3,
    ),
  ];

  return {
    bestLearningRate,
    summary: [...outcomes, ...reruns].map((o) => summaryRow(ID, o)),
    csv: cells,
    section: {
      id: ID,
      title: '3. Learning rate x momentum',
      text: [
        `Every cell is a ${context.preset.gridEpochs}-epoch run (${outcomes[0].steps} steps) from the same initial weights (seed 1). Heavy-ball (v = mu v + g; w -= alpha v) settles at a step alpha/(1-mu); ` +
          'the EMA form (v = beta v + (1-beta) g; w -= alpha v) settles at alpha. So heavy-ball should need a smaller alpha as mu grows, while the EMA form should keep its alpha (the verdicts below check this): ' +
          'in both cases something has to set the step size in weight units, and it is the learning rate, not the momentum.',
        'Both are steady-state statements: the velocity needs about 1/(1 - mu) steps (100 at mu = 0.99) to reach its steady size, and the EMA form starts from v = 0 without bias correction, ' +
          'so in short runs a large beta favours a larger alpha. The fewer steps per cell, the less the grid can show the steady state.',
        'The two forms are one optimizer with the learning rate measured differently: heavy-ball(alpha, mu) takes exactly the steps of ema-momentum(alpha / (1 - mu), mu), ' +
          'since (1 - mu) times the heavy-ball velocity is the EMA velocity. Momentum changes how gradients are averaged; how far the weights move is set by the learning rate in either form.',
        `Each optimizer's best cell was rerun with ${seeds} seeds in all (seed changes the initial weights and the data order).`,
      ],
      figures: [
        {
          file: `plots/${ID}-heatmap`,
          caption: 'Final test loss (colour) and test accuracy in % (text) for every cell; grey cells diverged.',
        },
        {
          file: `plots/${ID}-best-lr`,
          caption: 'The best learning rate per momentum, on log-log axes: slope 1 means proportional to (1 - mu).',
        },
      ],
      tables: [
        {
          caption: `Best setting per optimizer, rerun with ${seeds} seeds (mean +/- std)`,
          columns: ['optimizer', 'alpha', 'mu / beta', 'seeds', 'test accuracy', 'test loss'],
          rows: seedStats.map((s) => [
            s.optimizer,
            s.learningRate,
            s.momentum,
            s.seeds,
            `${pct(s.accuracyMean)} +/- ${(100 * s.accuracyStd).toFixed(2)}`,
            `${num(s.lossMean, 4)} +/- ${num(s.lossStd, 2)}`,
          ]),
        },
      ],
      verdicts,
    },
  };
}
