/**
 * The study report: report.md, figures linked as SVG files next to it, rendered from the
 * sections the experiments return (util/markdown.ts makes report.html of it, plots inlined);
 * nothing in it is written before the data exist.
 */
import type { Section, Table } from './context.js';
import type { Criterion } from './criteria.js';
import type { CriterionChange } from './criteriaChanges.js';
import { FAMILY_LEVEL, type Verdict } from './verdict.js';
import { timingTable, type ExperimentTiming } from './timing.js';
import type { TrimmedReport } from './trimmed.js';
import { markdownTable as tableOf } from '../util/markdown.js';

export interface ReportInput {
  title: string;
  preset: string;
  intro: string[];
  sections: Section[];
  verdicts: Verdict[];
  facts: Record<string, string>;
  commands: string[];
  /** The criteria the verdicts were judged by, the hash of their JSON, and every change to them. */
  criteria: {
    list: readonly Criterion[];
    hash: string;
    changes: readonly CriterionChange[];
    /** The decision files' hash and which of them changed since the studies compared with. */
    decision?: string[];
  };
  /** What each experiment cost, and what this preset trims relative to the full one (none for the full preset). */
  cost: { timings: readonly ExperimentTiming[]; trimmed?: TrimmedReport };
}

export function markdownTable(table: Pick<Table, 'columns' | 'rows'>): string {
  return tableOf(table.columns, table.rows);
}

const OUTCOME_MARK: Record<Verdict['outcome'], string> = {
  supported: 'SUPPORTED',
  'not supported': 'NOT SUPPORTED',
  inconclusive: 'INCONCLUSIVE',
};

export function verdictTable(verdicts: readonly Verdict[]): string {
  return markdownTable({
    columns: ['id', 'claim', 'criterion', 'measured', 'verdict'],
    rows: verdicts.map((v) => [v.id, v.claim, v.criterion, v.measured, `**${OUTCOME_MARK[v.outcome]}**`]),
  });
}

/**
 * Findings or checks with the text that places them: for a finding the outcome that would have
 * contradicted it, for a check what fixes its outcome.
 */
export function basisTable(verdicts: readonly Verdict[], basisTitle: string): string {
  return markdownTable({
    columns: ['id', 'claim', basisTitle, 'criterion', 'measured', 'verdict'],
    rows: verdicts.map((v) => [
      v.id,
      v.claim,
      v.basis,
      v.criterion,
      v.measured,
      `**${OUTCOME_MARK[v.outcome]}**${v.expected && v.expected !== 'supported' ? ` (expected: ${v.expected})` : ''}`,
    ]),
  });
}

/** The family of Holm's correction: which findings are in it, at what level, and which are decided otherwise. */
export function holmLine(verdicts: readonly Verdict[]): string {
  const findings = verdicts.filter((v) => v.kind === 'finding' && !v.control);
  const family = findings.filter((v) => v.holm);
  const outside = findings.filter((v) => !v.holm);
  const adjusted = family.map((v) => `${v.id} ${v.holm!.adjusted.toPrecision(2)}`).join(', ');
  return (
    `Holm's correction runs over the ${family.length} findings decided on t-type intervals, judged together at a family-wise one-sided level of ${FAMILY_LEVEL} (the level at which a 95% interval clears its bound); a finding its own interval supports but the correction does not is inconclusive. Adjusted p-values: ${adjusted || 'none'}.` +
    (outside.length > 0
      ? ` Decided without a p-value (counts of cells or settings against a rule), outside the family: ${outside.map((v) => v.id).join(', ')}.`
      : '')
  );
}

/** Anchor of the checks' heading, as marked and GitHub generate it. */
export const CHECKS_ANCHOR = 'checks-of-the-arithmetic-and-the-implementation';

/**
 * One line for the checks: how many passed, linked to their table, and which did not pass.
 * `link` is the target of the link (an anchor in the same report by default).
 */
export function checksLine(verdicts: readonly Verdict[], link = `#${CHECKS_ANCHOR}`): string {
  const checks = verdicts.filter((v) => v.kind === 'check' && !v.control);
  const failed = checks.filter((v) => v.outcome !== (v.expected ?? 'supported'));
  const passed = checks.length - failed.length;
  const head =
    failed.length === 0
      ? `${passed} checks of the arithmetic and the implementation passed`
      : `${passed} of ${checks.length} checks of the arithmetic and the implementation passed`;
  const rest = failed
    .map((v) => `${v.id} (${OUTCOME_MARK[v.outcome].toLowerCase()}, expected ${v.expected ?? 'supported'})`)
    .join(', ');
  return `[${head}](${link})${failed.length > 0 ? `; not passed: ${rest}` : ''}.`;
}

function boundsText(bounds: Criterion['bounds']): string {
  return Object.entries(bounds)
    .map(([name, value]) => `${name} = ${value}`)
    .join(', ');
}

/** Every criterion with its statistic, rule, bounds and the reason for them, then every change to them. */
export function criteriaSection(criteria: ReportInput['criteria']): string[] {
  return [
    '## Criteria',
    `Fixed in \`src/study/criteria.ts\` before the runs; SHA-256 of the criteria (sorted JSON): \`${criteria.hash}\`. ` +
      'A `finding` could come out either way, and says how; a `check` is an identity of the arithmetic or the implementation and guards the code, not the answer.',
    ...(criteria.decision ?? []),
    markdownTable({
      columns: ['id', 'kind', 'statistic', 'rule', 'bounds', 'why these bounds', 'could fail by / why a check'],
      rows: criteria.list.map((c) => [
        c.id,
        c.kind,
        c.statistic,
        c.rule,
        boundsText(c.bounds),
        c.why,
        c.kind === 'finding' ? c.couldFail : (c.identity ?? ''),
      ]),
    }),
    '## Changes to the criteria',
    'Every change since the first study, from the history of `src/study` (`git log -p`). Changes made after results were seen are marked by their effect; a result that failed the old criterion failed it.',
    markdownTable({
      columns: ['commit', 'date', 'criterion', 'old', 'new', 'reason given', 'effect'],
      rows: criteria.changes.map((c) => [c.commit, c.date, c.criterion, c.old, c.new, c.reason, c.effect]),
    }),
  ];
}

/** Negative controls: the same criterion on a case where the claim must fail, and whether it did. */
export function controlTable(verdicts: readonly Verdict[]): string {
  return markdownTable({
    columns: ['id', 'control', 'measured', 'verdict', 'as it must be?'],
    rows: verdicts
      .filter((v) => v.control)
      .map((v) => [
        v.id,
        v.claim,
        v.measured,
        `**${OUTCOME_MARK[v.outcome]}**`,
        v.outcome === v.control?.expected
          ? 'yes'
          : v.outcome === 'inconclusive'
            ? 'undecided'
            : '**no: the criterion cannot fail here**',
      ]),
  });
}

/** Runs and time per experiment as measured in this study, and what the preset trims relative to the full one. */
export function costSection(cost: ReportInput['cost']): string[] {
  const parts = [
    '## Runs and time',
    'Measured while this study ran: wall time of the training and of the analysis (probes, line searches, plots), CPU time of this process and its worker processes, and the one-minute load average of the machine when each experiment started (other work on the machine slows the runs).',
    markdownTable(timingTable(cost.timings)),
  ];
  if (cost.trimmed) {
    parts.push(
      '### What this preset trims relative to the full preset',
      'From the preset definitions (`src/study/presets.ts`, `src/study/breadthPreset.ts`): every setting that differs, then the planned runs per experiment. Every experiment runs in every preset; the trims are grid widths and data, and the seeds rule (>= 3 here, >= 5 in full).',
      markdownTable(cost.trimmed.settings),
      markdownTable(cost.trimmed.runs),
    );
  }
  return parts;
}

export function renderMarkdown(input: ReportInput): string {
  const parts = [
    `# ${input.title}`,
    ...input.intro,
    '## Findings',
    'Each finding is a claim about training that could have come out either way; its row says how. Its verdict is computed from the measurements against its criterion, fixed before the runs (see Criteria below), and decided on a 95% interval where the statistic varies with the seed: ' +
      'supported when the whole interval is on the claimed side of the bound, not supported when the whole interval is on the other side, inconclusive otherwise.',
    `<div id="verdicts">\n\n${basisTable(
      input.verdicts.filter((v) => v.kind === 'finding' && !v.control),
      'could have failed by',
    )}\n\n</div>`,
    holmLine(input.verdicts),
    checksLine(input.verdicts),
    '### Negative controls',
    'Each control applies a criterion to a case where its claim must come out "not supported".',
    controlTable(input.verdicts),
    '## Checks of the arithmetic and the implementation',
    'Rows whose outcome is fixed by the algebra of the update rule or by the construction of the experiment (or that restate a finding): they guard the code and are not evidence about the question.',
    basisTable(
      input.verdicts.filter((v) => v.kind === 'check' && !v.control),
      'why it is a check',
    ),
  ];
  for (const section of input.sections) {
    parts.push(`## ${section.title}`, ...section.text);
    for (const figure of section.figures) parts.push(`![${figure.caption}](${figure.file}.svg)\n\n*${figure.caption}*`);
    for (const table of section.tables) parts.push(`**${table.caption}**`, markdownTable(table));
    if (section.verdicts.length > 0) parts.push('**Verdicts**', verdictTable(section.verdicts));
  }
  parts.push(...criteriaSection(input.criteria));
  parts.push(...costSection(input.cost));
  parts.push('## How this was made', markdownTable({ columns: ['', ''], rows: Object.entries(input.facts) }));
  parts.push('Reproduce:', `\`\`\`sh\n${input.commands.join('\n')}\n\`\`\``);
  return `${parts.join('\n\n')}\n`;
}
