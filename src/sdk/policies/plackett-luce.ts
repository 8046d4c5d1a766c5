/**
 * Softmax / Plackett-Luce sampling of a slate (Luce 1959, "Individual Choice Behavior"; Plackett 1975, "The analysis
 * of permutations", Applied Statistics 24(2)). With weights w_i = exp(score_i / temperature), the slate is drawn slot
 * by slot without replacement:
 *
 *     P(slate = (i_1, ..., i_k)) = prod_{j=1..k} w_{i_j} / (W - w_{i_1} - ... - w_{i_{j-1}}),   W = sum_i w_i.
 *
 * Sampling uses the equivalent exponential race (Yellott 1977, "The relationship between Luce's choice axiom,
 * Thurstone's theory of comparative judgment, and the double exponential distribution", J. Math. Psych. 15): the k
 * earliest of independent arrivals T_i ~ Exponential(w_i), i.e. the Gumbel-top-k trick (Kool, van Hoof & Welling
 * 2019, ICML), O(n).
 *
 * Logged propensity: the marginal P(item i at position j), summed over every slate that puts i at j.
 * - Position 1: w_i / W, exactly.
 * - Small slates (the enumeration costs at most `exactBudget` steps; e.g. 8 candidates and 3 slots): exact
 *   enumeration of every ordered prefix, P(i at j) = sum over prefixes (i_1..i_{j-1}) without i of
 *   P(prefix) w_i / (W - w(prefix)).
 * - Large slates (e.g. 1,000 candidates, 10 slots; enumeration would take ~1e30 steps): the exponential-race integral.
 *   Plackett-Luce is the order of independent arrival times T_l ~ Exponential(w_l) (Yellott 1977), so item i is at
 *   position j when exactly j - 1 others arrive before it:
 *
 *     P(i at j) = integral_0^inf w_i e^{-w_i t} P(N_{-i}(t) = j - 1) dt,
 *     N_{-i}(t) ~ Poisson-binomial with p_l(t) = 1 - e^{-w_l t}, l != i,
 *
 *   where the Poisson-binomial term comes from the polynomial prod_l (e^{-w_l t} + (1 - e^{-w_l t}) z), truncated at
 *   degree k - 1 (see poisson-binomial.ts). The integral is taken over s = ln t with the trapezoidal rule on the
 *   whole line, step h = ln 2 / R (R nodes per doubling of t). In s the integrand is analytic in a strip around the
 *   real axis and decays like e^{j s} as s -> -inf and double-exponentially as s -> +inf, the case where the
 *   trapezoidal rule converges geometrically in 1/h (Trefethen & Weideman 2014, "The exponentially convergent
 *   trapezoidal rule", SIAM Review 56(3), section 5). Nodes are evaluated from W t = 0.01 upward; the infinitely many
 *   nodes below are summed in closed form from the two-term expansion f(s) = A e^{j s} + B e^{(j+1) s} fitted to the
 *   first two nodes; evaluation stops once P(N_bulk(t) <= k - 1) e^{-w_i t}, which bounds the integrand from there on,
 *   is below 1e-13. The rank-j integrand narrows like 1/sqrt(j), so R grows with the slate: R = max(2, ceil(sqrt(k) /
 *   1.75)). Cost O(nodes * n * k), about 25 nodes for 10 slots. Measured error (tests: exact enumeration on hundreds
 *   of random weight vectors; a 12x finer grid for 1,000 candidates and 10, 20 and 40 slots): relative error below
 *   1e-5 at the default R, below 1e-9 with one more node per octave.
 *
 * Logged: strategy = the base strategy (default 'personalized': the slate is the model's own stochastic policy);
 * explored = (j != greedy position of i), the slots where sampling departed from the ranking.
 */
import {
  checkCandidates,
  checkDistinctShown,
  checkSlateSize,
  clampPropensity,
  greedyPositions,
  scoresOf,
  sdkRng,
  topK,
  type Candidate,
  type Marginals,
  type PolicyStrategy,
  type Rng,
  type Slate,
  type ShownSlot,
} from './common.js';
import { PrefixSuffix } from './poisson-binomial.js';

export interface PlackettLuceOptions {
  slateSize: number;
  /** Softmax temperature > 0: w_i = exp(score_i / temperature). Default 1. */
  temperature?: number;
  /** Strategy logged. Default 'personalized'. */
  strategy?: PolicyStrategy;
  rng?: Rng;
  /** 'auto' (default): enumeration when it costs at most exactBudget steps, else the integral. */
  method?: 'auto' | 'exact' | 'integral';
  /** Largest enumeration (ordered prefixes times candidates) done exactly. Default 200,000. */
  exactBudget?: number;
  /**
   * Sample only among the `pool` highest-scoring candidates (>= slateSize); the others get probability 0 and are never
   * shown. The propensities are exact for this restricted policy, and the integral's cost falls in proportion to the
   * pool (e.g. 100 of 1,000 candidates). Off-policy estimates can then only cover items inside the pool.
   */
  pool?: number;
  /** Trapezoidal nodes per doubling of t in the integral. Default max(2, ceil(sqrt(slateSize) / 1.75)). */
  nodesPerOctave?: number;
}

const FN = 'plackettLuce';

/** Softmax weights scaled so the largest is 1 (no overflow for any temperature). */
export function plackettLuceWeights(scores: ArrayLike<number>, temperature = 1): Float64Array {
  if (!(temperature > 0) || !Number.isFinite(temperature)) throw new RangeError(`${FN}: temperature must be finite and > 0 (got ${temperature})`);
  let max = -Infinity;
  for (let i = 0; i < scores.length; i++) if (scores[i]! > max) max = scores[i]!;
  const w = new Float64Array(scores.length);
  for (let i = 0; i < scores.length; i++) w[i] = Math.exp((scores[i]! - max) / temperature);
  return w;
}

/** Number of steps of the exact enumeration: n times the ordered prefixes of length 0..k-1. */
export function enumerationCost(n: number, k: number): number {
  let prefixes = 0, term = 1;
  for (let d = 0; d < k; d++) {
    prefixes += term;
    term *= n - d;
    if (prefixes * n > 1e15) return Infinity;
  }
  return prefixes * n;
}

/** Exact P(i at j) for all i, j <= k by enumerating ordered prefixes. Row-major n x k. */
export function plackettLuceExact(w: Float64Array, k: number): Float64Array {
  const n = w.length;
  k = Math.min(k, n);
  const out = new Float64Array(n * k);
  const used = new Uint8Array(n);
  const rec = (depth: number, prob: number): void => {
    // The remaining mass is summed afresh rather than by subtraction, which would cancel when a heavy item is gone.
    let rem = 0;
    for (let i = 0; i < n; i++) if (!used[i]) rem += w[i]!;
    if (!(rem > 0)) return;
    for (let i = 0; i < n; i++) {
      if (used[i] || w[i] === 0) continue;
      const pi = (prob * w[i]!) / rem;
      out[i * k + depth] = out[i * k + depth]! + pi;
      if (depth + 1 < k) {
        used[i] = 1;
        rec(depth + 1, pi);
        used[i] = 0;
      }
    }
  };
  rec(0, 1);
  return out;
}

const START_MASS = 1e-2;
const TAIL_TOL = 1e-13;
const MAX_NODES = 20_000;
/** Squarings before a chain's e^{-w t} is recomputed, bounding its relative rounding error by about 2^16 ulp. */
const RESEED_OCTAVES = 16;

/** Default trapezoidal nodes per doubling of t for a slate of k: the rank-j integrand narrows like 1 / sqrt(j). */
export function defaultNodesPerOctave(k: number): number {
  return Math.max(2, Math.ceil(Math.sqrt(k) / 1.75));
}

/** q = e^{-x}, p = 1 - e^{-x} without cancellation; a short series below x = 0.01 (error < x^6 / 720). */
function expPair(x: number, q: Float64Array, p: Float64Array, o: number): void {
  if (x < 0.01) {
    const v = x * (1 - x * (0.5 - x * (1 / 6 - x * (1 / 24 - x / 120))));
    p[o] = v;
    q[o] = 1 - v;
  } else if (x > 161) {
    // e^{-161} < TINY_Q
    q[o] = 0;
    p[o] = 1;
  } else {
    q[o] = Math.exp(-x);
    p[o] = -Math.expm1(-x);
  }
}

/**
 * Denormal numbers make floating-point arithmetic one to two orders of magnitude slower, and the products of many
 * e^{-w t} run into them. So a chain's e^{-w t} below TINY_Q is taken as 0 (the item has arrived for sure), bulk items
 * lighter than 1e-60 W are left out (so 1 - e^{-w t} >= 1e-62), products of four factors stay above 1e-280, and
 * polynomial coefficients below TINY_C (a probability of 1e-20) are taken as 0, so that coefficient times factor stays
 * a normal number. The absolute error this adds to a marginal is below 1e-18.
 */
const TINY_Q = 1e-70;
const TINY_C = 1e-20;

/** One doubling of t for the factor at index o: q' = q^2, p' = p (1 + q) = 1 - q'. */
function advance(cq: Float64Array, cp: Float64Array, o: number, q: number, p: number): void {
  const q2 = q * q;
  if (q2 < TINY_Q) {
    cq[o] = 0;
    cp[o] = 1;
  } else {
    cq[o] = q2;
    cp[o] = p * (1 + q);
  }
}

/**
 * base *= prod_b (q_b + p_b z) over nb factors at cq/cp[off..off+nb), truncated at degree D, and advances each factor's
 * chain by one doubling of t. Factors are taken four at a time (their product is a quartic), which reads and writes
 * the polynomial a quarter as often as one factor at a time: the loop is bound by those loads and stores.
 */
function foldBulk(base: Float64Array, D: number, cq: Float64Array, cp: Float64Array, off: number, nb: number): void {
  let b = off;
  const end = off + nb;
  let deg = 0;
  for (; b < end && deg < D; b++) {
    // the first few factors raise the degree one at a time
    const q = cq[b]!, p = cp[b]!;
    base[deg + 1] = base[deg]! * p;
    for (let d = deg; d >= 1; d--) base[d] = base[d]! * q + base[d - 1]! * p;
    base[0] = base[0]! * q;
    deg++;
    advance(cq, cp, b, q, p);
    for (let d = 0; d <= deg; d++) if (base[d]! < TINY_C) base[d] = 0;
  }
  if (D >= 4) {
    for (; b + 3 < end; b += 4) {
      const q1 = cq[b]!, p1 = cp[b]!, q2 = cq[b + 1]!, p2 = cp[b + 1]!, q3 = cq[b + 2]!, p3 = cp[b + 2]!, q4 = cq[b + 3]!, p4 = cp[b + 3]!;
      const a0 = q1 * q2, a1 = q1 * p2 + p1 * q2, a2 = p1 * p2;
      const e0 = q3 * q4, e1 = q3 * p4 + p3 * q4, e2 = p3 * p4;
      const c0 = a0 * e0, c1 = a0 * e1 + a1 * e0, c2 = a0 * e2 + a1 * e1 + a2 * e0, c3 = a1 * e2 + a2 * e1, c4 = a2 * e2;
      let x0 = base[D]!, x1 = base[D - 1]!, x2 = base[D - 2]!, x3 = base[D - 3]!;
      for (let d = D; d >= 4; d--) {
        const x4 = base[d - 4]!;
        const v = x0 * c0 + x1 * c1 + x2 * c2 + x3 * c3 + x4 * c4;
        base[d] = v < TINY_C ? 0 : v;
        x0 = x1;
        x1 = x2;
        x2 = x3;
        x3 = x4;
      }
      const v3 = x0 * c0 + x1 * c1 + x2 * c2 + x3 * c3, v2 = x1 * c0 + x2 * c1 + x3 * c2, v1 = x2 * c0 + x3 * c1, v0 = x3 * c0;
      base[3] = v3 < TINY_C ? 0 : v3;
      base[2] = v2 < TINY_C ? 0 : v2;
      base[1] = v1 < TINY_C ? 0 : v1;
      base[0] = v0 < TINY_C ? 0 : v0;
      advance(cq, cp, b, q1, p1);
      advance(cq, cp, b + 1, q2, p2);
      advance(cq, cp, b + 2, q3, p3);
      advance(cq, cp, b + 3, q4, p4);
    }
  }
  for (; b < end; b++) {
    const q = cq[b]!, p = cp[b]!;
    for (let d = D; d >= 1; d--) base[d] = base[d]! * q + base[d - 1]! * p;
    base[0] = base[0]! * q;
    advance(cq, cp, b, q, p);
    for (let d = 0; d <= D; d++) if (base[d]! < TINY_C) base[d] = 0;
  }
}

/**
 * The exponential-race integral for the given (item, position) queries (items distinct). With `positions` null,
 * every position 1..maxPosition is returned for each query item (row-major, stride maxPosition); otherwise one value
 * per query, for positions[a].
 *
 * Implementation: nodes t_m = t_0 2^{m/R}. Node m + R has twice node m's time, so e^{-w t} is carried from one to the
 * next by squaring (q' = q^2, p' = 1 - q'^2 = p (1 + q), no cancellation) and recomputed by exp every 16 doublings;
 * the bulk (non-query) items are folded into one truncated polynomial per node, the query items through prefix and
 * suffix products.
 */
export function plackettLuceIntegral(
  w: Float64Array,
  items: ArrayLike<number>,
  positions: ArrayLike<number> | null,
  maxPosition: number,
  nodesPerOctave = 3,
): Float64Array {
  const n = w.length;
  const m = items.length;
  const K = maxPosition;
  const all = positions === null;
  const out = new Float64Array(all ? m * K : m);
  let W = 0;
  for (let i = 0; i < n; i++) W += w[i]!;
  const isQuery = new Uint8Array(n);
  for (let a = 0; a < m; a++) isQuery[items[a]!] = 1;
  // Bulk items lighter than 1e-60 W arrive by any node with probability below 1e-56 (W t stays below ~100 before the
  // stopping rule fires) and are left out; this keeps every product in the kernel a normal number.
  const wMin = 1e-60 * W;
  let nb = 0;
  for (let i = 0; i < n; i++) if (!isQuery[i] && w[i]! > wMin) nb++;
  const bw = new Float64Array(nb);
  for (let i = 0, b = 0; i < n; i++) if (!isQuery[i] && w[i]! > wMin) bw[b++] = w[i]!;
  const qw = new Float64Array(m);
  for (let a = 0; a < m; a++) qw[a] = w[items[a]!]!;
  let anyDeep = false;
  for (let a = 0; a < m; a++) {
    const wi = qw[a]!;
    if (all) out[a * K] = wi / W;
    else if (positions![a] === 1) out[a] = wi / W;
    if ((all ? K : positions![a]!) > 1 && wi > 0) anyDeep = true;
  }
  if (!anyDeep) return out;

  const D = K - 1; // queries read degrees <= K - 1
  const R = nodesPerOctave;
  const h = Math.LN2 / R;
  const t0 = START_MASS / W;
  // Chain state per residue r = node mod R: e^{-w t} and 1 - e^{-w t} at the chain's current node.
  const cq = new Float64Array(R * nb), cp = new Float64Array(R * nb);
  const dq = new Float64Array(R * m), dp = new Float64Array(R * m);
  const seed = (r: number, t: number) => {
    for (let b = 0; b < nb; b++) expPair(bw[b]! * t, cq, cp, r * nb + b);
    for (let a = 0; a < m; a++) expPair(qw[a]! * t, dq, dp, r * m + a);
  };
  const base = new Float64Array(D + 1);
  const ps = new PrefixSuffix(m, D);
  const qq = new Float64Array(m), qp = new Float64Array(m);
  // The first two nodes, kept for the left tail.
  const f0 = new Float64Array(out.length), f1 = new Float64Array(out.length);
  const sum = new Float64Array(out.length);
  for (let node = 0; node < MAX_NODES; node++) {
    const r = node % R;
    const t = t0 * Math.exp(node * h);
    if (node % (R * RESEED_OCTAVES) < R) seed(r, t);
    base.fill(0);
    base[0] = 1;
    foldBulk(base, D, cq, cp, r * nb, nb);
    let maxQ = 0;
    const qo = r * m;
    for (let a = 0; a < m; a++) {
      const q = dq[qo + a]!, p = dp[qo + a]!;
      qq[a] = q;
      qp[a] = p;
      if (qw[a]! > 0 && q > maxQ) maxQ = q;
      advance(dq, dp, qo + a, q, p);
    }
    ps.build(base, qq, qp);
    for (let a = 0; a < m; a++) {
      const wi = qw[a]!;
      if (wi === 0) continue;
      const scale = wi * t * qq[a]!;
      const jFrom = all ? 2 : positions![a]!, jTo = all ? K : positions![a]!;
      for (let j = Math.max(2, jFrom); j <= jTo; j++) {
        const o = all ? a * K + j - 1 : a;
        const f = scale * ps.without(a, j - 1);
        if (node === 0) f0[o] = f;
        else if (node === 1) f1[o] = f;
        sum[o] = sum[o]! + f;
      }
    }
    // Beyond t the integrand of every query is at most P(N_bulk(t) <= K - 1) e^{-w_i t}, which only falls.
    let below = 0;
    for (let d = 0; d <= D; d++) below += base[d]!;
    if (node >= 2 && below * maxQ < TAIL_TOL) break;
  }
  // The trapezoidal sum over the whole line, h * sum_{m in Z} f(s_0 + m h): the nodes left of s_0 are summed in
  // closed form from the expansion f(s) = A e^{j s} + B e^{(j+1) s} + O(e^{(j+2) s}) near t = 0, with A and B fitted to
  // the first two nodes (sum_{m>=1} e^{-c m h} = 1 / (e^{c h} - 1)).
  const eh = Math.exp(h);
  for (let a = 0; a < m; a++) {
    const jFrom = all ? 2 : positions![a]!, jTo = all ? K : positions![a]!;
    for (let j = Math.max(2, jFrom); j <= jTo; j++) {
      const o = all ? a * K + j - 1 : a;
      const y0 = f0[o]!, y1 = f1[o]!;
      // y0 = A + B, y1 = A e^{jh} + B e^{(j+1)h}, with A and B the two terms' values at s_0
      const ej = Math.exp(j * h);
      const B = (y1 - y0 * ej) / (ej * eh - ej);
      const A = y0 - B;
      out[o] = h * (sum[o]! + A / (ej - 1) + B / (ej * eh - 1));
    }
  }
  return out;
}

function resolve(candidates: readonly Candidate[], o: PlackettLuceOptions) {
  checkCandidates(FN, candidates);
  checkSlateSize(FN, o.slateSize);
  if (o.pool !== undefined && (!Number.isInteger(o.pool) || o.pool < o.slateSize))
    throw new RangeError(`${FN}: pool must be an integer >= slateSize (got ${o.pool})`);
  const n = Math.min(candidates.length, o.pool ?? Infinity);
  const k = Math.min(o.slateSize, n);
  const temperature = o.temperature ?? 1;
  const budget = o.exactBudget ?? 200_000;
  const method = o.method ?? 'auto';
  const exact = method === 'exact' || (method === 'auto' && enumerationCost(n, k) <= budget);
  const R = o.nodesPerOctave ?? defaultNodesPerOctave(k);
  if (!Number.isInteger(R) || R < 1) throw new RangeError(`${FN}: nodesPerOctave must be an integer >= 1 (got ${R})`);
  // With a pool, the policy runs on the pool's candidates (best first; ties keep input order, as in the full ranking).
  const pooled = n < candidates.length ? topK(scoresOf(candidates), n).map((i) => candidates[i]!) : null;
  return { n, k, temperature, exact, R, pooled };
}

export function plackettLuce(candidates: readonly Candidate[], options: PlackettLuceOptions): Slate {
  const { n, k, temperature, exact, R, pooled } = resolve(candidates, options);
  if (pooled) return plackettLuce(pooled, { ...options, pool: undefined });
  const rng = options.rng ?? sdkRng();
  const scores = scoresOf(candidates);
  const w = plackettLuceWeights(scores, temperature);
  // Exponential race (equivalent to Gumbel-top-k): arrival T_i = E_i / w_i with E_i = -log U_i, U_i in (0, 1];
  // the slate is the k earliest arrivals, i.e. the k largest keys -T_i = log(U_i) / w_i.
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = w[i]! > 0 ? Math.log(1 - rng.next()) / w[i]! : -Infinity;
  const chosen = topK(keys, k);
  const greedy = greedyPositions(topK(scores, k));
  const prop = new Float64Array(k);
  if (exact) {
    const table = plackettLuceExact(w, k);
    chosen.forEach((i, j) => (prop[j] = table[i * k + j]!));
  } else {
    const positions = new Int32Array(k);
    for (let j = 0; j < k; j++) positions[j] = j + 1;
    prop.set(plackettLuceIntegral(w, chosen, positions, k, R));
  }
  const shown: ShownSlot[] = chosen.map((i, j) => ({
    item_id: candidates[i]!.item_id,
    position: j + 1,
    propensity: clampPropensity(prop[j]!),
    explored: greedy.get(i) !== j + 1,
    score: candidates[i]!.score,
  }));
  checkDistinctShown(FN, shown);
  return { shown, strategy: options.strategy ?? 'personalized' };
}

/** The full table P(item at position) of {@link plackettLuce}, by the method the policy itself would use. */
export function plackettLuceMarginals(candidates: readonly Candidate[], options: Omit<PlackettLuceOptions, 'rng'>): Marginals {
  const { n, k, temperature, exact, R, pooled } = resolve(candidates, options);
  if (pooled) {
    // Rows of the candidates outside the pool stay 0.
    const inner = plackettLuceMarginals(pooled, { ...options, pool: undefined });
    const row = new Map(candidates.map((c, i) => [c.item_id, i]));
    const p = new Float64Array(candidates.length * k);
    inner.items.forEach((id, a) => p.set(inner.p.subarray(a * k, a * k + k), row.get(id)! * k));
    return { items: candidates.map((c) => c.item_id), positions: k, p };
  }
  const w = plackettLuceWeights(scoresOf(candidates), temperature);
  const all = new Int32Array(n);
  for (let i = 0; i < n; i++) all[i] = i;
  const p = exact ? plackettLuceExact(w, k) : plackettLuceIntegral(w, all, null, k, R);
  return { items: candidates.map((c) => c.item_id), positions: k, p };
}
