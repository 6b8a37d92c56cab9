/** The loss plot of one run: minibatch loss per step with train/test loss per epoch. */
import type { MetricRow } from '../runs/metrics.js';
import { lineChart, writeChart } from '../plot/chart.js';

const SERIES: Record<string, string> = {
  'train/batch_loss': 'minibatch loss',
  'train/loss': 'train loss (full set)',
  'test/loss': 'test loss',
};

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
