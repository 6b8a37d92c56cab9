/**
 * Experiment F: the usual answer's other claims, tested. "Learning rate and momentum are
 * effectively independent" against heavy-ball's best alpha per mu from the grid (experiment
 * 3); "without a learning rate the weight delta would still be zero" against no-lr-momentum
 * at s = 1; and an upper bound for pure momentum: with one gradient step every weight vector
 * it visits is w0 - t g0, so no alpha, mu or s can beat the best point of that ray.
 */
import { lineChart } from '../../plot/chart.js';
import { BREADTH } from '../breadthPreset.js';
import { runsOf, type Setting } from '../breadthRuns.js';
import { idNumber, type CsvRow } from '../context.js';
import { bounds } from '../criteria.js';
import { defineExperiment, type AnalysisInputs } from '../experiment.js';
import type { StudyPreset } from '../presets.js';
import { initialWeightNorm, rayAccuracies, type RayPoint } from '../probes.js';
import { allOf, claimPValue, decideInterval, formatInterval, fractionInterval } from '../../util/intervals.js';
import { metricAt, type RunOutcome, type StudyRun } from '../../exec/runBatch.js';
import { verdict } from '../verdict.js';
import { formatNumber as num, formatPercent as pct } from '../../util/format.js';

export const ID = 'experiment-f-answer-claims';
const BETA = 0.9;
/** Pure momentum (k = 1) settings: a small and a large effective step. */
const PURE: readonly { alpha: number; mu: number }[] = [
  { alpha: 0.1, mu: 0.9 },
  { alpha: 1, mu: 0.99 },
];

const NO_LR: Setting = { id: 'eF-no-lr-beta0.9-s1', optimizer: { kind: 'no-lr-momentum', momentum: BETA } };

function pureSetting(alpha: number, mu: number): Setting {
  return {
    id: `eF-pure-momentum-lr${idNumber(alpha)}-mu${idNumber(mu)}`,
    optimizer: { kind: 'pure-momentum', learningRate: alpha, momentum: mu, gradientSteps: 1 },
  };
}

export function plan(preset: StudyPreset): StudyRun[] {
  return [NO_LR, ...PURE.map((p) => pureSetting(p.alpha, p.mu))].flatMap((s) => runsOf(preset, ID, s, 'final'));
}

export interface PureRun {
  alpha: number;
  mu: number;
  seed: number;
  /** Where on the ray the run ends: alpha s (1 - mu^T) / (1 - mu). */
  t: number;
  accuracy: number;
}

export interface Numbers {
  momenta: number[];
  bestAlphas: number[];
  noLr: { seed: number; relativeDisplacement: number; accuracy: number }[];
  rays: { seed: number; points: RayPoint[] }[];
  pure: PureRun[];
  learnedAccuracy: number;
}

function pureRun(o: RunOutcome): PureRun {
  const spec = o.run.config.optimizer as { learningRate: number; momentum: number };
  const { learningRate: alpha, momentum: mu } = spec;
  const sum = mu === 1 ? o.steps : (1 - mu ** o.steps) / (1 - mu);
  return { alpha, mu, seed: o.run.config.seed, t: alpha * o.run.config.lossScale * sum, accuracy: o.finalTestAccuracy };
}

function rayGrid(points: number): number[] {
  return [0, ...Array.from({ length: points }, (_, i) => 10 ** (-4 + (8 * i) / (points - 1)))];
}

export function analyse(outcomes: readonly RunOutcome[], inputs: AnalysisInputs): Numbers {
  const { preset, dataset } = inputs;
  const noLrRuns = outcomes.filter((o) => o.run.config.optimizer.kind === 'no-lr-momentum');
  const pure = outcomes.filter((o) => o.run.config.optimizer.kind === 'pure-momentum').map(pureRun);
  const momenta = [0, Math.max(...preset.gridMomenta)];
  // Same seed, same initial weights and first minibatch: any run of the seed defines its ray.
  const rays = noLrRuns.map((o) => {
    const config = o.run.config;
    const ts = [
      ...rayGrid(BREADTH[preset.name].rayPoints),
      ...pure.filter((p) => p.seed === config.seed).map((p) => p.t),
    ];
    return {
      seed: config.seed,
      points: rayAccuracies(
        dataset,
        config,
        ts.sort((a, b) => a - b),
      ),
    };
  });
  return {
    momenta,
    bestAlphas: momenta.map((mu) => inputs.plan.tuned.learningRate('heavy-ball', mu)),
    noLr: noLrRuns.map((o) => ({
      seed: o.run.config.seed,
      relativeDisplacement: metricAt(o.rows, 'train', 'displacement') / initialWeightNorm(dataset, o.run.config),
      accuracy: o.finalTestAccuracy,
    })),
    rays,
    pure,
    learnedAccuracy: preset.learnedAccuracy,
  };
}

const rayBest = (points: readonly RayPoint[]) => Math.max(...points.map((p) => p.testAccuracy));

function independenceVerdict(n: Numbers) {
  const [atZero, atLargest] = n.bestAlphas;
  const factor = Math.max(atZero / atLargest, atLargest / atZero);
  return verdict(
    'eF.rate-momentum-independent',
    `heavy-ball best alpha: ${num(atZero)} at mu = 0, ${num(atLargest)} at mu = ${n.momenta[1]} (a factor ${num(factor)}; theory 1 / (1 - mu) = ${num(1 / (1 - n.momenta[1]))})`,
    n.momenta[1] === 0 ? null : factor < bounds('eF.rate-momentum-independent').factor,
  );
}

function zeroDeltaVerdict(n: Numbers) {
  const b = bounds('eF.zero-delta');
  const zero = n.noLr.every((r) => r.relativeDisplacement < b.relative && Math.abs(r.accuracy - 0.1) <= b.chance);
  return verdict(
    'eF.zero-delta',
    n.noLr
      .map((r) => `seed ${r.seed}: |w - w0| / |w0| = ${num(r.relativeDisplacement)}, test accuracy ${pct(r.accuracy)}`)
      .join('; '),
    zero,
  );
}

function rayVerdict(n: Numbers) {
  const best = fractionInterval(n.rays.map((r) => rayBest(r.points)));
  const slack = bounds('eF.ray-bound').slack;
  const beaten = n.pure.filter((p) => p.accuracy > rayBest(n.rays.find((r) => r.seed === p.seed)!.points) + slack);
  return verdict(
    'eF.ray-bound',
    `best accuracy on the ray ${formatInterval(best, pct)}; pure-momentum runs ${n.pure.map((p) => `alpha ${p.alpha}, mu ${p.mu}, seed ${p.seed}: ${pct(p.accuracy)} at t = ${num(p.t)}`).join('; ')}; ${beaten.length} above their ray's best (learned = ${pct(n.learnedAccuracy)})`,
    allOf([beaten.length === 0 ? 'supported' : 'not supported', decideInterval(best, 'below', n.learnedAccuracy)]),
    claimPValue({ interval: best, side: 'below', bound: n.learnedAccuracy }),
  );
}

function verdicts(n: Numbers) {
  return [independenceVerdict(n), zeroDeltaVerdict(n), rayVerdict(n)];
}

function figures(n: Numbers) {
  const ray = n.rays.flatMap((r) =>
    r.points.filter((p) => p.t > 0).map((p) => ({ t: p.t, accuracy: p.testAccuracy, seed: `seed ${r.seed}` })),
  );
  // Chart specs are declarative data: each figure writes out its own fields, titles and axes.
  return [
    {
      name: `${ID}-ray`,
      caption:
        'Test accuracy along the ray w0 - t g0 (g0: the gradient of the first minibatch at the initial weights). Every weight vector pure momentum with one gradient step visits lies on this ray, whatever alpha, mu and s: its best point bounds what such a run can reach.',
      spec: lineChart(ray, {
        title: 'Pure momentum can only move along w0 - t g0',
        x: { field: 't', title: 't (log)', log: true },
        y: { field: 'accuracy', title: 'test accuracy', domain: [0, 1] },
        color: { field: 'seed', title: '' },
      }),
    },
  ];
}

function table(n: Numbers): CsvRow[] {
  return n.rays.flatMap((r) => r.points.map((p) => ({ seed: r.seed, t: p.t, test_accuracy: p.testAccuracy })));
}

function section(n: Numbers) {
  const best = fractionInterval(n.rays.map((r) => rayBest(r.points)));
  return {
    text: [
      'The usual answer makes two more claims. "Learning rate and momentum are effectively independent": in the heavy-ball form the grid of experiment 3 says how far the best alpha moves with mu. ' +
        '"Without a learning rate the weight delta would still be zero": no-lr-momentum (beta = 0.9, s = 1) is run and its displacement |w - w0| measured.',
      `And a bound the answer implies but never states: pure momentum with one gradient step only ever moves along w0 - t g0. The best test accuracy anywhere on that ray is ${formatInterval(best, pct)} over seeds; no alpha, mu or loss scale can do better.`,
    ],
    tables: [
      {
        caption: 'Pure momentum (k = 1) runs against the best point of their ray (same seed)',
        columns: ['alpha', 'mu', 'seed', 'ends at t', 'test accuracy', "ray's best"],
        rows: n.pure.map((p) => [
          p.alpha,
          p.mu,
          p.seed,
          num(p.t),
          pct(p.accuracy),
          pct(rayBest(n.rays.find((r) => r.seed === p.seed)!.points)),
        ]),
      },
    ],
  };
}

// The parts every experiment declares, in the one shape of defineExperiment.
export const answerClaims = defineExperiment<Numbers>({
  id: ID,
  title: "F. The usual answer's other claims",
  plan: (preset) => plan(preset),
  analyse: (outcomes, inputs) => analyse(outcomes, inputs),
  verdicts,
  figures,
  section,
  table,
});
