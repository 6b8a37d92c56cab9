#!/usr/bin/env node
/**
 * Prints MLP (784-256-128-10, batch 128, tf.train.momentum) training samples/s on the
 * `tensorflow` and `cpu` backends, same data, one run. Needs the build (`npm run build`).
 * Usage: node scripts/bench-backends.mjs [samples] [minSeconds]
 */
import { benchBackends } from '../dist/bench/backends.js';
import { backendInfo } from '../dist/backend.js';

const [samples, minSeconds] = process.argv.slice(2).map(Number);
const info = backendInfo();
console.log(
  `MLP 784-256-128-10, batch 128, heavy-ball (tf.train.momentum 0.01, 0.9), random data; TensorFlow ${info.tensorflowVersion ?? '(not loaded)'}`,
);
const results = await benchBackends({ samples: samples || undefined, minSeconds: minSeconds || undefined });
for (const r of results) {
  console.log(
    `${r.backend.padEnd(10)} ${r.samplesPerSecond.toFixed(0).padStart(8)} samples/s  (${r.samples} samples in ${r.seconds.toFixed(2)} s, final loss ${r.finalLoss.toFixed(4)})`,
  );
}
const [native, cpu] = ['tensorflow', 'cpu'].map((name) => results.find((r) => r.backend === name));
if (native && cpu) console.log(`tensorflow / cpu: ${(native.samplesPerSecond / cpu.samplesPerSecond).toFixed(1)}x`);
