/**
 * Gentle exploration by swapping one slot with a tail item: the slate is the greedy top-k, except that with
 * probability epsilon one eligible slot is given to an item from outside the top k. This is the "interleave one
 * random item" intervention used to give unexposed items a chance with a bounded cost to the slate (cf. Chen et al.
 * 2019, "Top-K off-policy correction for a REINFORCE recommender system", WSDM, on exploration outside the head; and
 * the one-slot randomization of Li et al. 2010, WWW).
 *
 * How the slate is drawn: k = min(slateSize, n); E = the eligible positions (default all of 1..k; positions beyond k are
 * ignored, since those slots do not exist when there are fewer candidates than slateSize); the tail is the
 * items of greedy rank k+1..k+T (T = tailSize, default every remaining candidate). With probability epsilon (and only
 * if the tail is not empty) a slot J is drawn uniformly from E and a tail item uniformly from the tail; the tail item
 * takes slot J and the item that was there is not shown. Otherwise the slate is the greedy top-k.
 *
 * Exact marginal, with r(i) the item's greedy rank:
 *
 *     head item, r(i) in E:        P(i at r(i)) = 1 - epsilon / |E|
 *     head item, r(i) not in E:    P(i at r(i)) = 1
 *     tail item, j in E:           P(i at j)    = epsilon / (|E| T)
 *     otherwise                    0.
 *
 * Logged: strategy = the base strategy (default 'personalized'); explored = true for the tail item only (it is the
 * one slot not at its greedy rank).
 */
import {
  checkedScores,
  checkDistinctShown,
  checkProbability,
  checkSlateSize,
  clampPropensity,
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

export interface SwapTailOptions {
  slateSize: number;
  /** Probability that a decision swaps a slot. Default 1 (every decision). */
  epsilon?: number;
  /** Positions (1-based) that may be swapped. Default every position of the slate. */
  positions?: readonly number[];
  /** How many items after the top k form the tail. Default all remaining candidates. */
  tailSize?: number;
  /** Strategy logged. Default 'personalized'. */
  strategy?: PolicyStrategy;
  rng?: Rng;
}

const FN = 'swapTail';

function resolve(candidates: Candidates, o: SwapTailOptions) {
  const scores = checkedScores(FN, candidates);
  checkSlateSize(FN, o.slateSize);
  const epsilon = o.epsilon ?? 1;
  checkProbability(FN, 'epsilon', epsilon);
  const n = scores.length;
  const k = Math.min(o.slateSize, n);
  const asked = o.positions ?? Array.from({ length: k }, (_, j) => j + 1);
  for (const p of asked)
    if (!Number.isInteger(p) || p < 1) throw new RangeError(`${FN}: positions must be integers >= 1 (got ${p})`);
  if (o.positions && o.positions.length === 0) throw new RangeError(`${FN}: positions must not be empty`);
  // Slots beyond the slate (fewer candidates than slateSize) do not exist and cannot be swapped.
  const eligible = [...new Set(asked)].filter((p) => p <= k).sort((a, b) => a - b);
  if (o.tailSize !== undefined && (!Number.isInteger(o.tailSize) || o.tailSize < 1))
    throw new RangeError(`${FN}: tailSize must be an integer >= 1 (got ${o.tailSize})`);
  // No tail, or no eligible slot: nothing can be swapped and the slate is deterministic.
  const tail = eligible.length === 0 ? 0 : Math.min(o.tailSize ?? n - k, n - k);
  return { scores, epsilon, k, n, eligible, tail, bounded: o.tailSize !== undefined && o.tailSize < n - k };
}

export function swapTail(candidates: Candidates, options: SwapTailOptions): Slate {
  const { epsilon, k, n, eligible, tail, bounded, scores } = resolve(candidates, options);
  const rng = options.rng ?? sdkRng();
  const top = topK(scores, bounded ? k + tail : k);
  const swap = tail > 0 && epsilon > 0 && rng.next() < epsilon;
  const isEligible = new Set(eligible);
  const keep = (position: number) => (tail > 0 && isEligible.has(position) ? 1 - epsilon / eligible.length : 1);
  const shown: ShownSlot[] = [];
  for (let j = 0; j < k; j++) {
    const i = top[j]!;
    shown.push({ item_id: idOf(candidates, i), position: j + 1, propensity: clampPropensity(keep(j + 1)), explored: false, score: scores[i]! });
  }
  if (swap) {
    const slot = eligible[rng.int(eligible.length)]!;
    let item: number;
    if (bounded) item = top[k + rng.int(tail)]!;
    else {
      // Uniform over the candidates outside the top k: by rejection when the head is at most half of them (expected
      // fewer than two draws), else from an explicit list.
      const head = new Set(top);
      if (head.size * 2 <= n) {
        do item = rng.int(n);
        while (head.has(item));
      } else {
        const rest: number[] = [];
        for (let i = 0; i < n; i++) if (!head.has(i)) rest.push(i);
        item = rest[rng.int(rest.length)]!;
      }
    }
    shown[slot - 1] = {
      item_id: idOf(candidates, item),
      position: slot,
      propensity: clampPropensity(epsilon / (eligible.length * tail)),
      explored: true,
      score: scores[item]!,
    };
  }
  checkDistinctShown(FN, shown);
  return { shown, strategy: strategyOf(FN, options.strategy, 'personalized') };
}

/** The full table P(item at position) of {@link swapTail}. */
export function swapTailMarginals(candidates: Candidates, options: Omit<SwapTailOptions, 'rng'>): Marginals {
  const { epsilon, k, n, eligible, tail, scores } = resolve(candidates, options);
  const ranked = topK(scores, k + tail);
  const p = new Float64Array(n * k);
  const e = eligible.length;
  ranked.forEach((i, r) => {
    if (r < k) p[i * k + r] = tail > 0 && eligible.includes(r + 1) ? 1 - epsilon / e : 1;
    else for (const j of eligible) p[i * k + j - 1] = epsilon / (e * tail);
  });
  return { items: itemIds(candidates), positions: k, p };
}
