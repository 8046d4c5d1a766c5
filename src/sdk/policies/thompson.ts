/**
 * Thompson sampling for Beta-Bernoulli arms (Thompson 1933, "On the likelihood that one unknown probability exceeds
 * another in view of the evidence of two samples", Biometrika 25; Chapelle & Li 2011, "An empirical evaluation of
 * Thompson sampling", NIPS; Russo et al. 2018, "A tutorial on Thompson sampling", FnT ML 11(1)), for cold-start items
 * and users. Each arm l has a posterior Beta(alpha_l, beta_l) over its success rate (prior pseudo-counts plus observed
 * successes and failures; see priors.ts for cohort and popularity priors). A decision draws theta_l from every
 * posterior and shows the arms with the k largest draws, in that order.
 *
 * Logged propensity: the exact rank marginal of independent draws. Arm i is at position j when exactly j - 1 other
 * draws exceed theta_i:
 *
 *     P(i at j) = integral_0^1 f_i(x) P(N_{-i}(x) = j - 1) dx,   N_{-i}(x) ~ Poisson-binomial, p_l(x) = 1 - F_l(x),
 *
 * with f, F the Beta density and CDF (regularized incomplete beta, src/stats/incomplete-beta.ts) and the
 * Poisson-binomial term from the truncated polynomial prod_l (F_l(x) + (1 - F_l(x)) z) (poisson-binomial.ts). The
 * integral is computed on the logit scale y = logit(x), where the integrand x^a_i (1-x)^b_i / B(a_i, b_i) * (...) is
 * smooth and decays at both ends, by composite 8-point Gauss-Legendre panels whose width is the smallest
 * posterior logit standard deviation (sqrt(psi'(a) + psi'(b))) among the arms whose support overlaps the panel, so
 * that every density bump and every CDF step is resolved, and each panel is then bisected until its two halves agree
 * with it to 1e-12 in every (arm, position) entry (the top of many draws can be much narrower than any one posterior:
 * the spread of a maximum follows the upper tail's decay rate, not the posterior's width). The range runs from where
 * P(at least k draws exceed x) > 1 - 1e-16 (below, no arm can reach the slate) to where every arm's upper tail is
 * below 1e-17. Tested against closed forms (two arms with integer parameters; identical arms give 1/n, also many of
 * them with skewed priors) and against Monte-Carlo.
 *
 * Cost: the table for every arm and position is O(nodes * n * k^2) plus one incomplete-beta evaluation per distinct
 * (alpha, beta) and node; it depends only on the posteriors, so {@link ThompsonSampling} computes it once per
 * posterior update and each decision then costs one Beta draw per contender and a table look-up. Contenders are the
 * arms whose probability of being shown at all (their row of the table) is at least 1e-12: the others are not drawn,
 * which changes the distribution of the slate by at most (number left out) x 1e-12 in total variation, since the
 * slates differ only when a left-out arm would have reached the top k.
 *
 * Logged: strategy = 'cold_start' by default; explored = (j != greedy position), where the greedy ranking orders
 * arms by posterior mean alpha / (alpha + beta); score = the posterior mean.
 */
import {
  checkDistinctShown,
  checkSlateSize,
  clampPropensity,
  greedyPositions,
  mapToFloat64,
  sdkRng,
  topK,
  type Marginals,
  type PolicyStrategy,
  type Rng,
  type Slate,
  type ShownSlot,
  strategyOf,
} from './common.js';
import { betaCdfPair, betaLogitDensity, betaLogitDeviate, logBeta, logitMoments } from './beta.js';
import { PrefixSuffix, multiplyFactor } from './poisson-binomial.js';

/** An arm with its Beta posterior over the success rate. */
export interface BetaArm {
  item_id: string;
  alpha: number;
  beta: number;
}

export interface ThompsonOptions {
  slateSize: number;
  /** Strategy logged. Default 'cold_start'. */
  strategy?: PolicyStrategy;
}

const FN = 'thompsonSampling';

/**
 * The posteriors whose marginals the quadrature is accurate for: alpha and beta from 0.025 to 1e6. Measured on two arms
 * against a/(a+1), the symmetry P(a at 2) = P(b at 1) and column sums: down to 0.025 they hold to 1e-12; below, a
 * share of the mass lies under 1e-308 (x^alpha = 1e-16 at x = 1e-640 for alpha = 0.025), beyond the logit panels, and
 * the errors jump (4e-8 at 0.02, 1.2e-4 at 0.01, 6e-2 at 0.001). Above 1e6 the posteriors are so narrow that the table
 * takes seconds (3 s at 3e7, no end at 1e9) and drifts (7e-8 at 1e7).
 */
export const THOMPSON_MIN_PARAM = 0.025;
export const THOMPSON_MAX_PARAM = 1e6;

function checkThompsonArms(arms: readonly BetaArm[]): void {
  checkArms(FN, arms);
  arms.forEach((a, i) => {
    for (const [name, v] of [['alpha', a.alpha], ['beta', a.beta]] as const)
      if (v < THOMPSON_MIN_PARAM || v > THOMPSON_MAX_PARAM)
        throw new RangeError(
          `${FN}: arms[${i}].${name} must be from ${THOMPSON_MIN_PARAM} to ${THOMPSON_MAX_PARAM} (got ${v}), where its propensities are exact; ` +
            (v > THOMPSON_MAX_PARAM
              ? 'discount or window the counts (non-stationary traffic needs that anyway), or rank such arms greedily'
              : `give it a stronger prior (for a prior mean m, a strength of at least ${THOMPSON_MIN_PARAM} / m)`),
        );
  });
}

export function checkArms(fn: string, arms: readonly BetaArm[]): void {
  if (!Array.isArray(arms) || arms.length === 0) throw new RangeError(`${fn}: arms must be a non-empty array`);
  arms.forEach((a, i) => {
    if (!(a.alpha > 0) || !(a.beta > 0) || !Number.isFinite(a.alpha) || !Number.isFinite(a.beta))
      throw new RangeError(`${fn}: arms[${i}] needs finite alpha > 0 and beta > 0 (got ${a.alpha}, ${a.beta})`);
  });
}

/** Gauss-Legendre 8-point nodes and weights on [-1, 1]. */
const GL_X = [-0.9602898564975363, -0.7966664774136267, -0.5255324099163290, -0.1834346424956498, 0.1834346424956498, 0.5255324099163290, 0.7966664774136267, 0.9602898564975363];
const GL_W = [0.1012285362903763, 0.2223810344533745, 0.3137066458778873, 0.3626837833783620, 0.3626837833783620, 0.3137066458778873, 0.2223810344533745, 0.1012285362903763];

const TAIL = 1e-17;
const BELOW = 1e-16;
const MAX_PANEL = 2;
const PANEL_SDS = 1;
/** Largest disagreement, in any (arm, position) entry, between a panel and its two halves. */
const PANEL_TOL = 1e-12;
const MAX_DEPTH = 30;
/** Arms shown with a smaller total probability are not drawn in decisions (see ThompsonSampling.decide). */
const CONTENDER_MIN = 1e-12;

/**
 * P(arm i at position j) for every arm and j = 1..K, row-major n x K, for independent theta_l ~ Beta(alpha_l, beta_l)
 * ranked in decreasing order.
 */
export function betaRankMarginals(alpha: ArrayLike<number>, beta: ArrayLike<number>, K: number): Float64Array {
  const n = alpha.length;
  K = Math.min(K, n);
  // Distinct posteriors: cold-start pools repeat the same prior many times.
  const key = new Map<string, number>();
  const ua: number[] = [], ub: number[] = [];
  const armU = new Int32Array(n);
  for (let l = 0; l < n; l++) {
    const k = `${alpha[l]}:${beta[l]}`;
    let u = key.get(k);
    if (u === undefined) {
      u = ua.length;
      key.set(k, u);
      ua.push(alpha[l]!);
      ub.push(beta[l]!);
    }
    armU[l] = u;
  }
  const U = ua.length;
  const lnB = ua.map((a, u) => logBeta(a, ub[u]!));
  const mom = ua.map((a, u) => logitMoments(a, ub[u]!));
  // Per distinct posterior, a logit interval outside which its lower tail F (resp. upper tail S) is below TAIL.
  const lo = new Float64Array(U), hi = new Float64Array(U);
  for (let u = 0; u < U; u++) {
    const { mean, sd } = mom[u]!;
    let step = 2 * sd;
    let y = mean - step;
    while (betaCdfPair(y, ua[u]!, ub[u]!).F > TAIL) {
      step *= 2;
      y = mean - step;
    }
    lo[u] = y;
    step = 2 * sd;
    y = mean + step;
    while (betaCdfPair(y, ua[u]!, ub[u]!).S > TAIL) {
      step *= 2;
      y = mean + step;
    }
    hi[u] = y;
  }
  let yHi = -Infinity;
  for (let u = 0; u < U; u++) yHi = Math.max(yHi, hi[u]!);
  // Below the (K+1)-th largest lower bound, K + 1 arms are above x but for a TAIL chance each: no arm can be in the
  // first K. Then bisect on P(N_all(y) <= K) to tighten.
  const armLo = mapToFloat64(armU, (u) => lo[u]!).sort();
  let yLo = n > K ? armLo[n - K - 1]! : armLo[0]!;
  const S = new Float64Array(U), F = new Float64Array(U), g = new Float64Array(U);
  const evalAt = (y: number, withDensity: boolean) => {
    for (let u = 0; u < U; u++) {
      const c = betaCdfPair(y, ua[u]!, ub[u]!);
      S[u] = c.S;
      F[u] = c.F;
      if (withDensity) g[u] = betaLogitDensity(y, ua[u]!, ub[u]!, lnB[u]!);
    }
  };
  const D = K - 1;
  if (n > K) {
    const poly = new Float64Array(K + 1);
    const cumulativeAtMostK = (y: number): number => {
      evalAt(y, false);
      poly.fill(0);
      poly[0] = 1;
      let deg = 0;
      for (let l = 0; l < n; l++) deg = multiplyFactor(poly, deg, K, F[armU[l]!]!, S[armU[l]!]!);
      let s = 0;
      for (let d = 0; d <= K; d++) s += poly[d]!;
      return s;
    };
    if (cumulativeAtMostK(yLo) < BELOW) {
      let a = yLo, b = yHi;
      for (let it = 0; it < 60 && b - a > 1e-3 * (1 + Math.abs(a)); it++) {
        const mid = (a + b) / 2;
        if (cumulativeAtMostK(mid) < BELOW) a = mid;
        else b = mid;
      }
      yLo = a;
    }
  }
  // Panel width at y: the smallest logit sd among posteriors whose [lo, hi] overlaps [y, y + width].
  const width = (y: number): number => {
    let w = MAX_PANEL;
    for (let pass = 0; pass < 4; pass++) {
      let m = MAX_PANEL;
      for (let u = 0; u < U; u++) if (lo[u]! < y + w && hi[u]! > y) m = Math.min(m, PANEL_SDS * mom[u]!.sd);
      if (m >= w) break;
      w = m;
    }
    return w;
  };
  const out = new Float64Array(n * K);
  const ps = new PrefixSuffix(n, D);
  const qArr = new Float64Array(n), pArr = new Float64Array(n);
  const base = new Float64Array(D + 1);
  base[0] = 1;
  /** 8-point Gauss-Legendre over [a, b] of every (arm, position) integrand, into `into`. */
  const panel = (a: number, b: number, into: Float64Array): void => {
    into.fill(0);
    const half = (b - a) / 2, mid = a + half;
    for (let node = 0; node < 8; node++) {
      const y = mid + half * GL_X[node]!;
      evalAt(y, true);
      for (let l = 0; l < n; l++) {
        qArr[l] = F[armU[l]!]!;
        pArr[l] = S[armU[l]!]!;
      }
      ps.build(base, qArr, pArr);
      const wq = half * GL_W[node]!;
      for (let l = 0; l < n; l++) {
        const dens = g[armU[l]!]!;
        if (!(dens > 1e-300)) continue;
        const f = wq * dens;
        for (let j = 1; j <= K; j++) into[l * K + j - 1] = into[l * K + j - 1]! + f * ps.without(l, j - 1);
      }
    }
  };
  // Adaptive refinement: a panel is accepted (as the sum of its two halves) when the halves agree with the whole to
  // PANEL_TOL in every entry; otherwise each half is refined in turn. The starting panels follow the posterior
  // scales; refinement catches what scales alone miss (the top of many draws is narrower than any one posterior).
  const whole = new Float64Array(n * K), left = new Float64Array(n * K), right = new Float64Array(n * K);
  const refine = (a: number, b: number, coarse: Float64Array, depth: number): void => {
    const m = (a + b) / 2;
    panel(a, m, left);
    panel(m, b, right);
    let err = 0;
    for (let x = 0; x < coarse.length; x++) err = Math.max(err, Math.abs(left[x]! + right[x]! - coarse[x]!));
    if (err <= PANEL_TOL || depth >= MAX_DEPTH) {
      for (let x = 0; x < out.length; x++) out[x] = out[x]! + left[x]! + right[x]!;
      return;
    }
    const r = Float64Array.from(right);
    refine(a, m, Float64Array.from(left), depth + 1);
    refine(m, b, r, depth + 1);
  };
  for (let y0 = yLo; y0 < yHi; ) {
    const wdt = Math.min(width(y0), yHi - y0);
    panel(y0, y0 + wdt, whole);
    refine(y0, y0 + wdt, Float64Array.from(whole), 0);
    y0 += wdt;
  }
  return out;
}

/**
 * Thompson sampling over fixed posteriors: the marginal table is computed once (lazily), each {@link decide} draws a
 * slate and reads its propensities from the table. Build a new one when the posteriors change.
 */
export class ThompsonSampling {
  readonly k: number;
  private table: Marginals | null = null;
  private contenders: Int32Array | null = null;
  private readonly greedy: Map<number, number>;

  constructor(
    readonly arms: readonly BetaArm[],
    readonly options: ThompsonOptions,
  ) {
    checkThompsonArms(arms);
    checkSlateSize(FN, options.slateSize);
    this.k = Math.min(options.slateSize, arms.length);
    this.greedy = greedyPositions(topK(mapToFloat64(arms, (a) => a.alpha / (a.alpha + a.beta)), this.k));
  }

  marginals(): Marginals {
    if (!this.table)
      this.table = {
        items: this.arms.map((a) => a.item_id),
        positions: this.k,
        p: betaRankMarginals(
          mapToFloat64(this.arms, (a) => a.alpha),
          mapToFloat64(this.arms, (a) => a.beta),
          this.k,
        ),
      };
    return this.table;
  }

  /**
   * Arms whose probability of being shown at all is at least CONTENDER_MIN; the others cannot reach the slate except
   * with that probability, so a decision need not draw them.
   */
  private contenderList(): Int32Array {
    if (this.contenders) return this.contenders;
    const { p } = this.marginals();
    const k = this.k;
    const list: number[] = [];
    for (let l = 0; l < this.arms.length; l++) {
      let shown = 0;
      for (let j = 0; j < k; j++) shown += p[l * k + j]!;
      if (shown >= CONTENDER_MIN) list.push(l);
    }
    this.contenders = Int32Array.from(list.length >= k ? list : this.arms.map((_, l) => l));
    return this.contenders;
  }

  decide(rng: Rng = sdkRng()): Slate {
    const { arms, k } = this;
    const table = this.marginals();
    const c = this.contenderList();
    const keys = new Float64Array(c.length);
    for (let x = 0; x < c.length; x++) keys[x] = betaLogitDeviate(arms[c[x]!]!.alpha, arms[c[x]!]!.beta, rng);
    const chosen = topK(keys, k).map((x) => c[x]!);
    const shown: ShownSlot[] = chosen.map((l, j) => {
      const a = arms[l]!;
      return {
        item_id: a.item_id,
        position: j + 1,
        propensity: clampPropensity(table.p[l * k + j]!),
        explored: this.greedy.get(l) !== j + 1,
        score: a.alpha / (a.alpha + a.beta),
      };
    });
    checkDistinctShown(FN, shown);
    return { shown, strategy: strategyOf(FN, this.options.strategy, 'cold_start') };
  }
}

/** One decision by Thompson sampling (computes the marginal table; reuse a {@link ThompsonSampling} when you can). */
export function thompsonSampling(arms: readonly BetaArm[], options: ThompsonOptions & { rng?: Rng }): Slate {
  return new ThompsonSampling(arms, options).decide(options.rng);
}

export function thompsonMarginals(arms: readonly BetaArm[], options: ThompsonOptions): Marginals {
  return new ThompsonSampling(arms, options).marginals();
}
