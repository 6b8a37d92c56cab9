/**
 * The comparison figure of one metric: a line per setting (runs that differ only in their seed
 * share it and its colour) at the mean over seeds, a band from the lowest to the highest seed,
 * and a cross where a diverged run ended.
 */
import type { VegaLiteSpec } from '../plot/chart.js';
import { distinctColours } from '../plot/palette.js';
import type { StepPoint } from './series.js';

/** One run's point, with the setting it belongs to. */
export interface ChartPoint extends StepPoint {
  run: string;
  setting: string;
}

/** A setting at one step: the mean over its seeds and their range. */
export interface SettingPoint {
  setting: string;
  step: number;
  /** Mean of the seeds' x (they differ on the training-seconds axis). */
  x: number;
  value: number;
  low: number;
  high: number;
  /** How many seeds have a value at this step. */
  n: number;
}

export interface CompareChartOptions {
  title: string;
  xTitle: string;
  yTitle: string;
  legendTitle: string;
  /** The legend's entries, in order: one colour each. */
  settings: readonly string[];
  logY: boolean;
}

export const DIVERGED_MARKER = 'diverged (line ends there)';

/** Mean and range over the runs of each setting at each step, in order of setting then step. */
export function settingPoints(points: readonly ChartPoint[]): SettingPoint[] {
  const groups = new Map<string, Map<number, ChartPoint[]>>();
  for (const point of points) {
    const bySetting = groups.get(point.setting) ?? new Map<number, ChartPoint[]>();
    groups.set(point.setting, bySetting);
    bySetting.set(point.step, [...(bySetting.get(point.step) ?? []), point]);
  }
  return [...groups].flatMap(([setting, bySetting]) =>
    [...bySetting]
      .sort(([a], [b]) => a - b)
      .map(([step, group]) => {
        const values = group.map((point) => point.value);
        return {
          setting,
          step,
          x: group.reduce((sum, point) => sum + point.x, 0) / group.length,
          value: values.reduce((sum, value) => sum + value, 0) / values.length,
          low: Math.min(...values),
          high: Math.max(...values),
          n: group.length,
        };
      }),
  );
}

export function compareChart(
  points: readonly ChartPoint[],
  diverged: readonly ChartPoint[],
  options: CompareChartOptions,
): VegaLiteSpec {
  const x = { field: 'x', type: 'quantitative', title: options.xTitle, scale: { zero: false } };
  const yScale = options.logY ? { type: 'log' } : { zero: false };
  const y = { field: 'value', type: 'quantitative', title: options.yTitle, scale: yScale };
  const color = {
    field: 'setting',
    type: 'nominal',
    title: options.legendTitle,
    scale: { domain: options.settings, range: distinctColours(options.settings.length) },
    legend: { symbolLimit: options.settings.length, columns: options.settings.length > 20 ? 2 : 1 },
  };
  const summary = settingPoints(points);
  const layers: object[] = [
    {
      data: { values: summary.filter((point) => point.n > 1) },
      mark: { type: 'area', opacity: 0.2, clip: true },
      encoding: { x, y: { ...y, field: 'low' }, y2: { field: 'high' }, color },
    },
    {
      data: { values: summary },
      mark: { type: 'line', clip: true },
      encoding: { x, y, color },
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
