import { describe, expect, it } from 'vitest';
import { EXPERIMENTS } from '../../src/study/experiments/index.js';
import { PRESETS } from '../../src/study/presets.js';
import { BREADTH } from '../../src/study/breadthPreset.js';
import { costSection } from '../../src/study/report.js';
import { plannedRuns } from '../../src/study/study.js';
import { processTreeCpuSeconds, timingTable, type ExperimentTiming } from '../../src/study/timing.js';
import { trimmedRelativeToFull } from '../../src/study/trimmed.js';

describe('what a preset trims relative to the full preset', () => {
  const trimmed = trimmedRelativeToFull(PRESETS.default, EXPERIMENTS, 8000);

  it('lists the planned runs of every experiment for both presets, with totals equal to the plans', () => {
    expect(trimmed.runs.rows.map((row) => row[0])).toEqual([...EXPERIMENTS.map((e) => e.id), '**total**']);
    expect(trimmed.runs.rows.at(-1)).toEqual([
      '**total**',
      plannedRuns(PRESETS.default, EXPERIMENTS, 8000),
      plannedRuns(PRESETS.full, EXPERIMENTS, 8000),
    ]);
  });

  it('lists exactly the settings that differ, with both values read from the definitions', () => {
    const rows = new Map(trimmed.settings.rows.map((row) => [row[0], row.slice(1)]));
    expect(rows.get('seeds per compared configuration')).toEqual([
      String(PRESETS.default.seeds),
      String(PRESETS.full.seeds),
    ]);
    expect(rows.get('CNN in experiment E')).toEqual(['no', 'yes']);
    // Loss scales print as powers of two, with their count.
    expect(rows.get('loss scales of experiments A-D')?.[1]).toBe(
      `${BREADTH.full.scales.map((s) => (s === 1 ? '1' : `2^${Math.log2(s)}`)).join(', ')} (${BREADTH.full.scales.length})`,
    );
    // Settings equal in both presets are not listed.
    expect(PRESETS.default.batchSize).toBe(PRESETS.full.batchSize);
    expect(rows.has('batch size')).toBe(false);
  });

  it('is empty for the full preset itself', () => {
    const self = trimmedRelativeToFull(PRESETS.full, EXPERIMENTS, 8000);
    expect(self.settings.rows).toEqual([]);
  });
});

describe('runs and time per experiment', () => {
  const timings: ExperimentTiming[] = [
    {
      id: 'a',
      runs: 4,
      trained: 4,
      trainingSeconds: 10,
      analysisSeconds: 1,
      cpuSeconds: 20,
      medianRunSeconds: 4.5,
      load: 1.5,
    },
    {
      id: 'b',
      runs: 0,
      trained: 0,
      trainingSeconds: 0,
      analysisSeconds: 3,
      cpuSeconds: 2.5,
      medianRunSeconds: NaN,
      load: 2,
    },
  ];

  it('has a row per experiment and a total', () => {
    const table = timingTable(timings);
    expect(table.rows).toHaveLength(3);
    expect(table.rows[0]).toEqual(['a', 4, 4, '10.0', '1.0', '20.0', '4.50', '2.50', '1.50']);
    expect(table.rows[1][6]).toBe('');
    expect(table.rows[2]).toEqual(['**total**', 4, 4, '10.0', '4.0', '22.5', '', '2.50', '']);
  });

  it('prints the trims section only when there is something trimmed', () => {
    const trimmed = trimmedRelativeToFull(PRESETS.quick, EXPERIMENTS, 8000);
    expect(costSection({ timings }).join('\n')).not.toContain('trims');
    expect(costSection({ timings, trimmed }).join('\n')).toContain(
      'What this preset trims relative to the full preset',
    );
  });

  it('counts CPU time of this process', () => {
    const before = processTreeCpuSeconds();
    let x = 0;
    for (let i = 0; i < 3e7; i++) x += Math.sqrt(i);
    expect(x).toBeGreaterThan(0);
    expect(processTreeCpuSeconds()).toBeGreaterThan(before);
  });
});
