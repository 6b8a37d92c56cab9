/**
 * Charts are Vega-Lite specs rendered headless: vega writes the SVG (no canvas needed) and
 * resvg rasterises it to PNG, so every plot exists as both `name.svg` and `name.png`.
 * vega and vega-lite are loaded when the first chart is drawn: vega's canvas module awaits at
 * its top level, which would make `require('inertia')` fail, and neither is needed before.
 */
import type * as vegaLite from 'vega-lite';
import { Resvg } from '@resvg/resvg-js';
import { writeFileAtomic } from '../util/fs.js';

export type VegaLiteSpec = vegaLite.TopLevelSpec;

export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vegaLite.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export function svgToPng(svg: string, scale = 2): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}

/** The spec with the look every inertia chart shares (white background, legend titles and labels never cut off). */
export function withDefaults(spec: VegaLiteSpec): VegaLiteSpec {
  return { background: 'white', config: { legend: { labelLimit: 0, titleLimit: 0 } }, ...spec } as VegaLiteSpec;
}

/**
 * Writes `<basePath>.svg` and `<basePath>.png`, and with `saveSpec` the Vega-Lite spec as
 * `<basePath>.vl.json` (to restyle in the Vega editor); returns their paths.
 */
export async function writeChart(
  spec: VegaLiteSpec,
  basePath: string,
  options: { saveSpec?: boolean } = {},
): Promise<{ svg: string; png: string; spec?: string }> {
  const full = withDefaults(spec);
  const svg = await renderSvg(full);
  const files = { svg: `${basePath}.svg`, png: `${basePath}.png` };
  writeFileAtomic(files.svg, svg);
  writeFileAtomic(files.png, svgToPng(svg));
  if (!options.saveSpec) return files;
  const specFile = `${basePath}.vl.json`;
  writeFileAtomic(specFile, `${JSON.stringify(full, null, 2)}\n`);
  return { ...files, spec: specFile };
}

export interface LineChartOptions {
  title: string;
  x: { field: string; title: string; log?: boolean };
  /** `domain` fixes the axis range; lines leaving it are clipped (e.g. a diverging run). */
  y: { field: string; title: string; log?: boolean; domain?: [number, number] };
  /** `sort` orders the legend (for example numerically, where the field's labels would sort as text). */
  color?: { field: string; title: string; sort?: readonly string[] };
  strokeDash?: { field: string; title: string };
  /** `sharedY`: panels that are compared share their y axis (default: each panel its own). */
  facet?: { field: string; title: string; columns?: number; sharedY?: boolean };
  /** Fields holding each point's interval: drawn as a band of the line's colour behind it. */
  band?: { low: string; high: string };
  /**
   * Points, not a line: for an x whose values are separate cases (settings numbered in a table),
   * where a line between neighbours would suggest values in between. The band becomes an error
   * bar at each point.
   */
  points?: boolean;
  width?: number;
  height?: number;
}

/** A line chart of `values` (plain objects), coloured and optionally faceted by fields. */
export function lineChart(values: readonly object[], options: LineChartOptions): VegaLiteSpec {
  const scale = (log?: boolean) => (log ? { type: 'log' as const } : { zero: false });
  const encoding: Record<string, unknown> = {
    x: { field: options.x.field, type: 'quantitative', title: options.x.title, scale: scale(options.x.log) },
    y: {
      field: options.y.field,
      type: 'quantitative',
      title: options.y.title,
      scale: { ...scale(options.y.log), ...(options.y.domain ? { domain: options.y.domain } : {}) },
    },
  };
  if (options.color) {
    encoding.color = {
      field: options.color.field,
      type: 'nominal',
      title: options.color.title,
      ...(options.color.sort ? { sort: [...options.color.sort] } : {}),
    };
  }
  if (options.strokeDash)
    encoding.strokeDash = { field: options.strokeDash.field, type: 'nominal', title: options.strokeDash.title };
  const line = options.points
    ? { mark: { type: 'point' as const, filled: true, size: 50, clip: true }, encoding }
    : { mark: { type: 'line' as const, clip: true }, encoding };
  const size = { width: options.width ?? 420, height: options.height ?? 260 };
  const unit = options.band
    ? {
        ...size,
        layer: [
          {
            mark: options.points
              ? { type: 'rule' as const, strokeWidth: 2, opacity: 0.6, clip: true }
              : { type: 'area' as const, opacity: 0.18, clip: true },
            encoding: {
              x: encoding.x,
              y: { ...(encoding.y as object), field: options.band.low },
              y2: { field: options.band.high },
              // The same colour scale as the line: Vega-Lite merges the two into one legend entry per series.
              ...(encoding.color ? { color: encoding.color } : {}),
            },
          },
          line,
        ],
      }
    : { ...size, ...line };
  if (options.facet) {
    return {
      title: options.title,
      data: { values: values as object[] },
      facet: { field: options.facet.field, type: 'nominal', title: options.facet.title },
      columns: options.facet.columns ?? 3,
      spec: unit,
      resolve: { scale: { y: options.facet.sharedY ? 'shared' : 'independent' } },
    } as VegaLiteSpec;
  }
  return { title: options.title, data: { values: values as object[] }, ...unit } as VegaLiteSpec;
}
