/**
 * One oneDNN setting of the bench, in its own process (see oneDnnSettings.ts): the parent set
 * TF_ENABLE_ONEDNN_OPTS and the thread counts in this process's environment before anything
 * here loads TensorFlow. Argument: the bench options as JSON. Prints the outcome as one JSON
 * line on stdout; progress goes to stderr.
 */
import type { ChildBenchOptions } from './oneDnnSettings.js';

const options = JSON.parse(process.argv[2] ?? '{}') as ChildBenchOptions;
const setting = process.env.TF_ENABLE_ONEDNN_OPTS === '0' ? 'off' : 'on';
try {
  const { runBench } = await import('./run.js');
  const outcome = await runBench({
    ...options,
    onProgress: (message) => process.stderr.write(`bench (oneDNN ${setting}): ${message}\n`),
  });
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
} catch (error) {
  process.stderr.write(`bench (oneDNN ${setting}): ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
