/** `inertia compare`: overlays runs from any source and writes figures and tables. */
import { compare, type CompareResult } from '../compare/index.js';
import { filesWrittenSince } from '../compare/compare.js';
import type { CompareArgs } from './compareOptions.js';

export async function compareCommand(args: CompareArgs): Promise<CompareResult> {
  return compare({
    runs: args.runs,
    metrics: args.metric,
    x: args.x,
    label: args.label,
    smooth: args.smooth,
    logY: args['log-y'],
    out: args.out,
    force: args.force,
  });
}

export function formatCompare(result: CompareResult): string {
  const diverged = result.runs.filter((run) => run.status === 'diverged');
  const legend = result.labelFields.length > 0 ? result.labelFields.join(', ') : 'run ids (no field differs)';
  return [
    `${result.runs.length} runs compared (legend: ${legend}${diverged.length > 0 ? `; ${diverged.length} diverged` : ''})`,
    ...result.figures.map((figure) => `  ${figure.metric}: ${figure.svg}, ${figure.png}, ${figure.spec}`),
    `  every row: ${result.csv}`,
    `  final metrics: ${result.table.markdown}, ${result.table.csv}`,
  ].join('\n');
}

/** The line for a comparison stopped by `signal`: which of its files `out` holds, and that it is incomplete. */
export function stoppedCompareLine(signal: string, out: string, sinceMs: number): string {
  const written = filesWrittenSince(out, sinceMs);
  const what =
    written.length === 0
      ? 'no file of this comparison was written yet'
      : `${out} holds ${written.length} file${written.length > 1 ? 's' : ''} of this comparison (${written.join(', ')}) but not all of them`;
  return `inertia: stopped by ${signal}; ${what}; rerun the same command to write the comparison`;
}
