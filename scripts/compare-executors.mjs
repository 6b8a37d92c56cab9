#!/usr/bin/env node
/**
 * Trains a seeded random sample of a study's (or sweep's) finished runs again on the local
 * executor and compares every recorded number with the original: the check that runs trained
 * by `inertia worker` processes over a queue are the runs the local pool would have trained.
 * Timing metrics aside, metrics.csv and the final numbers in run.json must be equal to the bit.
 * Needs the build (`npm run build`). Exits 1 when any run differs.
 * Usage: node scripts/compare-executors.mjs <runs folder> [sample=30] [seed=1] [workers=2]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalExecutor } from '../dist/exec/local.js';
import { readTrainConfigFile } from '../dist/train/configFile.js';
import { makeTrainConfig } from '../dist/train/config.js';
import { FINISHED_STATUSES, readRunRecord } from '../dist/runs/runFolder.js';
import { readMetrics } from '../dist/runs/metrics.js';
import { seededRandom, shuffleInPlace } from '../dist/util/random.js';

const [runsDir, sampleArg = '30', seedArg = '1', workersArg = '2'] = process.argv.slice(2);
if (!runsDir || !fs.existsSync(runsDir)) {
  console.error('usage: node scripts/compare-executors.mjs <runs folder> [sample=30] [seed=1] [workers=2]');
  process.exit(64);
}

/** Metrics and summary fields that measure time, not the computation. */
const TIMING = /second|time|compile/;

const finished = fs
  .readdirSync(runsDir)
  .filter((id) => FINISHED_STATUSES.includes(readRunRecord(path.join(runsDir, id))?.status))
  .sort();
const shuffled = [...finished];
shuffleInPlace(shuffled, seededRandom(Number(seedArg)));
const sample = shuffled.slice(0, Number(sampleArg));
const runs = sample.map((id) => ({
  id,
  config: makeTrainConfig(readTrainConfigFile(path.join(runsDir, id, 'config.json'))),
}));

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'inertia-compare-executors-'));
const executor = new LocalExecutor({ workers: Number(workersArg), processes: true });
const started = performance.now();
let attempts;
try {
  attempts = await executor.execute(runs, scratch);
} finally {
  await executor.close();
}
const seconds = (performance.now() - started) / 1000;

const numbers = (dir) => {
  const rows = readMetrics(path.join(dir, 'metrics.csv')).filter((row) => !TIMING.test(row.metric));
  const summary = Object.entries(readRunRecord(dir)?.summary ?? {}).filter(([key]) => !TIMING.test(key));
  return { rows, summary };
};

const differing = [];
let values = 0;
for (const [i, id] of sample.entries()) {
  if (attempts[i].status !== 'finished') {
    differing.push(`${id}: retraining failed: ${attempts[i].error}`);
    continue;
  }
  const original = numbers(path.join(runsDir, id));
  const again = numbers(path.join(scratch, id));
  const a = JSON.stringify(original);
  const b = JSON.stringify(again);
  values += original.rows.length + original.summary.length;
  if (a !== b) {
    const at = original.rows.findIndex((row, k) => JSON.stringify(row) !== JSON.stringify(again.rows[k]));
    differing.push(
      `${id}: first difference at metrics row ${at}: ${JSON.stringify(original.rows[at])} vs ${JSON.stringify(again.rows[at])}`,
    );
  }
}
fs.rmSync(scratch, { recursive: true, force: true });

console.log(
  `${sample.length} of ${finished.length} finished runs in ${runsDir} trained again on the local executor (${executor.description}) in ${seconds.toFixed(0)} s; ` +
    `${values} recorded values compared (timing aside); ${sample.length - differing.length} runs identical, ${differing.length} differ.`,
);
for (const line of differing) console.log(`  ${line}`);
process.exit(differing.length === 0 ? 0 : 1);
