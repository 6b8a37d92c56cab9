/**
 * The comparison figure of one metric: a line per run coloured by its label (runs of one
 * setting share a colour), a cross where a diverged run ended.
 */
import type { VegaLiteSpec } from '../plot/chart.js';
import type { Point } from './series.js';

export interface ChartPoint extends Point {
  run: string;
  label: string;
}

export interface CompareChartOptions {
  title: string;
  xTitle: string;
  yTitle: string;
  legendTitle: string;
  logY: boolean;
}

export const DIVERGED_MARKER = 'diverged (line ends there)';

export function compareChart(
  points: readonly ChartPoint[],
  diverged: readonly ChartPoint[],
  options: CompareChartOptions,
): VegaLiteSpec {
  const x = { field: 'x', type: 'quantitative', title: options.xTitle, scale: { zero: false } };
  const y = {
    field: 'value',
    type: 'quantitative',
    title: options.yTitle,
    scale: options.logY ? { type: 'log' } : { zero: false },
  };
  const color = { field: 'label', type: 'nominal', title: options.legendTitle };
  const layers: object[] = [
    {
      data: { values: points },
      mark: { type: 'line', clip: true },
      encoding: { x, y, color, detail: { field: 'run', type: 'nominal' } },
    },
  ];
  if (diverged.length > 0) {
    layers.push({
      data: { values: diverged.map((point) => ({ ...point, marker: DIVERGED_MARKER })) },
      mark: { type: 'point', filled: true, size: 160, clip: true },
      encoding: {
        x,
        y,
        color,
        shape: { field: 'marker', type: 'nominal', title: null, scale: { range: ['cross'] } },
      },
    });
  }
  return { title: options.title, width: 480, height: 300, layer: layers } as unknown as VegaLiteSpec;
}
