#!/usr/bin/env node
/**
 * What the norm measurements cost `inertia train`'s custom loop: the same run (mnist-digits,
 * batch 128, heavy-ball 0.05/0.9, compiled steps) with norms every 10 steps and with norms off,
 * as two sessions alive side by side whose epochs alternate (A B, B A, ...), so that both see
 * the same machine load. Each epoch's training steps are timed (evaluation is not): wall time
 * and the process's CPU time (user + system, all threads), which a loaded machine disturbs
 * far less. After one warm-up epoch each (traces and checks), prints every round, the median
 * samples/s of each and their ratio (norms every 10 / norms off), the best epoch's, the
 * CPU-time ratio and the load average before and after. Needs the build (`npm run build`).
 * Usage: node scripts/bench-norms.mjs [rounds=12] [model=mlp]
 */
import os from 'node:os';
import { loadDataset } from '../dist/data/index.js';
import { makeOptimizer, makeTrainConfig } from '../dist/train/config.js';
import { disposeSession, prepareSession } from '../dist/train/session.js';
import { median } from '../dist/util/stats.js';
import { permutation, seededRandom } from '../dist/util/random.js';

const rounds = Number(process.argv[2] ?? 12);
const model = process.argv[3] ?? 'mlp';
const load = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(', ');
const dataset = await loadDataset('mnist-digits');
const random = seededRandom(7);

function session(normEvery) {
  const config = makeTrainConfig({
    dataset: 'mnist-digits',
    model,
    optimizer: { kind: 'heavy-ball', learningRate: 0.05, momentum: 0.9 },
    epochs: rounds + 1,
    batchSize: 128,
    normEvery,
    seed: 1,
  });
  const optimizer = makeOptimizer(config.optimizer);
  return prepareSession(config, dataset, {
    runId: `norms-${normEvery}`,
    heldOutName: 'test',
    optimizer,
    compile: 'on',
  });
}

/** One epoch of `s`'s loop: samples, wall seconds and CPU seconds of its steps. */
async function epoch(s, index) {
  const order = permutation(dataset.train.count, random);
  const steps = s.loop.steps;
  const cpu = process.cpuUsage();
  const start = performance.now();
  await s.loop.epoch(index, order, []);
  const wall = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  const samples = Math.min(order.length, (s.loop.steps - steps) * 128);
  return { samples, wall, cpu: (used.user + used.system) / 1e6 };
}

console.log(
  `${model} on mnist-digits (${dataset.train.count} train samples), batch 128, compiled, ${os.cpus().length} cores; load average ${load()}`,
);
const sessions = { 10: session(10), 0: session(0) };
for (const s of Object.values(sessions)) await epoch(s, 1);
const results = { 10: [], 0: [] };
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? [10, 0] : [0, 10];
  for (const normEvery of order) results[normEvery].push(await epoch(sessions[normEvery], round + 2));
  const [a, b] = [results[10].at(-1), results[0].at(-1)];
  console.log(
    `round ${round + 1}: norms every 10 ${(a.samples / a.wall).toFixed(0)} samples/s, norms off ${(b.samples / b.wall).toFixed(0)} samples/s, ratio ${(a.samples / a.wall / (b.samples / b.wall)).toFixed(3)}`,
  );
}
for (const s of Object.values(sessions)) {
  if (!s.loop.stepMode.compiled) console.log(`not compiled: ${s.loop.stepMode.fallback}`);
  disposeSession(s);
}
const rate = (rs) => median(rs.map((r) => r.samples / r.wall));
const best = (rs) => Math.max(...rs.map((r) => r.samples / r.wall));
const cpuPerSample = (rs) => rs.reduce((t, r) => t + r.cpu, 0) / rs.reduce((t, r) => t + r.samples, 0);
const pairRatios = results[10].map((a, i) => a.samples / a.wall / (results[0][i].samples / results[0][i].wall));
console.log(
  `median samples/s: norms every 10 ${rate(results[10]).toFixed(0)}, norms off ${rate(results[0]).toFixed(0)}; ratio of medians ${(rate(results[10]) / rate(results[0])).toFixed(3)}, median of round ratios ${median(pairRatios).toFixed(3)}`,
);
console.log(
  `best samples/s (the least disturbed epoch): norms every 10 ${best(results[10]).toFixed(0)}, norms off ${best(results[0]).toFixed(0)}; ratio ${(best(results[10]) / best(results[0])).toFixed(3)}`,
);
console.log(
  `CPU time per sample: norms every 10 ${(cpuPerSample(results[10]) * 1e6).toFixed(2)} us, norms off ${(cpuPerSample(results[0]) * 1e6).toFixed(2)} us; throughput ratio by CPU time ${(cpuPerSample(results[0]) / cpuPerSample(results[10])).toFixed(3)}`,
);
console.log(`load average ${load()}`);
