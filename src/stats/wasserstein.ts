import { checkWeightedSample, sampleSize, type WeightedSample } from './weighted-sample.js';

/**
 * Wasserstein-1 (earth mover's) distance between two empirical distributions on the line, from their distinct values
 * and counts. In one dimension it is the L1 distance between the CDFs (Vallender 1974):
 *
 *     W1(P, Q) = integral |F_P(t) - F_Q(t)| dt = sum_k |F_P(t_k) - F_Q(t_k)| (t_{k+1} - t_k)
 *
 * over the sorted pooled distinct values t_k (both ECDFs are constant between them). Summed with Neumaier's
 * compensation. Equals scipy.stats.wasserstein_distance(u, v) for unweighted samples; in the units of the data.
 * Reference: Vallender (1974), "Calculation of the Wasserstein distance between probability distributions on the
 * line", Theory Probab. Appl. 18(4); Ramdas, García Trillos & Cuturi (2017), "On Wasserstein two-sample testing and
 * related families of nonparametric tests", Entropy 19(2).
 */
export function wasserstein1(x: WeightedSample, y: WeightedSample): number {
  const fn = 'wasserstein1';
  checkWeightedSample(fn, 'x', x);
  checkWeightedSample(fn, 'y', y);
  const n1 = sampleSize(x), n2 = sampleSize(y);
  const xv = x.values, yv = y.values;
  let i = 0, j = 0, c1 = 0, c2 = 0;
  let sum = 0, comp = 0;
  let prev = NaN, prevDiff = 0;
  while (i < xv.length || j < yv.length) {
    const v = j >= yv.length || (i < xv.length && xv[i]! <= yv[j]!) ? xv[i]! : yv[j]!;
    if (!Number.isNaN(prev)) {
      const term = prevDiff * (v - prev);
      const t = sum + term;
      comp += Math.abs(sum) >= Math.abs(term) ? sum - t + term : term - t + sum;
      sum = t;
    }
    if (i < xv.length && xv[i] === v) c1 += x.counts[i++]!;
    if (j < yv.length && yv[j] === v) c2 += y.counts[j++]!;
    prevDiff = Math.abs(c1 / n1 - c2 / n2);
    prev = v;
  }
  return sum + comp;
}
