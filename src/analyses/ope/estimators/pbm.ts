/**
 * Position-based model (PBM) estimator for slates: Li, Abbasi-Yadkori, Kveton, Muthukrishnan, Vinay & Wen (2018),
 * "Offline evaluation of ranking policies with click models", KDD (arXiv 1804.10488). The PBM click model
 * (Richardson, Dominowska & Ragno 2007; Craswell et al. 2008) says a user examines position k with a probability
 * theta_k that depends on the position only, and clicks an examined item a with a probability rho(x, a) that depends
 * on the item and the context only:  E[r at k | x, slate A] = theta_k rho(x, A_k).
 * Then the value of a policy is sum_a mu_pi(a | x) rho(x, a) with the examination-weighted item propensity
 * mu_pi(a | x) = sum_k theta_k pi(a at k | x), and
 *
 *     V_PBM = (1/n) sum_s sum_{j in s} r_j  mu_e(a_j | x_s) / mu_b(a_j | x_s)
 *
 * is unbiased for it (E[sum_j r_j g(a_j) | x] = sum_a mu_b(a | x) rho(x, a) g(a)). Compared with IIPS it pools an
 * item's clicks over positions, which can lower the variance (it does when the target moves items between positions
 * the logging policy rarely uses for them), and it needs support only per item (mu_b(a | x) > 0: the item shown at
 * some position), not per (item, position). It needs the logging policy's marginals at every
 * position (not only where the item was shown) and the examination probabilities theta (only their ratios matter);
 * if the click model is wrong (clicks depend on the items above, as in a cascade), it is biased.
 * Round term (per slate): sum_{j in s} r_j mu_e(a_j | x_s) / mu_b(a_j | x_s).
 */
import type { SlateEstimator } from '../types.js';
import { defineSlateEstimator } from './slate-define.js';

export interface PbmOptions {
  /** Examination probabilities theta_k of positions 0..L-1 (>= 0, not all 0; only ratios matter). */
  examination: readonly number[];
}

export function pbm(options: PbmOptions): SlateEstimator {
  const theta = Float64Array.from(options.examination);
  if (theta.length === 0 || !theta.every((t) => t >= 0 && Number.isFinite(t)) || !theta.some((t) => t > 0)) {
    throw new RangeError(`pbm: examination must be finite numbers >= 0, not all 0 (got [${[...options.examination].join(', ')}])`);
  }
  const params: Record<string, number> = {};
  theta.forEach((t, k) => (params[`examination_${k}`] = t));
  return defineSlateEstimator({
    name: 'pbm',
    params,
    requiresLoggingMarginals: true,
    terms(data, target) {
      const { nSlates, offsets, nPositions: L } = data;
      if (theta.length !== L) throw new RangeError(`pbm: examination has ${theta.length} entries, expected one per position (${L})`);
      const lm = data.loggingMarginals!;
      const out = new Float64Array(nSlates);
      for (let s = 0; s < nSlates; s++) {
        let v = 0;
        for (let j = offsets[s]!; j < offsets[s + 1]!; j++) {
          let me = 0;
          let mb = 0;
          for (let k = 0; k < L; k++) {
            me += theta[k]! * target.marginals[j * L + k]!;
            mb += theta[k]! * lm[j * L + k]!;
          }
          // mb = 0 only when every position the item could take has theta 0: it is never examined, its reward is 0.
          if (mb > 0) v += (me / mb) * data.reward[j]!;
        }
        out[s] = v;
      }
      return { n: nSlates, additive: out };
    },
  });
}
