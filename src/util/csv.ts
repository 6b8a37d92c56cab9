/**
 * CSV files (study tables, comparisons) are written atomically (temporary file, fsync,
 * rename), so an interrupted study never leaves a half-written CSV behind.
 */
import { createObjectCsvStringifier } from 'csv-writer';
import { writeFileAtomic } from './fs.js';

export async function writeCsvAtomic(
  file: string,
  columns: readonly string[],
  rows: readonly Record<string, unknown>[],
): Promise<void> {
  const stringifier = createObjectCsvStringifier({ header: columns.map((id) => ({ id, title: id })) });
  writeFileAtomic(file, `${columns.join(',')}\n${stringifier.stringifyRecords(rows as Record<string, unknown>[])}`);
}

/** The union of the keys of `rows`, in first-seen order. */
export function columnsOf(rows: readonly Record<string, unknown>[]): string[] {
  const columns = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) columns.add(key);
  return [...columns];
}
