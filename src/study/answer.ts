/**
 * The report's opening answer, assembled from the verdicts: each sentence that rests on a
 * finding appears only when that finding came out supported (or refuted, where the sentence
 * says so); sentences that rest on checks say that the algebra, not an experiment, carries
 * them. Then the caveats: which form of momentum the usual answer's formula describes, and
 * which criteria were revised after results were seen.
 */
import { CRITERIA_CHANGES, type CriterionChange } from './criteriaChanges.js';
import type { Verdict } from './verdict.js';

type Outcomes = (id: string) => Verdict['outcome'] | undefined;

function outcomesOf(verdicts: readonly Verdict[]): Outcomes {
  const byId = new Map(verdicts.map((v) => [v.id, v.outcome]));
  return (id) => byId.get(id);
}

const supported = (o: Outcomes, ...ids: string[]) => ids.every((id) => o(id) === 'supported');
const refuted = (o: Outcomes, ...ids: string[]) => ids.every((id) => o(id) === 'not supported');

/**
 * A sentence that rests on findings: it appears when every finding in `supported` came out
 * supported and every one in `refuted` came out not supported.
 */
interface FindingSentence {
  supported?: readonly string[];
  refuted?: readonly string[];
  sentence: string;
}

/** Sentences that rest on findings (claims that could have come out otherwise), in the order they are read. */
const FINDING_SENTENCES: readonly FindingSentence[] = [
  // The main question (experiments 1, F, 3, A, D, E, B, C).
  {
    supported: ['e1.momentum-alone-stalls'],
    sentence:
      'Momentum alone does not learn: with the gradient cut off, pure momentum ends far below SGD and heavy-ball (experiment 1).',
  },
  {
    supported: ['eF.ray-bound'],
    sentence:
      "With one gradient step it cannot get past the best point of that gradient's ray, and that point is below what SGD learns (experiment F).",
  },
  {
    supported: ['e3.heavy-ball-slope', 'e3.ema-flat'],
    sentence:
      "Momentum rescales the learning rate rather than replacing it: heavy-ball's best alpha moves like (1 - mu), the EMA form's stays put (experiment 3).",
  },
  {
    refuted: ['eA.rescue-large-scale'],
    sentence:
      "The question's own knob does not replace it: no beta rescues a large loss scale (experiment A chooses it on validation, A1 runs it on fresh seeds).",
  },
  {
    supported: ['eA.best-beta-moves'],
    sentence: 'The best beta moves with the loss scale: beta acts as a learning rate in disguise (experiment A).',
  },
  {
    supported: ['eD.not-one'],
    sentence:
      'Even at s = 1 the step the weights need is not the velocity itself: the best multiple c* of the velocity is not 1 and drifts during training (experiment D).',
  },
  {
    supported: ['eE.alpha-one-is-luck'],
    sentence:
      "Where alpha = 1 works, that is luck: across changes of the setup that keep the task the same, the best alphas span at least a decade and in at least one setting alpha = 1 fails (experiments E and E1, the second on fresh seeds; its verdict names any setting it rests on alone, and other settings may share the default's best alpha).",
  },
  {
    supported: ['eB.adam-needs-rate'],
    refuted: ['eB.scale-dependence-adam'],
    sentence:
      "Adam removes the gradient's scale (by construction, checked in experiment B), yet at alpha = 1 it fails: there alpha is the step in weight units itself, and it still has to be chosen.",
  },
  {
    supported: ['eC.lr-free-learns'],
    sentence:
      'Polyak and Prodigy learn without a learning rate because they estimate the step from the loss value or from the distance the weights have travelled (experiment C).',
  },
  // The atlas (experiments G0 and G): what dropping the learning rate costs in natural settings.
  {
    supported: ['eG.alpha-span'],
    sentence:
      'Across natural settings the best learning rate of ema-momentum moves by more than a factor 30 (experiment G0).',
  },
  {
    refuted: ['eG.alpha-span'],
    sentence:
      'Across natural settings the best learning rate of ema-momentum stays within a factor 30 (experiment G0).',
  },
  {
    supported: ['eG.proposal-near-tuned'],
    sentence:
      'Dropping the learning rate costs little in most natural settings: the proposal is within 2 points of tuned ema-momentum in at least two thirds of them (experiment G).',
  },
  {
    refuted: ['eG.proposal-near-tuned'],
    sentence:
      'Dropping the learning rate is not free: the proposal is more than 2 points behind tuned ema-momentum in over a third of the natural settings (experiment G).',
  },
  {
    supported: ['eG.proposal-breaks'],
    sentence: 'In some natural settings it breaks: more than 10 points behind, or at chance (experiment G names them).',
  },
  {
    supported: ['eG.parameter-free-near-heavy-ball'],
    sentence:
      'A parameter-free method at its defaults comes within 2 points of tuned heavy-ball in at least 80% of the settings (experiment G names which).',
  },
  {
    refuted: ['eG.parameter-free-near-heavy-ball'],
    sentence:
      'No parameter-free method at its defaults comes within 2 points of tuned heavy-ball in 80% of the settings (experiment G).',
  },
];

function findingSentences(o: Outcomes): string[] {
  return FINDING_SENTENCES.filter((f) => supported(o, ...(f.supported ?? [])) && refuted(o, ...(f.refuted ?? []))).map(
    (f) => f.sentence,
  );
}

/** Sentences that rest on checks: the algebra of the update rule, confirmed by the implementation. */
function checkSentences(o: Outcomes): string[] {
  if (!supported(o, 'e2.scale-dependence', 'e2.velocity-follows-gradient', 'e2.same-curve')) return [];
  return [
    'By the update rule, not by experiment: a velocity that averages gradients is in gradient units, and no-lr-momentum at loss scale s is ema-momentum at alpha = s, so without a learning rate the step is set by the arbitrary scale of the loss (the checks of experiment 2 confirm the implementation does this).',
  ];
}

/** The caveats every reading of the answer needs. */
function caveats(changes: readonly CriterionChange[]): string[] {
  const revised = changes.filter((c) => c.afterRuns);
  const list = revised.map((c) => `${c.criterion} (${c.commit}, after ${c.afterRuns})`).join('; ');
  return [
    "The usual answer's dw_t = mu dw_{t-1} is the heavy-ball form: at mu = 1 it replays the first step forever. In the question's EMA form, v = beta v + (1 - beta) g, beta = 1 never lets a gradient in, so v stays 0 and nothing moves.",
    revised.length > 0
      ? `Not every criterion was fixed before every run: ${revised.length} changes were made after results were seen (${list}); the changes table lists each with its reason and effect.`
      : 'Every criterion was fixed before the runs.',
  ];
}

/** The "In short" paragraph of the report. */
export function openingAnswer(
  verdicts: readonly Verdict[],
  changes: readonly CriterionChange[] = CRITERIA_CHANGES,
): string {
  const o = outcomesOf(verdicts);
  const evidence = findingSentences(o);
  if (evidence.length === 0) {
    return `**In short:** the runs of this preset support none of the findings the answer rests on; see the findings below. ${caveats(changes).join(' ')}`;
  }
  return [
    '**In short:** a step of gradient descent is a distance in weight space, and something has to supply that distance: a learning rate, or an estimate of the distance to the solution. ' +
      'A momentum coefficient cannot: it is dimensionless, and decides only how gradients are averaged over time.',
    ...checkSentences(o),
    ...evidence,
    'Each sentence that names an experiment stands on a finding of this report that came out as it says; a claim whose verdict did not is left out.',
    ...caveats(changes),
  ].join(' ');
}
