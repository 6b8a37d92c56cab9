/**
 * The bench with oneDNN on and off in one run. TensorFlow reads TF_ENABLE_ONEDNN_OPTS once,
 * when the library loads, so each setting needs its own process: this module runs every
 * section in a child process per setting (dist/bench/settingChild.js), interleaved so that a
 * change of machine load falls on both settings alike (section 1: on, off; section 2: off, on;
 * ...), then merges the children's rows into one bench folder with the goals table.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineInfo, threadsLabel } from './machine.js';
import { goalsMarkdown, type SettingRows } from './goals.js';
import { writeBenchFolder, type SectionName, type SectionResult } from './report.js';
import type { BenchOptions, BenchOutcome } from './run.js';
import { gitCommit } from '../util/provenance.js';

export const ONEDNN_SETTINGS = ['on', 'off'] as const;
export type OneDnnChoice = (typeof ONEDNN_SETTINGS)[number];

/** What a setting child gets: the bench options that survive JSON (no callbacks). */
export type ChildBenchOptions = Omit<BenchOptions, 'onProgress' | 'createCustomOptimizer'>;

const CHILD_FILE = fileURLToPath(new URL('./settingChild.js', import.meta.url));

/** The order of the settings for the i-th section: alternating, so neither setting always runs first. */
export function interleavedOrder<T>(settings: readonly T[], index: number): T[] {
  return index % 2 === 0 ? [...settings] : [...settings].reverse();
}

/** Runs one bench child with TF_ENABLE_ONEDNN_OPTS set before TensorFlow loads; resolves with its outcome. */
function runChild(setting: OneDnnChoice, options: ChildBenchOptions): Promise<BenchOutcome> {
  if (!fs.existsSync(CHILD_FILE) || !CHILD_FILE.endsWith('.js')) {
    return Promise.reject(new Error('oneDNN settings need the compiled CLI (npm run build)'));
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD_FILE, JSON.stringify(options)], {
      env: { ...process.env, TF_ENABLE_ONEDNN_OPTS: setting === 'on' ? '1' : '0' },
      // Progress and errors go straight to this process's stderr; the outcome is one JSON line on stdout.
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (stdout += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const line = stdout.trim().split('\n').at(-1);
      if (code === 0 && line) resolve(JSON.parse(line) as BenchOutcome);
      else
        reject(
          new Error(
            `the bench process with oneDNN ${setting} failed (${signal ?? `exit ${code}`}); its error is above`,
          ),
        );
    });
  });
}

/** Each section's results under one heading per setting, rows of both. */
function mergeSections(
  sections: readonly SectionName[],
  bySetting: ReadonlyMap<OneDnnChoice, SectionResult[]>,
): SectionResult[] {
  return sections.map((name) => {
    const parts = [...bySetting.entries()].flatMap(([setting, results]) =>
      results.filter((r) => r.section === name).map((r) => ({ setting, result: r })),
    );
    return {
      section: name,
      title: parts[0]?.result.title ?? name,
      rows: parts.flatMap((p) => p.result.rows),
      markdown: parts.map((p) => `### oneDNN ${p.setting}\n\n${p.result.markdown.trim()}`).join('\n\n'),
    };
  });
}

export async function runBenchAcrossOneDnn(
  options: ChildBenchOptions & { settings: readonly OneDnnChoice[]; onProgress?: (message: string) => void },
  dir: string,
): Promise<BenchOutcome> {
  const started = new Date();
  const machine = machineInfo();
  const { settings, onProgress, ...childOptions } = options;
  const bySetting = new Map<OneDnnChoice, SectionResult[]>(settings.map((s) => [s, []]));
  const versions = new Set<string>();
  for (const [index, section] of options.sections.entries()) {
    for (const setting of interleavedOrder(settings, index)) {
      onProgress?.(`${section} with oneDNN ${setting} (its own process)`);
      const outcome = await runChild(setting, {
        ...childOptions,
        sections: [section],
        outRoot: path.join(dir, `onednn-${setting}`),
      });
      bySetting.get(setting)!.push(...outcome.sections);
      for (const r of outcome.sections.flatMap((s) => s.rows)) if (r.backend === 'tensorflow') versions.add(r.versions);
    }
  }
  const sections = mergeSections(options.sections, bySetting);
  const dataset = options.datasets?.[0] ?? 'mnist-digits';
  const goals = goalsMarkdown(
    dataset,
    settings.map((setting): SettingRows => ({ setting, rows: bySetting.get(setting)!.flatMap((s) => s.rows) })),
    machine,
    { smoke: options.smoke },
  );
  const header = {
    command: options.command,
    startedAt: started.toISOString(),
    seconds: (Date.now() - started.getTime()) / 1000,
    machine,
    backend: 'tensorflow',
    versions: `${[...versions].join(' | ') || 'see the rows'} (one process per oneDNN setting, sections interleaved)`,
    threads: options.threads ? threadsLabel(options.threads) : 'TensorFlow defaults (all cores)',
    gitCommit: gitCommit(),
  };
  return { dir, ...(await writeBenchFolder(dir, header, sections, goals)), sections };
}
