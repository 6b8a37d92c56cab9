/**
 * What each experiment of a study cost: its runs, the wall time of its training and of its
 * analysis (probes, line searches, plots), the CPU time of this process and its worker
 * processes, and the machine's load when it started. The report prints these so a preset can
 * be sized from measurements, and so a reader sees how busy the machine was.
 */
import fs from 'node:fs';
import os from 'node:os';
import { median } from '../util/stats.js';

export interface ExperimentTiming {
  id: string;
  /** Runs the experiment planned (trained now or resumed). */
  runs: number;
  /** Runs trained now (not read back from an earlier study). */
  trained: number;
  trainingSeconds: number;
  analysisSeconds: number;
  /** User + system CPU seconds of this process and its worker processes over the experiment. */
  cpuSeconds: number;
  /** Median wall seconds of one trained run, as the run measured itself (NaN when none was trained). */
  medianRunSeconds: number;
  /** One-minute load average when the experiment started (0 where the platform has none). */
  load: number;
}

/** Linux reports process times in clock ticks of USER_HZ, which is 100 on every architecture Node runs on. */
const TICKS_PER_SECOND = 100;

function procTicks(pid: number | 'self'): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3; utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

function childPids(): number[] {
  try {
    return fs
      .readdirSync('/proc/self/task')
      .flatMap((task) => fs.readFileSync(`/proc/self/task/${task}/children`, 'utf8').trim().split(/\s+/))
      .filter((pid) => pid !== '')
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * CPU seconds used so far by this process and its live child processes (the worker pool).
 * Without /proc (not Linux) only this process counts. A worker replaced mid-way loses its
 * ticks, so the figure is a lower bound then.
 */
export function processTreeCpuSeconds(): number {
  if (!fs.existsSync('/proc/self/stat')) {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1e6;
  }
  const ticks = procTicks('self') + childPids().reduce((sum, pid) => sum + procTicks(pid), 0);
  return ticks / TICKS_PER_SECOND;
}

/** Starts timing one experiment; call the returned functions when its training ends and when its analysis ends. */
export function startTiming(id: string): {
  trainingDone(): void;
  finish(runs: number, trainedRunSeconds: readonly number[]): ExperimentTiming;
} {
  const load = os.loadavg()[0];
  const cpuStart = processTreeCpuSeconds();
  const started = performance.now();
  let trainingEnded = started;
  return {
    trainingDone() {
      trainingEnded = performance.now();
    },
    finish(runs, trainedRunSeconds) {
      const now = performance.now();
      return {
        id,
        runs,
        trained: trainedRunSeconds.length,
        medianRunSeconds: median(trainedRunSeconds),
        trainingSeconds: (trainingEnded - started) / 1000,
        analysisSeconds: (now - trainingEnded) / 1000,
        cpuSeconds: processTreeCpuSeconds() - cpuStart,
        load,
      };
    },
  };
}

/** The report's table of costs per experiment, with a total row. */
export function timingTable(timings: readonly ExperimentTiming[]): { columns: string[]; rows: (string | number)[][] } {
  const sum = (pick: (t: ExperimentTiming) => number) => timings.reduce((total, t) => total + pick(t), 0);
  const row = (t: ExperimentTiming, load: string) => [
    t.id,
    t.runs,
    t.trained,
    t.trainingSeconds.toFixed(1),
    t.analysisSeconds.toFixed(1),
    t.cpuSeconds.toFixed(1),
    Number.isFinite(t.medianRunSeconds) ? t.medianRunSeconds.toFixed(2) : '',
    t.trained > 0 ? (t.trainingSeconds / t.trained).toFixed(2) : '',
    load,
  ];
  return {
    columns: [
      'experiment',
      'runs',
      'trained now',
      'training wall s',
      'analysis wall s',
      'CPU s (all processes)',
      'median s of one run',
      'training wall s per trained run',
      'load (1 min) at start',
    ],
    rows: [
      ...timings.map((t) => row(t, t.load.toFixed(2))),
      row(
        {
          id: '**total**',
          runs: sum((t) => t.runs),
          trained: sum((t) => t.trained),
          trainingSeconds: sum((t) => t.trainingSeconds),
          analysisSeconds: sum((t) => t.analysisSeconds),
          cpuSeconds: sum((t) => t.cpuSeconds),
          medianRunSeconds: NaN,
          load: 0,
        },
        '',
      ),
    ],
  };
}
