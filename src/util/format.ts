/**
 * How numbers and times are written for people (reports, tables, prose, folder names): one
 * policy for the whole project, so the same value reads the same in the study, the bench,
 * a sweep and a comparison.
 */

/**
 * `value` with `digits` significant digits, trailing zeros dropped (0.5, 0.123); magnitudes
 * from 1000 up as whole numbers with thousands separators (12,345), from 1e9 up and below 1e-3
 * in exponent form (1.23e-4); zero as `0`; NaN and infinities as JavaScript prints them.
 */
export function formatNumber(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude === 0) return '0';
  if (magnitude < 1e-3 || magnitude >= 1e9) return value.toExponential(digits - 1);
  if (magnitude >= 1000) return Math.round(value).toLocaleString('en-US');
  return Number(value.toPrecision(digits)).toString();
}

/** A fraction as a percentage with `decimals` decimals (`81.2%`); `n/a` when it is not finite. */
export function formatPercent(fraction: number, decimals = 1): string {
  return Number.isFinite(fraction) ? `${(100 * fraction).toFixed(decimals)}%` : 'n/a';
}

/**
 * A UTC time as `YYYYMMDD-HHMMSS` (`20261130-104500`): sorts in time order and is safe in
 * a folder name on every file system (run ids, bench folders).
 */
export function compactTimestamp(time: Date): string {
  return time.toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
}

/** A size in bytes with a binary unit and 3 significant digits: `512 B`, `1.5 KiB`, `296 GiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${formatNumber(value)} ${units[unit]}`;
}
