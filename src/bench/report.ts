/**
 * The bench's output folder: `bench.csv` (long format, one measurement a row, every row
 * carrying backend, versions, threads and machine) and `bench.md` (one table a section).
 */
import fs from 'node:fs';
import path from 'node:path';
import { machineLabel, type MachineInfo } from './machine.js';
import { writeCsvAtomic } from '../util/csv.js';

export const SECTION_NAMES = ['optimizer', 'training', 'backends', 'peers', 'fit'] as const;
export type SectionName = (typeof SECTION_NAMES)[number];

/** One measurement. `workload` is what ran, `system` who ran it. */
export interface BenchRow {
  section: SectionName;
  workload: string;
  system: string;
  metric: string;
  value: number;
  unit: string;
  backend: string;
  versions: string;
  threads: string;
  machine: string;
}

export const BENCH_COLUMNS = [
  'section',
  'workload',
  'system',
  'metric',
  'value',
  'unit',
  'backend',
  'versions',
  'threads',
  'machine',
] as const;

/** What a section returns: its rows, its markdown (a table and notes) and, if it could not run, why. */
export interface SectionResult {
  section: SectionName;
  title: string;
  rows: BenchRow[];
  markdown: string;
}

export interface BenchHeader {
  command: string;
  startedAt: string;
  seconds: number;
  machine: MachineInfo;
  backend: string;
  versions: string;
  threads: string;
  gitCommit: string | null;
}

/** bench.md: the header, then `preface` (markdown, e.g. the goals table) if given, then one part per section. */
export function benchMarkdown(header: BenchHeader, sections: readonly SectionResult[], preface?: string): string {
  const [one, five, fifteen] = header.machine.loadAverage.map((load) => load.toFixed(2));
  const lines = [
    '# inertia bench',
    '',
    `Command: \`${header.command}\``,
    '',
    `- started ${header.startedAt}, took ${header.seconds.toFixed(0)} s; git commit ${header.gitCommit ?? 'unknown'}`,
    `- machine: ${machineLabel(header.machine)}, node ${header.machine.node}; load average at start ${one} / ${five} / ${fifteen} (1 / 5 / 15 min)`,
    `- backend: ${header.backend}; ${header.versions}; threads: ${header.threads}`,
    '',
  ];
  if (preface) lines.push(preface.trim(), '');
  for (const section of sections) lines.push(`## ${section.title}`, '', section.markdown.trim(), '');
  return lines.join('\n');
}

/** Writes bench.csv, bench.md (the goals table first) and goals.md (the table alone, to paste) into the bench's folder `dir`. */
export async function writeBenchFolder(
  dir: string,
  header: BenchHeader,
  sections: readonly SectionResult[],
  goalsTable: string,
): Promise<{ csv: string; markdown: string; goals: string }> {
  fs.mkdirSync(dir, { recursive: true });
  const csv = path.join(dir, 'bench.csv');
  await writeCsvAtomic(
    csv,
    BENCH_COLUMNS,
    sections.flatMap((section) => section.rows),
  );
  const markdown = path.join(dir, 'bench.md');
  fs.writeFileSync(markdown, benchMarkdown(header, sections, `## Goals\n\n${goalsTable}`));
  const goals = path.join(dir, 'goals.md');
  fs.writeFileSync(goals, `${goalsTable.trim()}\n`);
  return { csv, markdown, goals };
}

/** The columns every row of one system shares (backend, versions, threads, machine). */
export type RowContext = Pick<BenchRow, 'backend' | 'versions' | 'threads' | 'machine'>;

/** Makes rows of one section with a shared context; `context` overrides per row (peers). */
export function rowMaker(section: SectionName, base: RowContext) {
  return (
    workload: string,
    system: string,
    metric: string,
    value: number,
    unit: string,
    context: Partial<RowContext> = {},
  ): BenchRow => ({
    section,
    workload,
    system,
    metric,
    value,
    unit,
    ...base,
    ...context,
  });
}
