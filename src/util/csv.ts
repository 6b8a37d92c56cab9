/**
 * CSV files (study tables, comparisons) are written to a temporary file and renamed into place, so an
 * interrupted study never leaves a half-written CSV behind.
 */
import fs from 'node:fs';
import { createObjectCsvWriter } from 'csv-writer';

export async function writeCsvAtomic(
  file: string,
  columns: readonly string[],
  rows: readonly Record<string, unknown>[],
): Promise<void> {
  const temporary = `${file}.tmp-${process.pid}`;
  const writer = createObjectCsvWriter({ path: temporary, header: columns.map((id) => ({ id, title: id })) });
  await writer.writeRecords(rows as Record<string, unknown>[]);
  if (rows.length === 0) fs.writeFileSync(temporary, `${columns.join(',')}\n`);
  fs.renameSync(temporary, file);
}

/** The union of the keys of `rows`, in first-seen order. */
export function columnsOf(rows: readonly Record<string, unknown>[]): string[] {
  const columns = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) columns.add(key);
  return [...columns];
}
