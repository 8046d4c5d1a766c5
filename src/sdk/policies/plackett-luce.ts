/**
 * Softmax / Plackett-Luce sampling of a slate (Luce 1959, "Individual Choice Behavior"; Plackett 1975, "The analysis
 * of permutations", Applied Statistics 24(2)). With weights w_i = exp(score_i / temperature), the slate is drawn slot
 * by slot without replacement:
 *
 *     P(slate = (i_1, ..., i_k)) = prod_{j=1..k} w_{i_j} / (W - w_{i_1} - ... - w_{i_{j-1}}),   W = sum_i w_i.
 *
 * Sampling draws the slots one by one as this product says, one uniform per slot, from block sums of the weights
 * (sampleSlate).
 *
 * Logged propensity: the marginal P(item i at position j), summed over every slate that puts i at j.
 * - Position 1: w_i / W, exactly.
 * - Small slates (the enumeration costs at most `exactBudget` = 1,000 steps; e.g. 8 candidates and 3 slots): exact
 *   enumeration of every ordered prefix, P(i at j) = sum over prefixes (i_1..i_{j-1}) without i of
 *   P(prefix) w_i / (W - w(prefix)).
 * - Large slates (e.g. 1,000 candidates, 10 slots; enumeration would take ~1e30 steps): the exponential-race integral.
 *   Plackett-Luce is the order of independent arrival times T_l ~ Exponential(w_l) (Yellott 1977, "The relationship
 *   between Luce's choice axiom, Thurstone's theory of comparative judgment, and the double exponential distribution",
 *   J. Math. Psych. 15; the Gumbel-top-k trick of Kool, van Hoof & Welling 2019, ICML), so item i is at
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
 *   trapezoidal rule", SIAM Review 56(3), section 5). Nodes are evaluated from W t = 0.24 upward; the infinitely many
 *   nodes below are summed in closed form from the eight-term expansion f(s) = sum_{k<8} A_k e^{(j+k) s} fitted to
 *   eight nodes from the first (plackett-luce-left.ts); evaluation stops once P(N_bulk(t) <= k - 1) e^{-w_i t}, which
 *   bounds the integrand from there on, is below 1e-13. The rank-j integrand narrows like 1/sqrt(j), so R grows with
 *   the slate: R = max(2, ceil(sqrt(k) / 1.75)). Cost O(nodes * n * k), about 17 nodes for 10 slots. Measured error
 *   (tests: exact enumeration on hundreds of random weight vectors; a 12x finer grid for 1,000 candidates and 10, 20
 *   and 40 slots): relative error below 1e-5 at the default R (3e-6 on 1,000 candidates), about 1e-9 with one more
 *   node per octave (1.5e-9).
 *   Only the k shown (item, position) pairs are integrated (the not-shown items form one "bulk" polynomial per node),
 *   and the bulk's light items (most of them, for 1,000 candidates) enter in closed form from their weight moments,
 *   within a relative error per coefficient checked at every node (default 1e-12; plackett-luce-tail.ts); the heavy
 *   ones are multiplied out factor by factor. Cost O(n C) once (C = 16 moments for 10 slots) plus O(nodes (h + C) k)
 *   with h the few heavy items, instead of O(nodes n k). The light tail, the heavy items' product and the leave-one-out
 *   products run in WebAssembly where it can (wasm/kernels.wat, with the same operations as the TypeScript here).
 *
 * Logged: strategy = the base strategy (default 'personalized': the slate is the model's own stochastic policy);
 * explored = (j != greedy position of i), the slots where sampling departed from the ranking.
 */
import {
  checkedScores,
  checkDistinctShown,
  checkSlateSize,
  clampPropensity,
  idOf,
  itemIds,
  subsetOf,
  sdkRng,
  topKSet,
  TopWindow,
  type Candidates,
  type Marginals,
  type PolicyStrategy,
  type Rng,
  type Slate,
  type ShownSlot,
  strategyOf,
} from './common.js';
import { expShifted } from '../../stats/exp.js';
import { PrefixSuffix } from './poisson-binomial.js';
import { LEFT_TERMS, leftStride, leftWeights } from './plackett-luce-left.js';
import { gatherBulk, LightTail, tailTerms } from './plackett-luce-tail.js';

export interface PlackettLuceOptions {
  slateSize: number;
  /** Softmax temperature > 0: w_i = exp(score_i / temperature). Default 1. */
  temperature?: number;
  /** Strategy logged. Default 'personalized'. */
  strategy?: PolicyStrategy;
  rng?: Rng;
  /** 'auto' (default): enumeration when it costs at most exactBudget steps, else the integral. */
  method?: 'auto' | 'exact' | 'integral';
  /**
   * Largest enumeration (ordered prefixes times candidates) done exactly. Default 1,000 (e.g. 8 candidates and 3
   * slots, 520 steps): enumeration takes about 20 ns a step, so it is faster than the integral (30-80 us) only up to
   * about a thousand steps; at the former default of 200,000, 12 candidates and 5 slots took 4.7 ms a decision.
   */
  exactBudget?: number;
  /**
   * Sample only among the `pool` highest-scoring candidates (>= slateSize); the others get probability 0 and are never
   * shown. The propensities are exact for this restricted policy. Off-policy estimates can then only cover items inside
   * the pool. (With the light items in closed form, a pool of 100 of 1,000 candidates is about as fast as all of them.)
   */
  pool?: number;
  /** Trapezoidal nodes per doubling of t in the integral. Default max(2, ceil(sqrt(slateSize) / 1.75)). */
  nodesPerOctave?: number;
  /**
   * Integral only: bound on the relative error per coefficient of the light items' closed-form polynomial (weight
   * moments instead of one factor per item; plackett-luce-tail.ts). Default 1e-12; 0 multiplies out every item.
   */
  tailTolerance?: number;
}

const FN = 'plackettLuce';
/** Most slots the integral is used for (see resolve). */
export const MAX_INTEGRAL_SLOTS = 100;

/**
 * Softmax weights scaled so the largest is 1 (no overflow for any temperature), e^{(s_i - max) / T} by expShifted (the
 * same numbers as the policy's own weights).
 */
export function plackettLuceWeights(scores: ArrayLike<number>, temperature = 1): Float64Array {
  if (!(temperature > 0) || !Number.isFinite(temperature)) throw new RangeError(`${FN}: temperature must be finite and > 0 (got ${temperature})`);
  const s = Float64Array.from(scores);
  let max = -Infinity;
  for (let i = 0; i < s.length; i++) if (s[i]! > max) max = s[i]!;
  const w = new Float64Array(s.length);
  expShifted(s, max, 1 / temperature, w);
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

/** The first node, at W t = START_MASS; the nodes below it form the left tail, summed in closed form. */
const START_MASS = 0.24;
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
 * expPair of x = w[b] t for the factors b in [from, to), into q/p[off + b], in one loop: e^{-x} by expShifted (no
 * calls; the seeding of the heavy items takes about 200 pairs per decision for 1,000 candidates and 10 slots), and
 * from x = 0.01 on p = 1 - e^{-x} rather than expm1, whose relative error there is below 2^-52 / (1 - e^-0.01) =
 * 2.2e-14, far below the quadrature's (1e-5). Below x = 0.01 both come from expPair's series, as before.
 */
function seedPairs(w: Float64Array, t: number, from: number, to: number, q: Float64Array, p: Float64Array, off: number): void {
  expShifted(w, 0, -t, q, to - from, from, off + from);
  for (let b = from; b < to; b++) {
    const o = off + b, x = w[b]! * t;
    if (x < 0.01) expPair(x, q, p, o);
    else if (q[o]! < TINY_Q) (q[o] = 0), (p[o] = 1);
    else p[o] = 1 - q[o]!;
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
function foldBulk(base: Float64Array, D: number, cq: Float64Array, cp: Float64Array, off: number, nb: number, deg0: number): void {
  let b = off;
  const end = off + nb;
  let deg = deg0;
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
 * suffix products. `totalWeight`, when the caller has it, is sum_i w_i summed from i = 0 up (what the integral would
 * compute itself).
 * `into`, when long enough, receives the result (cleared first) in place of a new array.
 */
export function plackettLuceIntegral(
  w: Float64Array,
  items: ArrayLike<number>,
  positions: ArrayLike<number> | null,
  maxPosition: number,
  nodesPerOctave = 3,
  tailTolerance = DEFAULT_TAIL_TOLERANCE,
  totalWeight?: number,
  into?: Float64Array,
): Float64Array {
  const n = w.length;
  const m = items.length;
  const K = maxPosition;
  const all = positions === null;
  const size = all ? m * K : m;
  const out = into && into.length >= size ? into.subarray(0, size).fill(0) : new Float64Array(size);
  let W = 0;
  if (totalWeight !== undefined) W = totalWeight;
  else for (let i = 0; i < n; i++) W += w[i]!;
  const ws = workspace(n, m, K, nodesPerOctave);
  const qw = ws.qw;
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
  // The bulk: the items that are not queries, in weight-octave buckets, heaviest first. Buckets [0, hb) are multiplied
  // out exactly (items [0, headEnd) of bw), the rest is the light tail in closed form (plackett-luce-tail.ts); hb only
  // grows with t. Items lighter than 1e-60 W arrive by any node with probability below 1e-56 (W t stays below ~100
  // before the stopping rule fires) and are left out; this keeps every product in the kernel a normal number.
  const wMin = 1e-60 * W;
  const tail = ws.tail;
  // The WebAssembly kernels, where they run: the tail's, and the leave-one-out products of the queries in its memory.
  const kernel = tail.kernel;
  kernel?.ensure(n, m, D, nodesPerOctave * n);
  const useTail = tailTolerance > 0 && D < tailTerms(D);
  let nb: number, bw: Float64Array;
  if (useTail) {
    nb = tail.buildBulk(w, n, items, wMin, D);
    bw = tail.sorted;
  } else {
    nb = gatherBulk(w, n, items, wMin, ws.isQuery, ws.bw).nb;
    bw = ws.bw;
  }
  let hb = 0, headEnd = useTail ? 0 : nb;
  // Chain state per residue r = node mod R: e^{-w t} and 1 - e^{-w t} at the chain's current node.
  const cq = kernel ? kernel.cq : ws.cq, cp = kernel ? kernel.cp : ws.cp, dq = ws.dq, dp = ws.dp;
  const seedBulk = (r: number, t: number, from: number, to: number) => seedPairs(bw, t, from, to, cq, cp, r * nb);
  const base = kernel ? kernel.base : ws.base;
  const ps = ws.ps;
  // The degree each query reads (its position - 1), so that the suffix products stop there (all of them, to K - 1,
  // for the full table).
  const need = kernel ? kernel.need : all ? undefined : ws.need;
  if (need) for (let a = 0; a < m; a++) need[a] = all ? D : positions![a]! - 1;
  const qq = kernel ? kernel.qq : ws.qq, qp = kernel ? kernel.qp : ws.qp;
  const loo = kernel ? kernel.loo : null, looStride = D + 1;
  // The values at nodes 0, S, 2S, ... (LEFT_TERMS of them, S = leftStride(R)), kept for the left tail:
  // first[o * LEFT_TERMS + node / S].
  const first = ws.first, sum = ws.sum;
  const fitStride = leftStride(R), lastFit = fitStride * (LEFT_TERMS - 1);
  first.fill(0, 0, out.length * LEFT_TERMS);
  sum.fill(0, 0, out.length);
  for (let node = 0; node < MAX_NODES; node++) {
    const r = node % R;
    const t = t0 * Math.exp(node * h);
    if (node % (R * RESEED_OCTAVES) < R) {
      seedBulk(r, t, 0, headEnd);
      for (let a = 0; a < m; a++) expPair(qw[a]! * t, dq, dp, r * m + a);
    }
    let deg0 = 0;
    if (useTail) {
      while (hb < tail.nBuckets && !tail.evaluate(t, hb, D, tailTolerance, base)) hb++;
      const end = tail.bucketStart[hb]!;
      if (end > headEnd) {
        // items joining the exact product: their chains start at this node and the next R - 1
        for (let x = 0; x < R; x++) seedBulk((node + x) % R, t0 * Math.exp((node + x) * h), headEnd, end);
        headEnd = end;
      }
      if (hb < tail.nBuckets) deg0 = D;
    }
    if (deg0 === 0) {
      base.fill(0, 0, D + 1);
      base[0] = 1;
    }
    if (kernel) kernel.foldBulk(D, r * nb, headEnd, deg0);
    else foldBulk(base, D, cq, cp, r * nb, headEnd, deg0);
    let maxQ = 0;
    const qo = r * m;
    for (let a = 0; a < m; a++) {
      const q = dq[qo + a]!, p = dp[qo + a]!;
      qq[a] = q;
      qp[a] = p;
      if (qw[a]! > 0 && q > maxQ) maxQ = q;
      advance(dq, dp, qo + a, q, p);
    }
    if (kernel) kernel.leaveOneOut(m, D, all);
    else ps.build(base, qq, qp, need);
    for (let a = 0; a < m; a++) {
      const wi = qw[a]!;
      if (wi === 0) continue;
      const scale = wi * t * qq[a]!;
      const jFrom = all ? 2 : positions![a]!, jTo = all ? K : positions![a]!;
      for (let j = Math.max(2, jFrom); j <= jTo; j++) {
        const o = all ? a * K + j - 1 : a;
        const f = scale * (loo ? loo[a * looStride + j - 1]! : ps.without(a, j - 1));
        if (node <= lastFit && node % fitStride === 0) first[o * LEFT_TERMS + node / fitStride] = f;
        sum[o] = sum[o]! + f;
      }
    }
    // Beyond t the integrand of every query is at most P(N_bulk(t) <= K - 1) e^{-w_i t}, which only falls.
    let below = 0;
    for (let d = 0; d <= D; d++) below += base[d]!;
    if (node > lastFit && below * maxQ < TAIL_TOL) break;
  }
  // The trapezoidal sum over the whole line, h * sum_{m in Z} f(s_0 + m h): the nodes left of s_0 are summed in
  // closed form from the expansion f(s) = sum_{k < LEFT_TERMS} A_k e^{(j+k) s} + O(e^{(j+LEFT_TERMS) s}) near t = 0
  // (the integrand is w t e^{-w t} P(N = j - 1), a power series in t from t^j on), fitted to LEFT_TERMS nodes from
  // the first: a weighted sum of those nodes (leftWeights).
  for (let a = 0; a < m; a++) {
    const jFrom = all ? 2 : positions![a]!, jTo = all ? K : positions![a]!;
    for (let j = Math.max(2, jFrom); j <= jTo; j++) {
      const o = all ? a * K + j - 1 : a;
      const c = leftWeights(j, R);
      let left = 0;
      for (let x = 0; x < LEFT_TERMS; x++) left += c[x]! * first[o * LEFT_TERMS + x]!;
      out[o] = h * (sum[o]! + left);
    }
  }
  return out;
}

/** Default bound on the light tail's relative error per polynomial coefficient (plackett-luce-tail.ts). */
export const DEFAULT_TAIL_TOLERANCE = 1e-12;

interface Workspace {
  n: number; m: number; K: number; R: number;
  isQuery: Uint8Array; bw: Float64Array; qw: Float64Array;
  cq: Float64Array; cp: Float64Array; dq: Float64Array; dp: Float64Array;
  base: Float64Array; ps: PrefixSuffix; qq: Float64Array; qp: Float64Array; need: Int32Array;
  first: Float64Array; sum: Float64Array; tail: LightTail;
}
let ws: Workspace | null = null;
/**
 * Scratch arrays for the integral, kept between calls and regrown only when a call needs more, so that a decision
 * allocates nothing of size n. (The integral is synchronous and not re-entrant, so one workspace serves every call.)
 */
function workspace(n: number, m: number, K: number, R: number): Workspace {
  if (ws && ws.n >= n && ws.m >= m && ws.K >= K && ws.R >= R) {
    if (ws.ps.m !== m || ws.ps.D !== K - 1) ws.ps = new PrefixSuffix(m, K - 1);
    return ws;
  }
  const N = Math.max(n, ws?.n ?? 0), M = Math.max(m, ws?.m ?? 0), KK = Math.max(K, ws?.K ?? 0), RR = Math.max(R, ws?.R ?? 0);
  const out = Math.max(M * KK, 1);
  ws = {
    n: N, m: M, K: KK, R: RR,
    isQuery: new Uint8Array(N), bw: new Float64Array(N), qw: new Float64Array(M),
    cq: new Float64Array(RR * N), cp: new Float64Array(RR * N), dq: new Float64Array(RR * M), dp: new Float64Array(RR * M),
    base: new Float64Array(KK + 1), ps: new PrefixSuffix(m, K - 1), qq: new Float64Array(M), qp: new Float64Array(M), need: new Int32Array(M),
    first: new Float64Array(out * LEFT_TERMS), sum: new Float64Array(out), tail: ws?.tail ?? new LightTail(),
  };
  return ws;
}

/** The decision's weights, and its scores (checkedScores writes into it; a larger array it had to make replaces it). */
let wBuf = new Float64Array(0), sBuf: Float64Array = new Float64Array(0);
/** Positions 1, 2, 3, ... (slotBuf[j] = j + 1), and the decision's propensities (read at once), kept between calls. */
let slotBuf = new Int32Array(0);
let propBuf = new Float64Array(0);
/**
 * The greedy top k of the checked scores (greedyWindow) and their least value (sMin), in one pass; returns the largest.
 */
function rankScores(scores: Float64Array, k: number): number {
  greedyWindow.reset(k);
  let max = -Infinity, min = Infinity;
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    greedyWindow.offer(i, s);
    if (s > max) max = s;
    if (s < min) min = s;
  }
  sMin = min;
  return max;
}
/** The smallest score of the last rankScores. */
let sMin = 0;
/** The greedy top k of the last rankScores (topK's window). */
const greedyWindow = new TopWindow(0);

/**
 * Tiers, for scores that span more than TIER_SPAN temperatures (weights exp(score / T) below e^-600, about 1e-261,
 * beside the heaviest): Plackett-Luce then orders groups of candidates one after the other, and each group is sampled
 * and its marginals computed with weights relative to its own heaviest item. Without tiers the weights of a lower
 * group underflowed to 0, and they were drawn in input order and logged with the smallest propensity.
 *
 * - The candidates, sorted by score, are cut between positions x - 1 and x when every item above the cut precedes
 *   every item below it but for a probability of at most CUT = 1e-12: P(b before a) = w_b / (w_a + w_b) <= w_b / w_a,
 *   so the chance of any such inversion is at most sum_{a above, b below} w_b / w_a = e^{-(v_{x-1} - v_x)} L R, with
 *   v = score / T, L = sum_{a < x} e^{-(v_a - v_{x-1})} and R = sum_{b >= x} e^{v_b - v_x} (both >= 1, no overflow).
 * - In the group that fills the last r slots, the lightest items whose weights sum to at most CUT times the r-th
 *   largest are left out: at every slot the weight not yet drawn is at least that r-th weight, so one of them is drawn
 *   with probability at most CUT per slot. They are never shown and their marginals are 0.
 * - A group that still spans more than TIER_SPAN temperatures (scores spread densely over a range that wide, with no
 *   cut) is refused: its marginals are beyond double precision.
 * The marginals are exact for the tiered policy, which differs from Plackett-Luce by at most k CUT in probability.
 */
const TIER_SPAN = 600;
const CUT = 1e-12;

interface Tier {
  /** Indices into the candidates, in input order. */
  members: number[];
  /** First position (0-based) and number of slots this tier fills. */
  offset: number;
  slots: number;
}

/** The tiers that fill the k slots, or null when the scores span at most TIER_SPAN temperatures. */
function tiersOf(scores: ArrayLike<number>, n: number, k: number, temperature: number, min: number, max: number): Tier[] | null {
  if ((max - min) / temperature <= TIER_SPAN) return null;
  const score = new Float64Array(n);
  for (let i = 0; i < n; i++) score[i] = scores[i]!;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => score[b]! - score[a]! || a - b);
  const v = new Float64Array(n);
  for (let x = 0; x < n; x++) v[x] = score[order[x]!]! / temperature;
  // R[x] = sum_{b >= x} e^{v_b - v_x}
  const R = new Float64Array(n + 1);
  for (let x = n - 1; x >= 0; x--) R[x] = 1 + (x + 1 < n ? Math.exp(v[x + 1]! - v[x]!) * R[x + 1]! : 0);
  const tiers: Tier[] = [];
  let start = 0, offset = 0, L = 0; // L = sum_{a < x} e^{-(v_a - v_{x-1})}
  for (let x = 1; x <= n && offset < k; x++) {
    L = 1 + L * (x >= 2 ? Math.exp(-(v[x - 2]! - v[x - 1]!)) : 0);
    if (x < n && Math.exp(-(v[x - 1]! - v[x]!)) * L * R[x]! >= CUT) continue;
    const size = x - start, slots = Math.min(size, k - offset);
    let end = x;
    if (slots < size) {
      // the last group: leave out its lightest items, those that sum to at most CUT times its slots-th weight
      const floor = CUT * Math.exp(v[start + slots - 1]! - v[start]!);
      let tail = 0;
      while (end > start + slots && tail + Math.exp(v[end - 1]! - v[start]!) <= floor) tail += Math.exp(v[--end]! - v[start]!);
    }
    const span = v[start]! - v[end - 1]!;
    if (span > TIER_SPAN && slots > 1)
      throw new RangeError(
        `${FN}: the scores of the candidates for slots ${offset + 1}-${offset + slots} span ${span.toFixed(0)} temperatures with no gap to cut at, so their weights exp(score / temperature) range beyond 1e-261 and their propensities cannot be computed; raise the temperature, or rank greedily with epsilon-greedy exploration`,
      );
    tiers.push({ members: order.slice(start, end).sort((a, b) => a - b), offset, slots });
    offset += slots;
    start = x;
  }
  return tiers;
}
/** plackettLuceWeights of the scores (their largest is `max`) into a buffer kept between calls (wBuf); returns their sum. */
function weightsInto(scores: Float64Array, max: number, temperature: number, n: number): number {
  if (wBuf.length < n) wBuf = new Float64Array(Math.max(n, 2 * wBuf.length));
  return expShifted(scores, max, 1 / temperature, wBuf, n);
}

/** Items per block of the slate sampler: the n weights are scanned as n / BLOCK block sums, then one block. */
const BLOCK = 32;
let blockBuf = new Float64Array(0);
const takenBuf: number[] = [];

/**
 * The sampled slate, slot by slot as Plackett-Luce is defined (Plackett 1975): each slot takes one of the items not yet
 * shown with probability w_i / (their total weight), from one uniform. The weights (finite, >= 0) are kept in blocks
 * of BLOCK with a sum per block: a draw walks the block sums, then the items of one block; the item drawn is set to 0
 * in w and its block summed again, and w is restored before returning. No sum is ever updated by subtraction, so when
 * a heavy item is gone the light ones keep their relative weights to full precision, however small they are beside
 * it. About n / BLOCK + 2 BLOCK steps per slot after one pass over the weights: for 1,000 candidates and 10 slots,
 * 5 us, a quarter of the time of the exponential race with jumps (Efraimidis & Spirakis 2006) it replaced, which
 * draws the same distribution (both timed in one process).
 */
function sampleSlate(w: Float64Array, k: number, rng: Rng): number[] {
  const n = w.length, nBlocks = Math.ceil(n / BLOCK);
  if (blockBuf.length < nBlocks) blockBuf = new Float64Array(Math.max(nBlocks, 2 * blockBuf.length));
  const sums = blockBuf, taken = takenBuf;
  for (let b = 0, i = 0; b < nBlocks; b++) {
    let s = 0;
    for (const end = Math.min(n, i + BLOCK); i < end; i++) s += w[i]!;
    sums[b] = s;
  }
  const chosen: number[] = [];
  taken.length = 0;
  while (chosen.length < k) {
    let total = 0;
    for (let b = 0; b < nBlocks; b++) total += sums[b]!;
    if (!(total > 0)) break;
    let u = rng.next() * total;
    let b = 0;
    for (; b < nBlocks - 1; b++) {
      const s = sums[b]!;
      if (u < s) break;
      u -= s;
    }
    // Rounding can carry u past the last item of weight: it then takes the last such item before it.
    let pick = -1;
    const from = b * BLOCK, end = Math.min(n, from + BLOCK);
    for (let i = from; i < end; i++) {
      const x = w[i]!;
      if (x > 0) {
        pick = i;
        if (u < x) break;
        u -= x;
      }
    }
    for (let i = from - 1; pick < 0 && i >= 0; i--) if (w[i]! > 0) pick = i;
    chosen.push(pick);
    taken.push(w[pick]!);
    w[pick] = 0;
    const pb = (pick / BLOCK) | 0;
    let s = 0;
    for (let i = pb * BLOCK, e = Math.min(n, i + BLOCK); i < e; i++) s += w[i]!;
    sums[pb] = s;
  }
  for (let j = 0; j < taken.length; j++) w[chosen[j]!] = taken[j]!;
  // Weights that underflowed to 0 are never drawn: they fill what is left, in input order.
  for (let j = 0; j < n && chosen.length < k; j++) if (!(w[j]! > 0)) chosen.push(j);
  return chosen;
}

/** Every check of the options and candidates; every score is read once, checked, into `into` when it is long enough. */
function resolve(candidates: Candidates, o: PlackettLuceOptions, into?: Float64Array) {
  const scores = checkedScores(FN, candidates, into);
  checkSlateSize(FN, o.slateSize);
  if (o.pool !== undefined && (!Number.isInteger(o.pool) || o.pool < o.slateSize))
    throw new RangeError(`${FN}: pool must be an integer >= slateSize (got ${o.pool})`);
  const n = Math.min(scores.length, o.pool ?? Infinity);
  const k = Math.min(o.slateSize, n);
  const temperature = o.temperature ?? 1;
  if (!(temperature > 0) || !Number.isFinite(temperature)) throw new RangeError(`${FN}: temperature must be finite and > 0 (got ${temperature})`);
  const budget = o.exactBudget ?? 1_000;
  const method = o.method ?? 'auto';
  if (method !== 'auto' && method !== 'exact' && method !== 'integral') throw new RangeError(`${FN}: method must be auto, exact or integral (got ${JSON.stringify(method)})`);
  const exact = method === 'exact' || (method === 'auto' && enumerationCost(n, k) <= budget);
  // The integral's cost grows like k^2 (k queries, each reading degrees up to k): 16 ms a decision at 100 slots of
  // 1,000 candidates, seconds at 500, all of it blocking the serving process.
  if (!exact && k > MAX_INTEGRAL_SLOTS)
    throw new RangeError(
      `${FN}: slateSize ${k} is more than the ${MAX_INTEGRAL_SLOTS} slots whose propensities the integral computes in reasonable time (16 ms a decision at 100 of 1,000 candidates); randomize only the top of the slate (shuffleTopK or swapTail), or use a pool`,
    );
  const R = o.nodesPerOctave ?? defaultNodesPerOctave(k);
  if (!Number.isInteger(R) || R < 1) throw new RangeError(`${FN}: nodesPerOctave must be an integer >= 1 (got ${R})`);
  // With a pool, the policy runs on the pool's candidates: the n best (ties at the n-th broken by input order, as in the
  // full ranking), kept in input order.
  const pooled = n < scores.length ? subsetOf(candidates, topKSet(scores, n)) : null;
  const tailTolerance = o.tailTolerance ?? DEFAULT_TAIL_TOLERANCE;
  if (!(tailTolerance >= 0 && tailTolerance < 1)) throw new RangeError(`${FN}: tailTolerance must be in [0, 1) (got ${tailTolerance})`);
  return { scores, n, k, temperature, exact, R, pooled, tailTolerance };
}

export function plackettLuce(candidates: Candidates, options: PlackettLuceOptions): Slate {
  const { scores, n, k, temperature, exact, R, pooled, tailTolerance } = resolve(candidates, options, sBuf);
  if (scores.buffer !== sBuf.buffer) sBuf = scores;
  if (pooled) return plackettLuce(pooled, { ...options, pool: undefined });
  const rng = options.rng ?? sdkRng();
  const max = rankScores(scores, k);
  const tiers = tiersOf(scores, n, k, temperature, sMin, max);
  if (tiers) {
    const shown: ShownSlot[] = [];
    for (const t of tiers) {
      const sub = plackettLuce(subsetOf(candidates, t.members), { ...options, slateSize: t.slots, rng, pool: undefined });
      for (const x of sub.shown) shown.push({ ...x, position: x.position + t.offset });
    }
    return { shown, strategy: strategyOf(FN, options.strategy, 'personalized') };
  }
  const W = weightsInto(scores, max, temperature, n);
  const w = wBuf.subarray(0, n);
  const chosen = sampleSlate(w, k, rng);
  // The greedy top k: item i is at its greedy position j + 1 when greedy[j] === i.
  const greedy = greedyWindow.result();
  let prop: Float64Array;
  if (exact) {
    const table = plackettLuceExact(w, k);
    prop = new Float64Array(k);
    chosen.forEach((i, j) => (prop[j] = table[i * k + j]!));
  } else {
    if (slotBuf.length < k) (slotBuf = Int32Array.from({ length: k }, (_, j) => j + 1)), (propBuf = new Float64Array(k));
    prop = plackettLuceIntegral(w, chosen, slotBuf.subarray(0, k), k, R, tailTolerance, W, propBuf);
  }
  const shown: ShownSlot[] = chosen.map((i, j) => ({
    item_id: idOf(candidates, i),
    position: j + 1,
    propensity: clampPropensity(prop[j]!),
    explored: greedy[j] !== i,
    score: scores[i]!,
  }));
  checkDistinctShown(FN, shown);
  return { shown, strategy: strategyOf(FN, options.strategy, 'personalized') };
}

/** The full table P(item at position) of {@link plackettLuce}, by the method the policy itself would use. */
export function plackettLuceMarginals(candidates: Candidates, options: Omit<PlackettLuceOptions, 'rng'>): Marginals {
  const { scores, n, k, temperature, exact, R, pooled, tailTolerance } = resolve(candidates, options);
  const ids = itemIds(candidates);
  if (pooled) {
    // Rows of the candidates outside the pool stay 0.
    const inner = plackettLuceMarginals(pooled, { ...options, pool: undefined });
    const row = new Map(ids.map((id, i) => [id, i]));
    const p = new Float64Array(ids.length * k);
    inner.items.forEach((id, a) => p.set(inner.p.subarray(a * k, a * k + k), row.get(id)! * k));
    return { items: ids, positions: k, p };
  }
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < n; i++) (min = Math.min(min, scores[i]!)), (max = Math.max(max, scores[i]!));
  const tiers = tiersOf(scores, n, k, temperature, min, max);
  if (tiers) {
    // each tier's table at its slots; rows of the tiers that fill no slot stay 0
    const p = new Float64Array(n * k);
    for (const t of tiers) {
      const sub = plackettLuceMarginals(subsetOf(candidates, t.members), { ...options, slateSize: t.slots });
      t.members.forEach((i, a) => {
        for (let j = 0; j < t.slots; j++) p[i * k + t.offset + j] = sub.p[a * t.slots + j]!;
      });
    }
    return { items: ids, positions: k, p };
  }
  const w = plackettLuceWeights(scores, temperature);
  const all = new Int32Array(n);
  for (let i = 0; i < n; i++) all[i] = i;
  const p = exact ? plackettLuceExact(w, k) : plackettLuceIntegral(w, all, null, k, R, tailTolerance);
  return { items: ids, positions: k, p };
}
