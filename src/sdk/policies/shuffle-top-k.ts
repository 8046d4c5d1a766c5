/**
 * Gentle exploration by shuffling the head of the ranking ("randomized top-k", the position-bias intervention of
 * Joachims, Swaminathan & Schnabel 2017, "Unbiased learning-to-rank with biased feedback", WSDM, and of Wang et al.
 * 2018, "Position bias estimation for unbiased learning to rank in personal search", WSDM, which swap or shuffle the
 * top results to estimate position effects with little cost to the user).
 *
 * How the slate is drawn: one coin per decision. With probability 1 - epsilon the slate is the greedy top-k
 * (k = min(slateSize, n)). With probability epsilon the top m = min(window, n) items of the ranking are put in a
 * uniformly random order and fill positions 1..min(m, k); positions m+1..k keep the greedy ranking. When m > k this
 * shows a uniformly random ordered sample of k of the top m.
 *
 * Exact marginal, with r(i) the item's greedy rank:
 *
 *     r(i) <= m, j <= min(m, k):   P(i at j) = epsilon / m + (1 - epsilon) * [r(i) = j]
 *     m < r(i) <= k:               P(i at r(i)) = 1
 *     otherwise                    0.
 *
 * Logged: strategy = the base strategy (default 'personalized'): the slate is still the model's ranking, gently
 * perturbed; explored = (j != r(i)) marks each slot the shuffle changed.
 */
import {
  checkedScores,
  checkDistinctShown,
  checkProbability,
  checkSlateSize,
  clampPropensity,
  sampleWithoutReplacement,
  idOf,
  itemIds,
  sdkRng,
  topK,
  type Candidates,
  type Marginals,
  type PolicyStrategy,
  type Rng,
  type Slate,
  type ShownSlot,
  strategyOf,
} from './common.js';

export interface ShuffleTopKOptions {
  /** How many of the top items are shuffled (m). */
  window: number;
  slateSize: number;
  /** Probability that a decision is shuffled. Default 1 (every decision). */
  epsilon?: number;
  /** Strategy logged. Default 'personalized'. */
  strategy?: PolicyStrategy;
  rng?: Rng;
}

const FN = 'shuffleTopK';

function resolve(candidates: Candidates, o: ShuffleTopKOptions) {
  const scores = checkedScores(FN, candidates);
  checkSlateSize(FN, o.slateSize);
  if (!Number.isInteger(o.window) || o.window < 1) throw new RangeError(`${FN}: window must be an integer >= 1 (got ${o.window})`);
  const epsilon = o.epsilon ?? 1;
  checkProbability(FN, 'epsilon', epsilon);
  const n = scores.length;
  const k = Math.min(o.slateSize, n);
  const m = Math.min(o.window, n);
  return { scores, epsilon, k, m, n };
}

function probability(rank: number, position: number, epsilon: number, m: number): number {
  if (rank <= m) return position <= m ? epsilon / m + (rank === position ? 1 - epsilon : 0) : 0;
  return rank === position ? 1 : 0;
}

export function shuffleTopK(candidates: Candidates, options: ShuffleTopKOptions): Slate {
  const { epsilon, k, m, scores } = resolve(candidates, options);
  const rng = options.rng ?? sdkRng();
  const top = topK(scores, Math.max(k, m));
  const shuffle = epsilon > 0 && m > 1 && rng.next() < epsilon;
  const headSlots = Math.min(m, k);
  // order[j] = greedy rank - 1 of the item at position j + 1
  const order: number[] = [];
  if (shuffle) for (const r of sampleWithoutReplacement(m, headSlots, rng)) order.push(r);
  else for (let j = 0; j < headSlots; j++) order.push(j);
  for (let j = headSlots; j < k; j++) order.push(j);
  const shown: ShownSlot[] = order.map((r, j) => {
    const i = top[r]!;
    return {
      item_id: idOf(candidates, i),
      position: j + 1,
      propensity: clampPropensity(probability(r + 1, j + 1, epsilon, m)),
      explored: r !== j,
      score: scores[i]!,
    };
  });
  checkDistinctShown(FN, shown);
  return { shown, strategy: strategyOf(FN, options.strategy, 'personalized') };
}

/** The full table P(item at position) of {@link shuffleTopK}. */
export function shuffleTopKMarginals(candidates: Candidates, options: Omit<ShuffleTopKOptions, 'rng'>): Marginals {
  const { epsilon, k, m, n, scores } = resolve(candidates, options);
  const top = topK(scores, Math.max(k, m));
  const p = new Float64Array(n * k);
  top.forEach((i, r) => {
    for (let j = 1; j <= k; j++) p[i * k + j - 1] = probability(r + 1, j, epsilon, m);
  });
  return { items: itemIds(candidates), positions: k, p };
}
