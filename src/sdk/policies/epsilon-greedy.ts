/**
 * Epsilon-greedy over a ranking (Sutton & Barto 2018, "Reinforcement Learning", 2nd ed., section 2.2, extended to
 * slates as in Li, Chu, Langford & Schapire 2010, "A contextual-bandit approach to personalized news article
 * recommendation", WWW).
 *
 * How the slate is drawn: one coin per decision. With probability 1 - epsilon the slate is the greedy top-k of the
 * ranking (k = min(slateSize, n)). With probability epsilon the WHOLE slate is a uniformly random ordered sample of k
 * distinct candidates without replacement (every ordered k-tuple equally likely), ignoring the scores.
 *
 * Exact marginal, both branches included: in the uniform branch every candidate is equally likely at every position,
 * so with r(i) the item's greedy position (infinite outside the top k)
 *
 *     P(item i at position j) = (1 - epsilon) * [r(i) = j] + epsilon / n.
 *
 * Logged: strategy = 'exploration' when the uniform branch was taken (the whole slate came from exploration), else the
 * base strategy (default 'personalized'); explored = (j != r(i)) as everywhere in this folder, so in the exploration
 * branch an item that happens to land on its greedy slot is not flagged.
 */
import {
  checkedScores,
  checkDistinctShown,
  checkProbability,
  checkSlateSize,
  clampPropensity,
  greedyPositions,
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

export interface EpsilonGreedyOptions {
  /** Probability of the uniformly random slate, in [0, 1]. Default 0.1. */
  epsilon?: number;
  slateSize: number;
  /** Strategy logged when the greedy branch is taken. Default 'personalized'. */
  strategy?: PolicyStrategy;
  rng?: Rng;
}

const FN = 'epsilonGreedy';

function resolve(candidates: Candidates, o: EpsilonGreedyOptions) {
  const scores = checkedScores(FN, candidates);
  checkSlateSize(FN, o.slateSize);
  const epsilon = o.epsilon ?? 0.1;
  checkProbability(FN, 'epsilon', epsilon);
  return { scores, epsilon, k: Math.min(o.slateSize, scores.length), n: scores.length };
}

export function epsilonGreedy(candidates: Candidates, options: EpsilonGreedyOptions): Slate {
  const { epsilon, k, n, scores } = resolve(candidates, options);
  const rng = options.rng ?? sdkRng();
  const top = topK(scores, k);
  const greedy = greedyPositions(top);
  const explore = epsilon > 0 && rng.next() < epsilon;
  const chosen = explore ? sampleWithoutReplacement(n, k, rng) : top;
  const shown: ShownSlot[] = chosen.map((i, j) => {
    const position = j + 1;
    const atGreedy = greedy.get(i) === position;
    return {
      item_id: idOf(candidates, i),
      position,
      propensity: clampPropensity((atGreedy ? 1 - epsilon : 0) + epsilon / n),
      explored: !atGreedy,
      score: scores[i]!,
    };
  });
  checkDistinctShown(FN, shown);
  const strategy = strategyOf(FN, options.strategy, 'personalized'); // checked whichever way the coin fell
  return { shown, strategy: explore ? 'exploration' : strategy };
}

/** The full table P(item at position) of {@link epsilonGreedy}. */
export function epsilonGreedyMarginals(candidates: Candidates, options: Omit<EpsilonGreedyOptions, 'rng'>): Marginals {
  const { epsilon, k, n, scores } = resolve(candidates, options);
  const top = topK(scores, k);
  const p = new Float64Array(n * k).fill(epsilon / n);
  top.forEach((i, j) => (p[i * k + j] = p[i * k + j]! + (1 - epsilon)));
  return { items: itemIds(candidates), positions: k, p };
}
