/**
 * Independent inverse propensity scoring (IIPS) for slates: the item-position model (IPM) estimator of Li,
 * Abbasi-Yadkori, Kveton, Muthukrishnan, Vinay & Wen (2018), "Offline evaluation of ranking policies with click
 * models", KDD (arXiv 1804.10488), as in Open Bandit Pipeline's `SlateIndependentIPS` (see Kiyohara et al. 2022,
 * "Doubly robust off-policy evaluation for ranking policies under the cascade behavior model", WSDM, for how it
 * compares with the standard and cascade-based estimators):
 *
 *     V_IIPS = (1/n) sum_s sum_{j in s} w_j r_j,     w_j = pi_e(a_j at k_j | x_s) / pi_b(a_j at k_j | x_s)
 *
 * with pi(a at k | x) the marginal probability that the policy puts item a at position k. It estimates the expected
 * sum of rewards of a slate.
 * Assumption (item-position model): the reward at a position depends on the context, the position and the item
 * there, not on the other items of the slate (no interactions: a click on the second item does not depend on what
 * the first one was). Support: pi_b(a at k | x) > 0 wherever pi_e(a at k | x) > 0. Under these it is unbiased; when
 * users do react to the other items (cascades, substitutes), it is biased.
 * Round term (per slate): sum_{j in s} w_j r_j.
 */
import type { SlateEstimator } from '../types.js';
import { defineSlateEstimator } from './slate-define.js';

export function iips(): SlateEstimator {
  return defineSlateEstimator({
    name: 'iips',
    params: {},
    requiresLoggingMarginals: false,
    terms(data, target) {
      const { nSlates, offsets, nPositions: L } = data;
      const out = new Float64Array(nSlates);
      for (let s = 0; s < nSlates; s++) {
        let v = 0;
        for (let j = offsets[s]!; j < offsets[s + 1]!; j++) {
          v += (target.marginals[j * L + data.position[j]!]! / data.pscore[j]!) * data.reward[j]!;
        }
        out[s] = v;
      }
      return { n: nSlates, additive: out };
    },
  });
}
