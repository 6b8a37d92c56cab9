/**
 * Experiment G0, the atlas's tuning: in every setting of the atlas (atlasSettings.ts) each
 * tuned method (ema-momentum and heavy-ball at 0.9, adam, sgd) tries the same number of
 * half-decade learning rates on the validation split (selection seeds). Its choices go to
 * experiment G, which runs them on fresh seeds on the test split; its own verdict is about the
 * choice itself: how far the best ema-momentum alpha moves across the settings.
 */
import { lineChart } from '../../plot/chart.js';
import { intervalColumns } from '../atlasAnalysis.js';
import { ATLAS } from '../atlasPreset.js';
import { ATLAS_MOMENTUM, TUNED_KINDS, methodId, tunedSpec, type TunedKind } from '../atlasMethods.js';
import { atlasRun, atlasSettingsOf, runsOfSetting } from '../atlasRuns.js';
import type { CsvRow } from '../context.js';
import { bounds } from '../criteria.js';
import { defineExperiment, type AnalysisInputs, type Tuning } from '../experiment.js';
import type { StudyPreset } from '../presets.js';
import {
  accuracyInterval,
  bestSetting,
  chooseSetting,
  divergedCount,
  groupBySetting,
  type SettingRuns,
} from '../seedGroups.js';
import { formatInterval, type Interval } from '../../util/intervals.js';
import type { RunOutcome, StudyRun } from '../../exec/runBatch.js';
import { verdict } from '../verdict.js';
import { formatNumber as num, formatPercent as pct } from '../../util/format.js';

export const ID = 'experiment-g-0-atlas-tuning';

export function plan(preset: StudyPreset, trainCount: number): StudyRun[] {
  const atlas = ATLAS[preset.name];
  if (!atlas) return [];
  const seeds = Array.from({ length: atlas.selectionSeeds }, (_, i) => i + 1);
  return atlasSettingsOf(preset).flatMap((setting) =>
    TUNED_KINDS.flatMap((kind) =>
      atlas.tunedRates[kind].flatMap((rate) =>
        seeds.map((seed) =>
          atlasRun(preset, trainCount, {
            experiment: ID,
            id: `g0-${setting.name}-${methodId(kind, rate)}-seed${seed}`,
            setting,
            optimizer: tunedSpec(kind, rate),
            seed,
            purpose: 'selection',
          }),
        ),
      ),
    ),
  );
}

export interface RateResult {
  rate: number;
  runs: SettingRuns;
  accuracy: Interval;
  diverged: number;
}

export interface KindChoice {
  rates: RateResult[];
  /** The rate with the highest mean validation accuracy: what experiment G runs. */
  chosen: number;
  /** The chosen rate and every rate it cannot be told apart from (see chooseSetting), ascending. */
  tied: number[];
  /** The chosen rate is the smallest or largest of the grid: the best may lie beyond it. */
  atEdge: 'low' | 'high' | null;
}

export interface SettingChoice {
  name: string;
  label: string;
  kinds: Record<TunedKind, KindChoice>;
}

export interface Numbers {
  settings: SettingChoice[];
  /** Settings left out because some of their runs had not finished (a report of finished runs only). */
  unfinished: string[];
  rates: Record<TunedKind, number[]>;
  selectionSeeds: number;
}

function kindChoice(outcomes: readonly RunOutcome[], grid: readonly number[], chance: number): KindChoice {
  const groups = groupBySetting(outcomes, (o) =>
    String((o.run.config.optimizer as { learningRate: number }).learningRate),
  );
  const rates = [...groups.values()]
    .map((runs) => ({ rate: Number(runs.key), runs, accuracy: accuracyInterval(runs), diverged: divergedCount(runs) }))
    .sort((a, b) => a.rate - b.rate);
  const best = bestSetting(rates.map((r) => r.runs));
  const choice = chooseSetting(
    rates.map((r) => r.runs),
    chance,
  );
  const chosen = Number(best.key);
  return {
    rates,
    chosen,
    tied: choice.tied.map((runs) => Number(runs.key)).sort((a, b) => a - b),
    atEdge: chosen === Math.min(...grid) ? 'low' : chosen === Math.max(...grid) ? 'high' : null,
  };
}

export function analyse(outcomes: readonly RunOutcome[], inputs: AnalysisInputs): Numbers {
  const atlas = ATLAS[inputs.preset.name];
  const chance = bounds('eG.alpha-span').chance;
  const runs = plan(inputs.preset, inputs.plan.trainCount);
  const all = atlasSettingsOf(inputs.preset);
  const names = all.map((s) => s.name);
  const planned = (name: string) => runsOfSetting(runs, 'g0', name, names).length;
  const finished = (name: string) => runsOfSetting(outcomes, 'g0', name, names).length;
  const settings = all
    .filter((s) => finished(s.name) === planned(s.name))
    .map((setting) => {
      const mine = runsOfSetting(outcomes, 'g0', setting.name, names);
      const kinds = Object.fromEntries(
        TUNED_KINDS.map((kind) => [
          kind,
          kindChoice(
            mine.filter((o) => o.run.config.optimizer.kind === kind),
            atlas?.tunedRates[kind] ?? [],
            chance,
          ),
        ]),
      ) as Record<TunedKind, KindChoice>;
      return { name: setting.name, label: setting.label, kinds };
    });
  return {
    settings,
    unfinished: all.filter((s) => finished(s.name) !== planned(s.name)).map((s) => s.name),
    rates: atlas?.tunedRates ?? { 'ema-momentum': [], 'heavy-ball': [], adam: [], sgd: [] },
    selectionSeeds: atlas?.selectionSeeds ?? 0,
  };
}

export function tuned(n: Numbers): Partial<Tuning> {
  return {
    settingRate: (setting, kind) => {
      // A setting whose tuning had not finished (a report of finished runs only) has no choice.
      if (n.unfinished.includes(setting)) return NaN;
      const found = n.settings.find((s) => s.name === setting)?.kinds[kind as TunedKind];
      if (!found) throw new Error(`The atlas tuning has no ${kind} in setting ${setting}`);
      return found.chosen;
    },
  };
}

/**
 * The smallest and largest ratio of best alphas across settings that any choice within the
 * ties gives (each setting's best is somewhere in its tied range).
 */
export function spanRange(ranges: readonly (readonly number[])[]): { smallest: number; largest: number } {
  if (ranges.length === 0) return { smallest: NaN, largest: NaN };
  const tops = ranges.map((r) => Math.max(...r));
  const bottoms = ranges.map((r) => Math.min(...r));
  return {
    smallest: Math.max(1, Math.max(...bottoms) / Math.min(...tops)),
    largest: Math.max(...tops) / Math.min(...bottoms),
  };
}

/** The span verdict: supported above `span` whatever the ties; not supported when no choice reaches it and no best sits at a grid edge. */
export function judgeSpan(n: Numbers): { smallest: number; largest: number; edges: string[]; outcome: boolean | null } {
  const b = bounds('eG.alpha-span');
  const ema = n.settings.map((s) => ({ name: s.name, choice: s.kinds['ema-momentum'] }));
  const { smallest, largest } = spanRange(ema.map((s) => s.choice.tied));
  const edges = ema.filter((s) => s.choice.atEdge !== null).map((s) => `${s.name} (${s.choice.atEdge})`);
  const outcome = smallest > b.span ? true : largest <= b.span && edges.length === 0 ? false : null;
  return { smallest, largest, edges, outcome };
}

/** The opening words of a verdict judged on part of the settings, or nothing when every setting finished. */
export function unfinishedText(unfinished: readonly string[], judged: number): string {
  return unfinished.length === 0
    ? ''
    : `PARTIAL: judged on the ${judged} of ${judged + unfinished.length} settings whose runs had finished (left out: ${unfinished.join(', ')}); `;
}

function bestText(choice: KindChoice): string {
  const edge = choice.atEdge ? ` (grid edge)` : '';
  return choice.tied.length > 1
    ? `${num(choice.chosen)}${edge} (tied: ${choice.tied.map((a) => num(a)).join(', ')})`
    : `${num(choice.chosen)}${edge}`;
}

function verdicts(n: Numbers) {
  const judged = judgeSpan(n);
  const per = n.settings.map((s) => `${s.name} ${bestText(s.kinds['ema-momentum'])}`).join(', ');
  const partial = unfinishedText(n.unfinished, n.settings.length);
  return [
    verdict(
      'eG.alpha-span',
      `${partial}best ema-momentum alpha (beta = ${ATLAS_MOMENTUM}, validation): ${per}; span within the ties x${num(judged.smallest)} to x${num(judged.largest)}` +
        (judged.edges.length > 0 ? `; at a grid edge: ${judged.edges.join(', ')}` : ''),
      judged.outcome,
    ),
  ];
}

function figures(n: Numbers) {
  const points = n.settings.flatMap((s) =>
    s.kinds['ema-momentum'].rates.map((r) => ({
      alpha: r.rate,
      accuracy: r.accuracy.estimate,
      low: r.accuracy.low,
      high: r.accuracy.high,
      setting: s.name,
    })),
  );
  return [
    {
      name: `${ID}-ema-momentum`,
      caption: `Validation accuracy of ema-momentum (beta = ${ATLAS_MOMENTUM}) against alpha in each setting of the atlas (mean over ${n.selectionSeeds} selection seeds, band: 95% logit-t interval); alpha = 1 is the proposal.`,
      spec: lineChart(points, {
        title: 'Where the best alpha of ema-momentum sits, setting by setting',
        x: { field: 'alpha', title: 'learning rate alpha (log)', log: true },
        y: { field: 'accuracy', title: 'validation accuracy' },
        color: { field: 'setting', title: '', sort: n.settings.map((s) => s.name) },
        band: { low: 'low', high: 'high' },
      }),
    },
  ];
}

function table(n: Numbers): CsvRow[] {
  return n.settings.flatMap((s) =>
    TUNED_KINDS.flatMap((kind) =>
      s.kinds[kind].rates.map((r) => ({
        setting: s.name,
        method: kind,
        learning_rate: r.rate,
        chosen: r.rate === s.kinds[kind].chosen,
        seeds: r.runs.seeds.length,
        ...intervalColumns('validation_accuracy', r.accuracy),
        diverged: r.diverged,
      })),
    ),
  );
}

function section(n: Numbers) {
  return {
    text: [
      ...(n.unfinished.length > 0 ? [`**Partial.** ${unfinishedText(n.unfinished, n.settings.length)}`] : []),
      `Each tuned method gets the same budget in every setting: ${TUNED_KINDS.map((k) => `${k} ${n.rates[k].map((r) => num(r)).join(', ')}`).join('; ')} ` +
        `(${n.rates['ema-momentum'].length} half-decades each), ${n.selectionSeeds} selection seeds per rate, on the validation split. ` +
        'The rate with the best mean validation accuracy is what experiment G runs on fresh seeds on the test split; these validation numbers only make the choice.',
    ],
    tables: [
      {
        caption:
          'Chosen learning rate per setting and tuned method (validation split; "tied": rates the best cannot be told apart from; "grid edge": the best may lie beyond the grid)',
        columns: ['setting', ...TUNED_KINDS],
        rows: n.settings.map((s) => [s.label, ...TUNED_KINDS.map((k) => bestText(s.kinds[k]))]),
      },
      {
        caption: 'Validation accuracy of ema-momentum per alpha, mean [95% logit-t interval] (n seeds)',
        columns: ['setting', ...n.rates['ema-momentum'].map((a) => `alpha = ${num(a)}`)],
        rows: n.settings.map((s) => [
          s.name,
          ...n.rates['ema-momentum'].map((a) => {
            const r = s.kinds['ema-momentum'].rates.find((x) => x.rate === a);
            return r ? `${formatInterval(r.accuracy, pct)}${r.diverged ? ` (${r.diverged} diverged)` : ''}` : '';
          }),
        ]),
      },
    ],
  };
}

// The parts every experiment declares, in the one shape of defineExperiment.
export const atlasTuning = defineExperiment<Numbers>({
  id: ID,
  title: 'G0. The atlas: tuning on the validation split',
  plan: (preset, inputs) => plan(preset, inputs.trainCount),
  analyse: (outcomes, inputs) => analyse(outcomes, inputs),
  verdicts,
  figures,
  section,
  table,
  tuned,
});
