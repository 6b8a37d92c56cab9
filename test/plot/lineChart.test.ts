import { describe, expect, it } from 'vitest';
import { lineChart } from '../../src/plot/chart.js';

describe('lineChart', () => {
  const values = [
    { x: 1, mean: 0.5, low: 0.4, high: 0.6, series: 'beta = 0.99' },
    { x: 1, mean: 0.7, low: 0.65, high: 0.75, series: 'beta = 0.9' },
  ];

  it('draws each point interval as a band behind its line, with one legend entry per series in the given order', () => {
    const spec = lineChart(values, {
      title: 't',
      x: { field: 'x', title: 'x' },
      y: { field: 'mean', title: 'y' },
      color: { field: 'series', title: '', sort: ['beta = 0.9', 'beta = 0.99'] },
      band: { low: 'low', high: 'high' },
    }) as unknown as {
      layer: { mark: { type: string }; encoding: Record<string, { field?: string; legend?: null; sort?: string[] }> }[];
    };
    const [band, line] = spec.layer;
    expect(band.mark.type).toBe('area');
    expect(band.encoding.y.field).toBe('low');
    expect(band.encoding.y2.field).toBe('high');
    // The band shares the line's colour encoding, so the legend has one entry per series.
    expect(band.encoding.color).toEqual(line.encoding.color);
    expect(line.mark.type).toBe('line');
    expect(line.encoding.color.sort).toEqual(['beta = 0.9', 'beta = 0.99']);
  });

  it('draws separate cases as points with an error bar each, not as a line', () => {
    const spec = lineChart(values, {
      title: 't',
      x: { field: 'x', title: 'x' },
      y: { field: 'mean', title: 'y' },
      band: { low: 'low', high: 'high' },
      points: true,
    }) as unknown as { layer: { mark: { type: string }; encoding: Record<string, { field?: string }> }[] };
    const [bar, point] = spec.layer;
    expect(bar.mark.type).toBe('rule');
    expect([bar.encoding.y.field, bar.encoding.y2.field]).toEqual(['low', 'high']);
    expect(point.mark.type).toBe('point');
  });

  it('lets compared panels share their y axis', () => {
    const facet = (sharedY: boolean) =>
      lineChart(values, {
        title: 't',
        x: { field: 'x', title: 'x' },
        y: { field: 'mean', title: 'y' },
        facet: { field: 'series', title: '', sharedY },
      }) as unknown as { resolve: { scale: { y: string } } };
    expect(facet(true).resolve.scale.y).toBe('shared');
    expect(facet(false).resolve.scale.y).toBe('independent');
  });
});
