/**
 * Plotting a run's metrics.csv yourself: read the run folder, pick the gradient and update
 * norms, and draw them with the same chart helpers inertia uses (SVG, PNG).
 *
 *   node examples/plot-metrics.mjs <run folder> [out-base]
 */
import path from 'node:path';
import { lineChart, readRun, writeChart } from 'inertia';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node examples/plot-metrics.mjs <run folder> [out-base]');
  process.exit(1);
}
const run = readRun(dir);
const norms = run.rows
  .filter((row) => ['grad_norm', 'update_norm', 'velocity_norm'].includes(row.metric) && row.value > 0)
  .map((row) => ({ step: row.step, norm: row.value, measured: row.metric }));
const spec = lineChart(norms, {
  title: `${run.id}: norms per step`,
  x: { field: 'step', title: 'optimizer step' },
  y: { field: 'norm', title: 'global L2 norm', log: true },
  color: { field: 'measured', title: '' },
});
const files = await writeChart(spec, process.argv[3] ?? path.join(dir, 'norms'));
console.log(JSON.stringify({ points: norms.length, ...files }));
