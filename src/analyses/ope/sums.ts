/**
 * IPW and SNIPW with their normal intervals and weight diagnostics from sufficient statistics, for a target that gives
 * each action one probability in every round and at every position (no context). Then every number `opeOnRounds`
 * reports for these two estimators is a sum over the rows of a function of (action, position, propensity p, reward r),
 * so the store can add the rows up per (action, position) cell and hand over a few numbers per cell:
 *
 *     n, S1 = sum 1/p, Sr = sum r/p, S11 = sum 1/p^2, Sr1 = sum r/p^2, Srr = sum r^2/p^2, min p
 *
 * With pi_a the target's probability of action a and w = pi_a / p on each row of a cell, over all cells:
 *
 *     sum w = sum pi_a S1,   sum w^2 = sum pi_a^2 S11,   sum w r = sum pi_a Sr,
 *     sum w^2 r = sum pi_a^2 Sr1,   sum (w r)^2 = sum pi_a^2 Srr.
 *
 * IPW (ipw.ts): V = sum w r / n, and the sum of squared centred terms is sum (w r)^2 - n V^2.
 * SNIPW (snipw.ts): R = sum w r / sum w; its influence terms (terms.ts summarizeTerms) are
 * psi_i = w_i (r_i - R) / mean(w), so sum psi^2 = (sum (w r)^2 - 2 R sum w^2 r + R^2 sum w^2) / mean(w)^2.
 * Both: se = sqrt(sum of squares / (n - 1) / n), interval value -/+ z se. The diagnostics (analyze.ts diagnose) follow
 * likewise: ESS = (sum w)^2 / sum w^2 (Kong 1992), the largest weight max pi_a / min p over cells, the mean weight
 * sum w / n with its normal interval, and the support deficiency, the target's mass on actions a position never
 * logged, averaged over the rows.
 *
 * The same numbers as the per-round path up to rounding (the sums are taken in another order), except the location of
 * the heaviest row and of the smallest propensity: a cell keeps one request id with its smallest propensity and no
 * round index, so a verdict names that request (one of them, when several rows tie). This is how loop health's
 * reality anchor evaluates the exploited item mix on every policy version's exploration traffic without reading
 * those rows into JavaScript.
 */
import { normalQuantile } from '../../stats/normal.js';
import type { Metric, Verdict } from '../result.js';
import { sortIds } from './rounds.js';
import { diagnosticVerdicts, type OpeThresholds, type TargetDiagnostics } from './verdicts.js';

/** The rows of one (action, position) cell, added up. */
export interface CellSums {
  action: string;
  position: number;
  n: number;
  /** Sums of 1/p, r/p, 1/p^2, r/p^2, r^2/p^2 over the cell's rows. */
  inv: number;
  rInv: number;
  inv2: number;
  rInv2: number;
  r2Inv2: number;
  /** The smallest propensity of the cell, and the request id of a row that has it. */
  minP: number;
  minPRequest: string;
}

export interface SumsEstimate {
  /** ipw and snipw (group interval 'normal'), then the weight diagnostics, named as `opeOnRounds` names them. */
  metrics: Metric[];
  /** The weight checks (verdicts.ts diagnosticVerdicts). */
  verdicts: Verdict[];
  /** The logged actions, in the order of `probabilities`' argument (natural order, as buildRounds numbers them). */
  actions: string[];
}

/**
 * @param cells the cells of one scope (each (action, position) at most once)
 * @param probabilities the target: given the logged actions, the probability of each (summing to at most 1)
 */
export function estimateFromSums(
  cells: readonly CellSums[],
  probabilities: (actions: readonly string[]) => ArrayLike<number>,
  name: string,
  t: OpeThresholds,
): SumsEstimate {
  const actions = sortIds(cells.map((c) => c.action));
  const index = new Map(actions.map((a, k) => [a, k]));
  const pi = probabilities(actions);
  const positions = [...new Set(cells.map((c) => c.position))].sort((a, b) => a - b);
  const L = positions.length, K = actions.length;
  const seen = new Uint8Array(K * L);
  const rowsAt = new Float64Array(L);
  let n = 0, sw = 0, sw2 = 0, swr = 0, sw2r = 0, swr2 = 0;
  let maxW = -1, maxWRequest = '', minP = Number.POSITIVE_INFINITY, minPRequest = '';
  for (const c of cells) {
    const a = index.get(c.action)!, k = positions.indexOf(c.position);
    const q = pi[a]!;
    seen[a * L + k] = 1;
    rowsAt[k] = rowsAt[k]! + c.n;
    n += c.n;
    sw += q * c.inv;
    sw2 += q * q * c.inv2;
    swr += q * c.rInv;
    sw2r += q * q * c.rInv2;
    swr2 += q * q * c.r2Inv2;
    const w = q / c.minP;
    if (w > maxW) (maxW = w), (maxWRequest = c.minPRequest);
    if (c.minP < minP) (minP = c.minP), (minPRequest = c.minPRequest);
  }
  const z = normalQuantile(0.5 + t.confidence / 2);
  const se = (ss: number) => (n >= 2 ? Math.sqrt(Math.max(0, ss) / (n - 1) / n) : Number.NaN);
  const group = { target: name, interval: 'normal' };
  const metric = (metricName: string, value: number, ci?: [number, number], withN = false): Metric => {
    const m: Metric = { name: metricName, value: Number.isFinite(value) ? value : null };
    if (ci && Number.isFinite(ci[0]) && Number.isFinite(ci[1])) m.ci = ci;
    if (withN) m.n = n;
    m.group = metricName === 'ipw' || metricName === 'snipw' ? group : { target: name };
    return m;
  };

  const ipw = swr / n;
  const ipwSe = se(swr2 - n * ipw * ipw);
  const snipw = swr / sw;
  const meanW = sw / n; // mean(w), the denominator of SNIPW's influence terms
  const snipwSe = Number.isFinite(snipw) ? se((swr2 - 2 * snipw * sw2r + snipw * snipw * sw2) / (meanW * meanW)) : Number.NaN;
  const meanWSe = se(sw2 - n * meanW * meanW);
  const ess = sw > 0 ? (sw * sw) / sw2 : 0;
  let deficiency = 0;
  for (let k = 0; k < L; k++) {
    let unseen = 0;
    for (let a = 0; a < K; a++) if (!seen[a * L + k]) unseen += pi[a]!;
    deficiency += rowsAt[k]! * unseen;
  }
  deficiency /= n;
  const d: TargetDiagnostics = {
    target: name,
    n,
    ess,
    essRatio: ess / n,
    maxWeight: maxW,
    maxWeightShare: sw > 0 ? maxW / sw : Number.NaN,
    maxWeightRequest: maxWRequest,
    minPropensity: minP,
    minPropensityRequest: minPRequest,
    meanWeight: meanW,
    meanWeightCi: [meanW - z * meanWSe, meanW + z * meanWSe],
    supportDeficiency: deficiency,
    weighted: ['ipw', 'snipw'],
    bounded: [],
  };
  const metrics = [
    metric('ipw', ipw, [ipw - z * ipwSe, ipw + z * ipwSe], true),
    metric('snipw', snipw, [snipw - z * snipwSe, snipw + z * snipwSe], true),
    metric('ess', ess, undefined, true),
    metric('ess_ratio', d.essRatio),
    metric('max_weight', maxW),
    metric('max_weight_share', d.maxWeightShare),
    metric('min_propensity', minP),
    metric('mean_weight', meanW, d.meanWeightCi, true),
    metric('support_deficiency', deficiency),
  ];
  return { metrics, verdicts: diagnosticVerdicts(d, t), actions };
}
