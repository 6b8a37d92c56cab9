/**
 * Successive halving for `--search asha`: every trial trains for the first rung's epochs; of
 * each rung the best 1/eta of its trials (by mean held-out accuracy over the seeds at the
 * rung's last epoch) train again for the next rung's epochs (eta times longer), up to the
 * grid's epochs; the others are pruned. The rungs are synchronous (a rung's trials all finish
 * before the next rung starts) and a promoted trial trains again from its start, so every
 * decision is read from run folders: a sweep resumed after an interruption takes the same
 * decisions. Each decision is a row of pruning.csv, and the report shows them.
 */
import { writeCsvAtomic } from '../util/csv.js';
import { trialRuns, type GridRun, type SweepGrid } from './grid.js';
import { groupBySetting, type SweepOutcome } from './summary.js';

/** What became of a trial at a rung. */
export interface RungDecision {
  trial: number;
  optimizer: string;
  rung: number;
  epochs: number;
  /** Mean final held-out accuracy over the trial's seeds at this rung (NaN: a run failed, or every seed diverged). */
  accuracy: number;
  /** 1 = best of the rung; 0 for a trial that cannot be ranked. */
  rank: number;
  decision: 'promoted' | 'pruned' | 'last rung';
}

/** The rungs' epochs: minEpochs * eta^k below the grid's epochs, then the grid's epochs. */
export function rungEpochs(grid: SweepGrid): number[] {
  const last = Number(grid.values.epochs![0]);
  const { eta, minEpochs } = grid.search as Required<NonNullable<SweepGrid['search']>>;
  const rungs: number[] = [];
  for (let epochs = minEpochs; epochs < last; epochs *= eta) rungs.push(epochs);
  return [...rungs, last];
}

/**
 * The decisions of one rung: its trials ranked by mean held-out accuracy (ties: the lower
 * trial first); the best max(1, floor(n / eta)) go on unless this is the last rung. A trial
 * with a failed run or whose every seed diverged is never promoted.
 */
export function rungDecisions(
  outcomes: readonly SweepOutcome[],
  grid: SweepGrid,
  rung: number,
  epochs: number,
  last: boolean,
): RungDecision[] {
  const eta = grid.search!.eta!;
  const trials = groupBySetting(outcomes, grid).map((group) => ({
    trial: group.trial!,
    optimizer: group.optimizer,
    accuracy: group.failed > 0 || group.allDiverged ? NaN : group.accuracy.estimate,
  }));
  const ranked = trials
    .filter((trial) => Number.isFinite(trial.accuracy))
    .sort((a, b) => b.accuracy - a.accuracy || a.trial - b.trial);
  const keep = Math.max(1, Math.floor(trials.length / eta));
  return trials
    .map((trial) => {
      const rank = ranked.indexOf(trial) + 1;
      const decision: RungDecision['decision'] = last ? 'last rung' : rank > 0 && rank <= keep ? 'promoted' : 'pruned';
      return { ...trial, rung, epochs, rank, decision };
    })
    .sort((a, b) => a.trial - b.trial);
}

export interface HalvingResult {
  /** Every run of every rung. */
  outcomes: SweepOutcome[];
  /** The runs of the last rung: the best setting is chosen among them. */
  lastRung: SweepOutcome[];
  decisions: RungDecision[];
}

/** Trains the rungs one after the other on `train` and returns the runs and the decisions. */
export async function runHalving(
  grid: SweepGrid,
  train: (runs: GridRun[]) => Promise<SweepOutcome[]>,
): Promise<HalvingResult> {
  const rungs = rungEpochs(grid);
  let trials = Array.from({ length: grid.search!.trials }, (_, i) => i + 1);
  const outcomes: SweepOutcome[] = [];
  const decisions: RungDecision[] = [];
  let lastRung: SweepOutcome[] = [];
  for (const [index, epochs] of rungs.entries()) {
    const last = index === rungs.length - 1;
    const rungOutcomes = await train(trialRuns(grid, trials, epochs));
    outcomes.push(...rungOutcomes);
    const rungRows = rungDecisions(rungOutcomes, grid, index + 1, epochs, last);
    decisions.push(...rungRows);
    lastRung = rungOutcomes;
    trials = rungRows.filter((row) => row.decision === 'promoted').map((row) => row.trial);
    if (trials.length === 0) break;
  }
  return { outcomes, lastRung, decisions };
}

export const PRUNING_COLUMNS = ['trial', 'optimizer', 'rung', 'epochs', 'held_out_accuracy', 'rank', 'decision'];

/** pruning.csv: one row per trial and rung it reached. */
export async function writePruning(file: string, decisions: readonly RungDecision[]): Promise<void> {
  await writeCsvAtomic(
    file,
    PRUNING_COLUMNS,
    decisions.map((row) => ({
      trial: row.trial,
      optimizer: row.optimizer,
      rung: row.rung,
      epochs: row.epochs,
      held_out_accuracy: Number.isFinite(row.accuracy) ? row.accuracy : '',
      rank: row.rank === 0 ? '' : row.rank,
      decision: row.decision,
    })),
  );
}
