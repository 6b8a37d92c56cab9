/**
 * One-dimensional minimisation over a positive step c that may span many orders of
 * magnitude: a log-spaced scan brackets the best grid point (the loss along a ray need not
 * be unimodal, so the scan, not a local method, decides which basin), then golden-section
 * search on log c refines it inside the neighbouring grid points.
 */
export interface LineSearchOptions {
  /** Smallest and largest c scanned (both > 0). */
  low: number;
  high: number;
  /** Points of the log-spaced scan (default 25). */
  gridPoints?: number;
  /** Golden-section iterations after the scan (default 20: the bracket shrinks by 0.618^20). */
  refineIterations?: number;
}

export interface LineSearchResult {
  /** argmin_c f(c) as found. */
  best: number;
  value: number;
  /** True when the best point is an end of the scanned range (the minimum may lie outside it). */
  atBoundary: boolean;
  /** The scan: every (c, f(c)) in increasing c. */
  scan: { c: number; value: number }[];
}

function logGrid(low: number, high: number, count: number): number[] {
  const a = Math.log(low);
  const b = Math.log(high);
  return Array.from({ length: count }, (_, i) => Math.exp(a + ((b - a) * i) / (count - 1)));
}

/** NaN and infinities count as worse than any finite value. */
function worse(a: number, b: number): boolean {
  if (!Number.isFinite(a)) return true;
  return Number.isFinite(b) && a > b;
}

function goldenSection(f: (c: number) => number, low: number, high: number, iterations: number) {
  const ratio = (Math.sqrt(5) - 1) / 2;
  let a = Math.log(low);
  let b = Math.log(high);
  let x1 = b - ratio * (b - a);
  let x2 = a + ratio * (b - a);
  let f1 = f(Math.exp(x1));
  let f2 = f(Math.exp(x2));
  for (let i = 0; i < iterations; i++) {
    if (worse(f2, f1)) {
      b = x2;
      x2 = x1;
      f2 = f1;
      x1 = b - ratio * (b - a);
      f1 = f(Math.exp(x1));
    } else {
      a = x1;
      x1 = x2;
      f1 = f2;
      x2 = a + ratio * (b - a);
      f2 = f(Math.exp(x2));
    }
  }
  return worse(f2, f1) ? { c: Math.exp(x1), value: f1 } : { c: Math.exp(x2), value: f2 };
}

export function minimiseOverLogStep(f: (c: number) => number, options: LineSearchOptions): LineSearchResult {
  const { low, high } = options;
  if (!(low > 0 && high > low))
    throw new Error(`Invalid line-search range [${low}, ${high}] (expected 0 < low < high)`);
  const count = options.gridPoints ?? 25;
  const scan = logGrid(low, high, count).map((c) => ({ c, value: f(c) }));
  let index = 0;
  scan.forEach((point, i) => {
    if (worse(scan[index].value, point.value)) index = i;
  });
  const atBoundary = index === 0 || index === count - 1;
  if (atBoundary || !Number.isFinite(scan[index].value)) {
    return { best: scan[index].c, value: scan[index].value, atBoundary, scan };
  }
  const refined = goldenSection(f, scan[index - 1].c, scan[index + 1].c, options.refineIterations ?? 20);
  const best = worse(refined.value, scan[index].value) ? scan[index] : refined;
  return { best: best.c, value: best.value, atBoundary, scan };
}
