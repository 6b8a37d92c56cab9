/**
 * Every CSV this project reads or writes goes through here (csv-parse and csv-stringify, one
 * project for both directions, so what one writes the other reads back: quoting, commas and
 * newlines inside fields). Files are written atomically (temporary file, fsync, rename), so an
 * interrupted study never leaves a half-written CSV behind.
 */
import fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { UserError } from './errors.js';
import { writeFileAtomic } from './fs.js';

/**
 * How values become cells: numbers as JavaScript prints them (NaN, Infinity included),
 * booleans as `true`/`false` (csv-stringify's default would write 1 and an empty cell),
 * a missing value as an empty cell.
 */
const CAST = { boolean: (value: boolean) => String(value) };

/** The CSV text of `rows`: a header line of `columns`, then one line per row (`\n` endings). */
export function csvText(
  columns: readonly string[],
  rows: readonly object[],
  options: { header?: boolean } = {},
): string {
  return stringify(rows as Record<string, unknown>[], {
    header: options.header ?? true,
    columns: [...columns],
    cast: CAST,
  });
}

export async function writeCsvAtomic(file: string, columns: readonly string[], rows: readonly object[]): Promise<void> {
  writeFileAtomic(file, csvText(columns, rows));
}

/** A CSV's header and its rows as records keyed by that header; every cell is a string. */
export function parseCsv(text: string): { columns: string[]; rows: Record<string, string>[] } {
  let columns: string[] = [];
  const rows = parse(text, {
    columns: (header: string[]) => (columns = header),
    skip_empty_lines: true,
  }) as Record<string, string>[];
  return { columns, rows };
}

/** Reads the CSV file `file` (see parseCsv); a file that is not valid CSV is a UserError naming it. */
export function readCsv(file: string): { columns: string[]; rows: Record<string, string>[] } {
  const text = fs.readFileSync(file, 'utf8');
  try {
    return parseCsv(text);
  } catch (error) {
    throw new UserError(`${file} is not a valid CSV file: ${(error as Error).message}`, { cause: error });
  }
}

/** The union of the keys of `rows`, in first-seen order. */
export function columnsOf(rows: readonly Record<string, unknown>[]): string[] {
  const columns = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) columns.add(key);
  return [...columns];
}
