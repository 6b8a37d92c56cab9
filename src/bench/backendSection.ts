/** Section 3: the same MLP training on each backend (measured by benchBackends in backends.ts). */
import { benchBackends, type BackendBenchOptions, type BackendBenchResult } from './backends.js';
import { rowMaker, type RowContext, type SectionResult } from './report.js';
import { formatNumber } from '../util/format.js';
import { markdownTable } from '../util/markdown.js';

export async function benchBackendSection(
  options: BackendBenchOptions,
  context: RowContext,
  versionsOf: (backend: string) => string,
): Promise<SectionResult> {
  const results = await benchBackends(options);
  return backendSection(results, context, versionsOf);
}

export function backendSection(
  results: readonly BackendBenchResult[],
  context: RowContext,
  versionsOf: (backend: string) => string,
): SectionResult {
  const row = rowMaker('backends', context);
  const rows = results.flatMap((r) => {
    const workload = `random data mlp 784-256-128-10, model.fit + tf.train.momentum (${r.samples} samples timed)`;
    const cell = {
      backend: r.backend,
      versions: versionsOf(r.backend),
      threads: r.backend === 'cpu' ? 'JS main thread' : context.threads,
    };
    return [
      row(workload, r.backend, 'samples_per_second', r.samplesPerSecond, 'samples/s', cell),
      row(workload, r.backend, 'final_train_loss', r.finalLoss, 'loss', cell),
    ];
  });
  const native = results.find((r) => r.backend === 'tensorflow');
  const table = markdownTable(
    ['backend', 'samples/s', 'timed samples', 'seconds', 'final train loss', 'ratio to tensorflow'],
    results.map((r) => [
      r.backend,
      formatNumber(r.samplesPerSecond),
      String(r.samples),
      formatNumber(r.seconds),
      r.finalLoss.toFixed(4),
      native ? (r.samplesPerSecond / native.samplesPerSecond).toFixed(3) : '',
    ]),
  );
  for (const r of results) {
    if (native && r !== native)
      rows.push(
        row(
          rows[0]?.workload ?? 'mlp',
          `${r.backend} / tensorflow`,
          'ratio_samples_per_second',
          r.samplesPerSecond / native.samplesPerSecond,
          'ratio',
        ),
      );
  }
  const missing = native
    ? ''
    : '\n\nThe tensorflow backend is not available in this process (see `npx inertia doctor`), so only cpu was measured.';
  const markdown = `${table}\n\nMLP 784-256-128-10 on seeded random data, batch ${results[0]?.batchSize ?? '?'}, \`model.fit\` with tf.train.momentum, one warm-up batch, whole epochs until the time budget passed (src/bench/backends.ts).${missing}`;
  return { section: 'backends', title: '3. Backends: tensorflow (native) vs cpu (pure JS)', rows, markdown };
}
