/**
 * TensorBoard event files for a run, written through tfjs-node's summaryFileWriter (native
 * backend only: the event files need TensorFlow's C library).
 */
import { currentBackend, tf } from '../backend.js';
import type { MetricRow } from './metrics.js';

interface SummaryWriter {
  scalar(name: string, value: number, step: number): void;
  flush(): void;
}

/** A writer on `dir`, or null on the cpu backend. */
function createSummaryWriter(dir: string): SummaryWriter | null {
  const node = (tf as unknown as { node?: { summaryFileWriter?: (logdir: string) => SummaryWriter } }).node;
  if (currentBackend() !== 'tensorflow' || node?.summaryFileWriter === undefined) return null;
  return node.summaryFileWriter(dir);
}

/**
 * Writes metric rows as TensorBoard scalars `<split>/<metric>` (non-finite values skipped);
 * a no-op on the cpu backend. tfjs-node keeps every writer open for the life of the process
 * (5 small tensors each), so sweeps of many runs leave TensorBoard off.
 */
export class TensorboardWriter {
  private readonly writer: SummaryWriter | null;

  constructor(dir: string) {
    this.writer = createSummaryWriter(dir);
  }

  write(rows: readonly MetricRow[]): void {
    if (!this.writer) return;
    for (const row of rows) {
      if (Number.isFinite(row.value)) this.writer.scalar(`${row.split}/${row.metric}`, row.value, row.step);
    }
    this.writer.flush();
  }
}
