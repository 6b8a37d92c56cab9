/**
 * Colours: as many distinct colours as a nominal legend has entries (none repeated), a Vega
 * scheme's colour at a point, and the text colour that reads on a cell of a given colour.
 */
import { scheme } from 'vega-scale';

/** Vega's default category10 scheme, kept for ten entries or fewer. */
const CATEGORY10 = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];

/**
 * `count` distinct colours: category10 up to ten, beyond that hues evenly spaced around the
 * colour wheel with alternating lightness, so neighbouring hues stay apart.
 */
export function distinctColours(count: number): string[] {
  if (count <= CATEGORY10.length) return CATEGORY10.slice(0, count);
  return Array.from({ length: count }, (_, i) => {
    const hue = Math.round((360 * i) / count);
    const lightness = i % 2 === 0 ? 42 : 30;
    return hslToHex(hue, 0.7, lightness / 100);
  });
}

/** `#rrggbb` of an HSL colour (hue in degrees, saturation and lightness in [0, 1]). */
function hslToHex(hue: number, saturation: number, lightness: number): string {
  const a = saturation * Math.min(lightness, 1 - lightness);
  const channel = (n: number) => {
    const k = (n + hue / 30) % 12;
    const value = lightness - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(value * 255)
      .toString(16)
      .padStart(2, '0');
  };
  return `#${channel(0)}${channel(8)}${channel(4)}`;
}

/** The colour of the Vega scheme `name` (`viridis`, ...) at `t` in [0, 1]. */
export function schemeColour(name: string, t: number): string {
  return (scheme(name) as (t: number) => string)(t);
}

/** WCAG relative luminance of `#rrggbb` or `rgb(r, g, b)`. */
export function relativeLuminance(colour: string): number {
  const channels = colour.startsWith('#')
    ? [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16))
    : (colour.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map(Number);
  const [r, g, b] = channels.map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** Black or white text, whichever contrasts more with a cell of `colour` (WCAG contrast ratio). */
export function textColourOn(colour: string): 'black' | 'white' {
  const luminance = relativeLuminance(colour);
  return (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) ? 'black' : 'white';
}
