import { checkFinite, checkSameLength } from './input.js';

/** Area under the ROC curve with the counts it was computed from. */
export interface Auc {
  /** P(score of a positive > score of a negative) + P(tie) / 2. */
  auc: number;
  positives: number;
  negatives: number;
}

/**
 * ROC AUC as the normalised Mann-Whitney U statistic, with mid-ranks for tied scores:
 *
 *     AUC = (R_1 - n_1 (n_1 + 1) / 2) / (n_1 n_0)
 *
 * where R_1 is the sum of the (mid-)ranks of the n_1 positives among all n_1 + n_0 scores. It is the probability that
 * a random positive scores above a random negative, ties counting one half; 0.5 for an uninformative score.
 * Reference: Mann & Whitney (1947), Ann. Math. Statist. 18(1); Hanley & McNeil (1982), "The meaning and use of the
 * area under a receiver operating characteristic (ROC) curve", Radiology 143(1).
 *
 * @param scores finite scores
 * @param labels 1 for a positive, 0 for a negative (same length)
 * @returns NaN for the AUC when either class is empty.
 * @throws RangeError on length mismatch, non-finite scores or labels other than 0 / 1.
 */
export function aucMannWhitney(scores: ArrayLike<number>, labels: ArrayLike<number>): Auc {
  const fn = 'aucMannWhitney';
  checkSameLength(fn, 'scores', scores, 'labels', labels);
  checkFinite(fn, 'scores', scores);
  const n = scores.length;
  let positives = 0;
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (l !== 0 && l !== 1) throw new RangeError(`${fn}: labels[${i}] must be 0 or 1, got ${l}`);
    positives += l;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return { auc: NaN, positives, negatives };
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const mid = (i + j) / 2 + 1; // ranks are 1-based
    for (let k = i; k <= j; k++) if (labels[order[k]!] === 1) rankSum += mid;
    i = j + 1;
  }
  return { auc: (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives), positives, negatives };
}
