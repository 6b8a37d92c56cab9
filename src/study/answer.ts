/**
 * The report's opening answer, assembled from the verdicts: each sentence that rests on an
 * experiment appears only when that experiment's verdict is "supported" (and its negative
 * control is not), so the answer never claims more than the runs of this study show.
 */
import type { Verdict } from './verdict.js';

type Outcomes = (id: string) => Verdict['outcome'] | undefined;

function outcomesOf(verdicts: readonly Verdict[]): Outcomes {
  const byId = new Map(verdicts.map((v) => [v.id, v.outcome]));
  return (id) => byId.get(id);
}

const supported = (o: Outcomes, ...ids: string[]) => ids.every((id) => o(id) === 'supported');
const refuted = (o: Outcomes, ...ids: string[]) => ids.every((id) => o(id) === 'not supported');

function sgdSentences(o: Outcomes): string[] {
  const sentences: string[] = [];
  if (supported(o, 'e2.scale-dependence', 'e2.velocity-follows-gradient')) {
    sentences.push(
      'For SGD-type methods (plain, heavy-ball, EMA momentum) the velocity is built from gradients, so it catches up to the size of the gradient, not to the step the weights need: without a learning rate the outcome follows the scale of the loss (experiment 2).',
    );
  }
  if (supported(o, 'eD.product-constant')) {
    sentences.push(
      'Measured directly, the best step along the velocity times the loss scale is the same at every scale (experiment D): the learning rate is the conversion from gradient units to weight units.',
    );
  }
  if (refuted(o, 'eA.rescue-large-scale')) {
    sentences.push("The question's own knob does not replace it: no beta rescues a large loss scale (experiment A).");
  }
  if (supported(o, 'eE.alpha-one-is-luck')) {
    sentences.push(
      "Where alpha = 1 works, that is luck: changes of the setup that keep the task the same (summing the minibatch's losses instead of averaging them, squared error instead of cross-entropy, other widths) move the best alpha by a decade or more between them, and in at least one of them alpha = 1 fails (experiment E).",
    );
  }
  return sentences;
}

function generalSentences(o: Outcomes): string[] {
  const sentences: string[] = [];
  if (refuted(o, 'eB.scale-dependence-adam') && supported(o, 'eB.adam-needs-rate')) {
    sentences.push(
      "Adam removes the gradient's scale (its outcome does not depend on the loss scale: the negative control of experiment 2, experiment B), yet at alpha = 1 it fails: there alpha is the step in weight units itself, and it still has to be chosen.",
    );
  }
  if (supported(o, 'eC.lr-free-learns')) {
    sentences.push(
      'Polyak and Prodigy learn without a learning rate because they estimate the step from the loss value or from the distance the weights have travelled (experiment C).',
    );
  }
  return sentences;
}

/** The "In short" paragraph of the report. */
export function openingAnswer(verdicts: readonly Verdict[]): string {
  const o = outcomesOf(verdicts);
  const evidence = [...sgdSentences(o), ...generalSentences(o)];
  if (evidence.length === 0) {
    return '**In short:** the runs of this preset support none of the claims the answer rests on; see the verdicts below.';
  }
  return [
    '**In short:** a step of gradient descent is a distance in weight space, and something has to supply that distance: a learning rate, or an estimate of the distance to the solution. ' +
      'A momentum coefficient cannot: it is dimensionless, and decides only how gradients are averaged over time.',
    ...evidence,
    'Each sentence after the first stands on a verdict of this report that came out supported; a claim whose verdict did not is left out.',
  ].join(' ');
}
