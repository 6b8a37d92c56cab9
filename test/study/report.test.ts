import { describe, expect, it } from 'vitest';
import { checksLine, holmLine, renderMarkdown, type ReportInput } from '../../src/study/report.js';
import { controlVerdict, holmFindings, verdict, type Verdict } from '../../src/study/verdict.js';

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
      '[1 of 2 checks of the arithmetic and the implementation passed](report.md#checks); not passed: e1.weights-stop (not supported, expected supported).',
    );
    // A check whose claim must fail by construction passes when it does.
    const invariant = verdict('eB.scale-dependence-adam', 'swing 1 point', false);
    expect(checksLine([check, invariant])).toMatch(/^\[2 checks .* passed\]/);
    expect(checksLine([verdict('eB.scale-dependence-adam', 'swing 30 points', true)])).toContain(
      'not passed: eB.scale-dependence-adam (supported, expected not supported)',
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

describe("Holm's correction over the findings", () => {
  it('turns a finding its own interval supports into inconclusive when the family does not, and states the family', () => {
    const strong = verdict('e1.momentum-alone-stalls', 'gap', true, 0.001);
    const weak = verdict('eD.not-one', 'offset', true, 0.02);
    const counted = verdict('eA.divergence-boundary', 'cells', true);
    const [a, b, c] = holmFindings([strong, weak, counted]);
    expect(a).toMatchObject({ outcome: 'supported', holm: { adjusted: 0.002, family: 2 } });
    // 0.02 is the larger of two: adjusted 1 x 0.02 = 0.02 <= 0.025, still supported.
    expect(b.outcome).toBe('supported');
    const [, worse] = holmFindings([
      strong,
      verdict('eD.not-one', 'offset', true, 0.02),
      verdict('eB.adam-needs-rate', 'gap', true, 0.02),
    ]);
    // Three in the family: 0.02 ranks second (x 2 = 0.04) or third: above 0.025, so inconclusive.
    expect(worse.outcome).toBe('inconclusive');
    expect(worse.measured).toContain("not after Holm's correction over 3 findings");
    expect(c).toBe(counted);
    const line = holmLine([a, b, c]);
    expect(line).toContain('over the 2 findings');
    expect(line).toContain('outside the family: eA.divergence-boundary');
  });
});
