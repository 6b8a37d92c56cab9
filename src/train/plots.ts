/** The loss plot of one run: minibatch loss per step with train and held-out (test or validation) loss per epoch. */
import type { MetricRow } from '../runs/metrics.js';
import { lineChart, writeChart } from '../plot/chart.js';
import type { TrainConfig } from './config.js';

const SERIES: Record<string, string> = {
  'train/batch_loss': 'minibatch loss',
  'train/loss': 'train loss (full set)',
  'test/loss': 'test loss',
  'validation/loss': 'validation loss',
  'train/epoch_loss': 'train loss (epoch mean of minibatches)',
};

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return value.map(describeValue).join(value.some(isObject) ? '; ' : ',');
  if (isObject(value)) {
    // A stage config (the stages of an --optimizer-spec chain): its name, then its fields.
    const { name, ...fields } = value;
    if (typeof name === 'string')
      return [name, ...Object.keys(fields).map((k) => `${k} ${describeValue(fields[k])}`)].join(' ');
    return Object.entries(value)
      .map(([key, inner]) => `${key} ${describeValue(inner)}`)
      .join(' ');
  }
  return String(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * What a run trained, for its plot title: `heavy-ball (learningRate 0.05, momentum 0.9): mlp
 * 256,128 on mnist-digits, seed 1`.
 */
export function runTitle(config: TrainConfig): string {
  const { kind, ...hyperparameters } = config.optimizer as unknown as Record<string, unknown>;
  const fields = Object.entries(hyperparameters)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key} ${describeValue(value)}`);
  const optimizer = fields.length > 0 ? `${kind} (${fields.join(', ')})` : String(kind);
  const model = config.hidden ? `${config.model} ${config.hidden.join(',')}` : config.model;
  return `${optimizer}: ${model} on ${config.dataset}, seed ${config.seed}`;
}

export async function writeLossPlot(rows: readonly MetricRow[], basePath: string, title: string): Promise<void> {
  const values = rows
    .filter((row) => `${row.split}/${row.metric}` in SERIES && Number.isFinite(row.value) && row.value > 0)
    .map((row) => ({ step: row.step, loss: row.value, series: SERIES[`${row.split}/${row.metric}`] }));
  await writeChart(
    lineChart(values, {
      title,
      x: { field: 'step', title: 'optimizer step' },
      y: { field: 'loss', title: 'cross-entropy loss', log: true },
      color: { field: 'series', title: '' },
    }),
    basePath,
  );
}
