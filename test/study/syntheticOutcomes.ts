/** Synthetic run outcomes for testing analyse() without training: rows are written by hand. */
import type { MetricRow } from '../../src/runs/metrics.js';
import { outcomeMetrics, type RunOutcome, type StudyRun } from '../../src/exec/runBatch.js';

export interface SyntheticRun {
  /** Per epoch (index 0 = untrained): held-out loss and accuracy, full-set train loss, |w - w0|. */
  heldOutLoss?: number[];
  heldOutAccuracy?: number[];
  trainLoss?: number[];
  displacement?: number[];
  /** Per-step train metrics: name -> values for steps 1, 2, ... */
  perStep?: Record<string, number[]>;
  stepsPerEpoch?: number;
  divergedAtStep?: number;
}

/** A finished run of `run` whose metrics.csv would hold exactly these rows. */
export function syntheticOutcome(run: StudyRun, data: SyntheticRun): RunOutcome {
  const split = run.config.validation?.evaluate ?? 'test';
  const stepsPerEpoch = data.stepsPerEpoch ?? 10;
  const rows: MetricRow[] = [];
  const epochs = Math.max(data.heldOutLoss?.length ?? 0, data.trainLoss?.length ?? 0, data.displacement?.length ?? 0);
  for (let epoch = 0; epoch < epochs; epoch++) {
    const step = epoch * stepsPerEpoch;
    const add = (s: MetricRow['split'], metric: string, values?: number[]) => {
      if (values?.[epoch] !== undefined) rows.push({ step, epoch, split: s, metric, value: values[epoch] });
    };
    add(split, 'loss', data.heldOutLoss);
    add(split, 'accuracy', data.heldOutAccuracy);
    add('train', 'loss', data.trainLoss);
    add('train', 'displacement', data.displacement);
  }
  for (const [metric, values] of Object.entries(data.perStep ?? {}))
    values.forEach((value, i) =>
      rows.push({ step: i + 1, epoch: Math.floor(i / stepsPerEpoch) + 1, split: 'train', metric, value }),
    );
  const steps = Math.max(0, (epochs - 1) * stepsPerEpoch, ...Object.values(data.perStep ?? {}).map((v) => v.length));
  return {
    run,
    dir: '',
    status: data.divergedAtStep === undefined ? 'completed' : 'diverged',
    divergedAtStep: data.divergedAtStep ?? null,
    steps,
    seconds: 1,
    samplesPerSecond: 1,
    rows,
    ...outcomeMetrics(rows),
    resumed: false,
  };
}
