import { describe, expect, it } from 'vitest';
import { openingAnswer } from '../../src/study/answer.js';
import type { Verdict } from '../../src/study/verdict.js';

function verdicts(outcomes: Record<string, Verdict['outcome']>): Verdict[] {
  return Object.entries(outcomes).map(([id, outcome]) => ({
    id,
    experiment: '',
    kind: 'finding' as const,
    claim: '',
    basis: '',
    criterion: '',
    measured: '',
    outcome,
  }));
}

describe('openingAnswer', () => {
  it('states the Adam and Polyak/Prodigy sentences only when their verdicts and controls allow', () => {
    const all = openingAnswer(
      verdicts({
        'e2.scale-dependence': 'supported',
        'e2.velocity-follows-gradient': 'supported',
        'eB.scale-dependence-adam': 'not supported',
        'eB.adam-needs-rate': 'supported',
        'eC.lr-free-learns': 'supported',
      }),
    );
    expect(all).toContain('a learning rate, or an estimate of the distance to the solution');
    // The checks of experiment 2 are stated as algebra, never as a finding; the caveats always come.
    expect(all).not.toContain('By the update rule');
    expect(all).toContain("In the question's EMA form");
    expect(all).toMatch(
      /changes were made after results were seen \(.*e2\.same-curve \(0fdedb5, after single-seed runs of the full preset\)/,
    );
    expect(all).toContain('Adam removes');
    expect(all).toContain('Polyak and Prodigy learn');
    // The negative control came out supported: the Adam sentence would rest on a broken criterion.
    const brokenControl = openingAnswer(
      verdicts({
        'e2.scale-dependence': 'supported',
        'e2.velocity-follows-gradient': 'supported',
        'eB.scale-dependence-adam': 'supported',
        'eB.adam-needs-rate': 'supported',
        'eC.lr-free-learns': 'inconclusive',
      }),
    );
    expect(brokenControl).not.toContain('Adam removes');
    expect(brokenControl).not.toContain('Polyak and Prodigy');
  });

  it('claims nothing when no verdict behind it is supported', () => {
    const none = openingAnswer(
      verdicts({ 'e2.scale-dependence': 'not supported', 'eC.lr-free-learns': 'not supported' }),
    );
    expect(none).toContain('support none of the findings');
    expect(none).not.toContain('weight space');
  });
});
