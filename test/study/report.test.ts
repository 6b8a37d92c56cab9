import { describe, expect, it } from 'vitest';
import { checksLine, renderMarkdown, type ReportInput } from '../../src/study/report.js';
import { controlVerdict, verdict, type Verdict } from '../../src/study/verdict.js';

function input(verdicts: Verdict[]): ReportInput {
  return {
    title: 'T',
    preset: 'quick',
    intro: [],
    sections: [],
    verdicts,
    facts: {},
    commands: [],
    criteria: { list: [], hash: 'h', changes: [] },
    cost: { timings: [] },
  };
}

describe('the report separates findings from checks', () => {
  const finding = verdict('e1.momentum-alone-stalls', 'gap 60 points', true);
  const check = verdict('e4.closed-form', 'error 1e-6', true);
  const failedCheck = verdict('e1.weights-stop', 'growth 0.5%', false);
  const control = controlVerdict('e2.scale-dependence', 'alpha * s constant', 'swing 0', false);

  it('counts the checks that passed in one line, naming those that did not', () => {
    expect(checksLine([finding, check, control])).toBe(
      '[1 checks of the arithmetic and the implementation passed](#checks-of-the-arithmetic-and-the-implementation).',
    );
    expect(checksLine([finding, check, failedCheck], 'report.md#checks')).toBe(
      '[1 of 2 checks of the arithmetic and the implementation passed](report.md#checks); not passed: e1.weights-stop (not supported).',
    );
  });

  it('puts the findings with how each could have failed first, and the checks after the controls', () => {
    const markdown = renderMarkdown(input([check, finding, control]));
    const findings = markdown.indexOf('## Findings');
    const checks = markdown.indexOf('## Checks of the arithmetic and the implementation');
    expect(findings).toBeGreaterThan(-1);
    expect(checks).toBeGreaterThan(markdown.indexOf('### Negative controls'));
    const findingsPart = markdown.slice(findings, checks);
    expect(findingsPart).toContain('e1.momentum-alone-stalls');
    expect(findingsPart).toContain('could have failed by');
    expect(findingsPart).toContain(finding.basis);
    expect(findingsPart).not.toContain('| e4.closed-form |');
    expect(markdown.slice(checks)).toContain('| e4.closed-form |');
  });
});
