import { checkNonNegative, checkSameLength, sumOf } from './input.js';

/** Result of {@link headTailSplit}. */
export interface HeadTailSplit {
  /** Indices (into `counts`) of the head items, most exposed first. */
  head: Uint32Array;
  /** 1 for a head item, 0 for a tail item; same length as `counts`. */
  isHead: Uint8Array;
  /** Share of all exposure held by the head; >= the requested headShare (the prefix is the smallest that covers it). */
  headExposureShare: number;
  /** Share of all exposure held by the tail: 1 - headExposureShare. */
  tailExposureShare: number;
}

/**
 * Splits items into a short head and a long tail by cumulative exposure: sort items by count descending (ties by
 * ascending index, so the split is deterministic), and the head is the shortest prefix whose counts reach
 * `headShare` of the total:
 *
 *     head = { [1], ..., [h] },  h = min { j : sum_{i<=j} x_[i] >= headShare * sum_i x_i }
 *
 * Everything else, including every zero-count item, is the tail. With the default 0.8 this is the Pareto "head that
 * takes 80% of the exposure". Note: Abdollahpouri, Burke & Mobasher (2017, "Controlling popularity bias in
 * learning-to-rank recommendation", RecSys; 2018, "Enhancing long-tail recommendation using item weighting",
 * arXiv:1802.05382; 2019, "Managing popularity bias in recommender systems with personalized re-ranking", FLAIRS-32)
 * split by popularity rank instead, taking a fixed fraction of the most popular items as the short head (the top 20%
 * in their MovieLens experiments); the two splits agree only when that 20% of items holds exactly headShare of the
 * exposure. Ties that straddle the boundary are split by index.
 * Comparison uses a relative slack of 1e-12 so that a prefix whose exact share equals headShare is not pushed one item
 * further by rounding.
 *
 * @param counts popularity or exposure count per item, finite and >= 0 (pass catalog items with 0 to keep them in
 *   the mask; they are always tail)
 * @param headShare target exposure share of the head, in (0, 1]
 * @returns head indices, head mask, and the exposure shares of head and tail.
 * @throws RangeError on a negative or non-finite count, a headShare outside (0, 1], or a zero total.
 */
export function headTailSplit(counts: ArrayLike<number>, headShare = 0.8): HeadTailSplit {
  checkNonNegative('headTailSplit', 'counts', counts);
  if (!(headShare > 0 && headShare <= 1)) {
    throw new RangeError(`headTailSplit: headShare must be in (0, 1], got ${headShare}`);
  }
  const total = sumOf(counts);
  if (total === 0) throw new RangeError('headTailSplit: total count is 0, there is no head to find');
  const order = Array.from({ length: counts.length }, (_, i) => i);
  order.sort((a, b) => counts[b]! - counts[a]! || a - b);
  const target = headShare * total * (1 - 1e-12);
  const isHead = new Uint8Array(counts.length);
  let cum = 0;
  let h = 0;
  while (h < order.length && cum < target) {
    const i = order[h]!;
    cum += counts[i]!;
    isHead[i] = 1;
    h++;
  }
  const headExposureShare = Math.min(1, cum / total);
  return {
    head: Uint32Array.from(order.slice(0, h)),
    isHead,
    headExposureShare,
    tailExposureShare: 1 - headExposureShare,
  };
}

function checkLists(fn: string, valueName: string, values: ArrayLike<number>, listLengths: ArrayLike<number>): void {
  checkSameLength(fn, valueName, values, 'listLengths', listLengths);
  checkNonNegative(fn, valueName, values);
  for (let u = 0; u < listLengths.length; u++) {
    const len = listLengths[u]!;
    if (!Number.isInteger(len) || len < 1) {
      throw new RangeError(`${fn}: listLengths[${u}] must be an integer >= 1, got ${len}`);
    }
  }
}

/**
 * Average Recommendation Popularity (ARP) over recommendation lists, computed from per-list aggregates:
 *
 *     ARP = (1/|U|) sum_{u in U} ( sum_{i in L(u)} phi(i) ) / |L(u)|
 *
 * where L(u) is list u (one decision / one user's top-N), phi(i) the popularity of item i in the reference data
 * (e.g. its interaction or exposure count in the training window), and U the set of lists.
 * Reference: Abdollahpouri, Burke & Mobasher (2019), "Managing popularity bias in recommender systems with
 * personalized re-ranking", FLAIRS-32 (evaluation metrics).
 *
 * Inputs are what a GROUP BY decision query returns: for each list u, the sum of phi over its items and its length.
 *
 * @param listPopularitySums sum_{i in L(u)} phi(i) for each list u, finite and >= 0
 * @param listLengths |L(u)| for each list, integer >= 1 (same length as listPopularitySums)
 * @returns ARP, in the units of phi; NaN when there are no lists.
 * @throws RangeError on length mismatch, a negative or non-finite sum, or a length that is not a positive integer.
 */
export function averageRecommendationPopularity(
  listPopularitySums: ArrayLike<number>,
  listLengths: ArrayLike<number>,
): number {
  checkLists('averageRecommendationPopularity', 'listPopularitySums', listPopularitySums, listLengths);
  const m = listLengths.length;
  if (m === 0) return NaN;
  let s = 0;
  for (let u = 0; u < m; u++) s += listPopularitySums[u]! / listLengths[u]!;
  return s / m;
}

/**
 * Average Percentage of Long Tail items (APLT) over recommendation lists, from per-list aggregates:
 *
 *     APLT = (1/|U|) sum_{u in U} |{ i in L(u) : i in Gamma }| / |L(u)|
 *
 * where Gamma is the set of long-tail items (e.g. the tail of {@link headTailSplit} on training popularity).
 * Reference: Abdollahpouri, Burke & Mobasher (2017), "Controlling popularity bias in learning-to-rank
 * recommendation", RecSys; and (2019), FLAIRS-32 (evaluation metrics).
 *
 * @param listTailCounts number of tail items in each list u, integer-valued, 0 <= count <= listLengths[u]
 * @param listLengths |L(u)| for each list, integer >= 1
 * @returns APLT in [0, 1]; NaN when there are no lists.
 * @throws RangeError on length mismatch or a count outside [0, listLengths[u]].
 */
export function aplt(listTailCounts: ArrayLike<number>, listLengths: ArrayLike<number>): number {
  checkLists('aplt', 'listTailCounts', listTailCounts, listLengths);
  const m = listLengths.length;
  for (let u = 0; u < m; u++) {
    if (listTailCounts[u]! > listLengths[u]!) {
      throw new RangeError(
        `aplt: listTailCounts[${u}] (${listTailCounts[u]}) exceeds listLengths[${u}] (${listLengths[u]})`,
      );
    }
  }
  if (m === 0) return NaN;
  let s = 0;
  for (let u = 0; u < m; u++) s += listTailCounts[u]! / listLengths[u]!;
  return s / m;
}
