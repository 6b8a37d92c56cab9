/** Colours for nominal legends: as many distinct colours as there are entries, none repeated. */

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
