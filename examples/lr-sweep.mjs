/**
 * A small learning-rate sweep from code: heavy-ball momentum at three learning rates, each run
 * written as a run folder, then compared in one figure and table with `compare`.
 *
 *   node examples/lr-sweep.mjs [out-dir]
 */
import path from 'node:path';
import { TRAIN_DEFAULTS, compare, loadDataset, train } from 'inertia';

const out = process.argv[2] ?? 'out/examples/lr-sweep';
const dataset = await loadDataset('synthetic', { trainLimit: 512, testLimit: 256 });
const runs = path.join(out, 'runs');
const results = [];
for (const learningRate of [0.01, 0.05, 0.2]) {
  const config = {
    ...TRAIN_DEFAULTS,
    dataset: 'synthetic',
    model: 'mlp',
    hidden: [32],
    optimizer: { kind: 'heavy-ball', learningRate, momentum: 0.9 },
    epochs: 2,
    batchSize: 64,
  };
  const result = await train(config, { outRoot: runs, runId: `lr-${learningRate}`, dataset, plot: false });
  results.push({ learningRate, status: result.status, testAccuracy: result.final.test.accuracy });
}
const comparison = await compare({
  runs: [runs],
  metrics: ['test/loss', 'test/accuracy'],
  out: path.join(out, 'compare'),
});
console.log(JSON.stringify({ results, legend: comparison.labelFields, table: comparison.table.markdown }));
