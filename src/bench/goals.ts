/**
 * The bench's goals table: inertia's custom training loop against Keras and PyTorch, and the
 * custom optimizer step against tf.train's built-in one, each ratio computed from one bench
 * run's rows for every oneDNN setting it measured, and marked met or missed against its goal.
 */
import { markdownTable } from '../util/markdown.js';
import type { MachineInfo } from './machine.js';
import type { BenchRow } from './report.js';

/** One oneDNN setting's rows (every section the bench ran with it). */
export interface SettingRows {
  setting: 'on' | 'off';
  rows: readonly BenchRow[];
}

export interface Goal {
  /** What is compared, as the goals table names it. */
  cell: string;
  /** met when the ratio is at least `atLeast` (or at most `atMost`). */
  atLeast?: number;
  atMost?: number;
  ratio(rows: readonly BenchRow[]): { value: number; note: string } | { missing: string };
}

/** The custom loop: compiled steps where this binding has them, else eager; the custom heavy-ball, no norm measurements. */
const CUSTOM_LOOPS = ['inertia custom loop (compiled) + heavy-ball', 'inertia custom loop (eager) + heavy-ball'];

function rate(rows: readonly BenchRow[], workloadPrefix: string, system: string): number | undefined {
  return rows.find(
    (r) => r.metric === 'samples_per_second' && r.system === system && r.workload.startsWith(workloadPrefix),
  )?.value;
}

function loopRatio(dataset: string, model: string, peer: 'keras' | 'pytorch') {
  return (rows: readonly BenchRow[]) => {
    const prefix = `${dataset}/${model} `;
    const loop = CUSTOM_LOOPS.find((system) => rate(rows, prefix, system) !== undefined);
    const peerRate = rate(rows, prefix, peer);
    if (!loop) return { missing: `no custom-loop run of ${dataset}/${model}` };
    if (peerRate === undefined) return { missing: `${peer} did not run` };
    const inertia = rate(rows, prefix, loop)!;
    const path = loop.includes('(compiled)') ? 'compiled' : 'eager';
    return {
      value: inertia / peerRate,
      note: `${Math.round(inertia)} / ${Math.round(peerRate)} samples/s (${path})`,
    };
  };
}

/** The largest custom/built-in ratio of median step time over the optimizer pairs on the MLP's variables. */
function stepRatio(compiled: boolean) {
  return (rows: readonly BenchRow[]) => {
    const ratios = rows.filter(
      (r) =>
        r.section === 'optimizer' &&
        r.metric === 'ratio_median_step' &&
        r.workload.startsWith('mlp ') &&
        r.workload.endsWith(', compiled') === compiled,
    );
    if (ratios.length === 0) return { missing: `no ${compiled ? 'compiled' : 'eager'} optimizer-step run` };
    const worst = ratios.reduce((a, b) => (b.value > a.value ? b : a));
    return { value: worst.value, note: `worst of ${ratios.length} pairs: ${worst.system}` };
  };
}

/** samples/s of the compiled custom loop on the MLP with norms every 10 steps over the same loop without norms. */
function normsRatio(dataset: string) {
  return (rows: readonly BenchRow[]) => {
    const prefix = `${dataset}/mlp `;
    const off = rate(rows, prefix, CUSTOM_LOOPS[0]);
    const measured = rate(rows, prefix, `${CUSTOM_LOOPS[0]} (norms every 10)`);
    if (off === undefined || measured === undefined)
      return { missing: `no compiled run of ${dataset}/mlp with and without norms` };
    return { value: measured / off, note: `${Math.round(measured)} / ${Math.round(off)} samples/s` };
  };
}

/** The goals for a dataset (the bench's first dataset in practice). */
export function benchGoals(dataset: string): Goal[] {
  return [
    { cell: 'MLP custom loop / Keras fit', atLeast: 1.5, ratio: loopRatio(dataset, 'mlp', 'keras') },
    { cell: 'MLP custom loop / PyTorch', atLeast: 0.8, ratio: loopRatio(dataset, 'mlp', 'pytorch') },
    { cell: 'CNN custom loop / Keras fit', atLeast: 1.5, ratio: loopRatio(dataset, 'cnn', 'keras') },
    { cell: 'CNN custom loop / PyTorch', atLeast: 1.5, ratio: loopRatio(dataset, 'cnn', 'pytorch') },
    { cell: "custom optimizer step / tf.train's (compiled)", atMost: 1.0, ratio: stepRatio(true) },
    { cell: "custom optimizer step / tf.train's (eager, no goal)", ratio: stepRatio(false) },
    { cell: 'MLP custom loop, norms every 10 / norms off', atLeast: 0.95, ratio: normsRatio(dataset) },
  ];
}

function goalText(goal: Goal): string {
  if (goal.atLeast !== undefined) return `>= ${goal.atLeast.toFixed(2)}`;
  if (goal.atMost !== undefined) return `<= ${goal.atMost.toFixed(2)}`;
  return '';
}

export function judge(goal: Goal, value: number): 'met' | 'missed' | '' {
  if (goal.atLeast !== undefined) return value >= goal.atLeast ? 'met' : 'missed';
  if (goal.atMost !== undefined) return value <= goal.atMost ? 'met' : 'missed';
  return '';
}

const SMOKE_NOTE = ' A smoke run: a few steps on 256 examples, whose timings measure nothing, so no goal is judged.';

/**
 * The goals table as markdown: one row per goal, a measured ratio and met/missed per oneDNN
 * setting; a smoke-sized bench (`smoke`) shows its ratios but judges no goal.
 */
export function goalsMarkdown(
  dataset: string,
  settings: readonly SettingRows[],
  machine: Pick<MachineInfo, 'loadAverage'>,
  { smoke = false }: { smoke?: boolean } = {},
): string {
  const load = `load average at the start ${machine.loadAverage.map((l) => l.toFixed(2)).join(' / ')} (1 / 5 / 15 min)`;
  const goals = benchGoals(dataset);
  const rows = goals.map((goal) => [
    goal.cell,
    goalText(goal),
    ...settings.flatMap(({ rows }) => {
      const measured = goal.ratio(rows);
      if ('missing' in measured) return [`not measured (${measured.missing})`, 'not measured'];
      const verdict = judge(goal, measured.value);
      const cell = verdict === '' ? '' : smoke ? 'not judged (smoke)' : `**${verdict}**`;
      return [`${measured.value.toFixed(2)} (${measured.note})`, cell];
    }),
  ]);
  const columns = [
    'cell',
    'goal',
    ...settings.flatMap(({ setting }) => [`oneDNN ${setting}: ratio`, `oneDNN ${setting}: goal`]),
  ];
  return [
    `Goals on ${dataset}: samples/s of inertia's custom loop + heavy-ball over the peer's, each side with the same oneDNN setting (PyTorch: its mkldnn switch), and median optimizer-step time custom / built-in. Ratios from one bench run; ${load}.${smoke ? SMOKE_NOTE : ''}`,
    '',
    markdownTable(columns, rows),
  ].join('\n');
}
