import { kolmogorovSmirnovSf } from './kolmogorov.js';
import { checkWeightedSample, sampleSize, type WeightedSample } from './weighted-sample.js';

/** The two-sample Kolmogorov-Smirnov statistic and where it is attained. */
export interface KsStatistic {
  /** D = sup_x |F1(x) - F2(x)| over the empirical CDFs. */
  statistic: number;
  /** The pooled value where |F1 - F2| is largest (the first such value). */
  location: number;
  /** +1 when F1 > F2 there (the first sample is shifted left), -1 otherwise. */
  sign: 1 | -1;
  n1: number;
  n2: number;
}

export type KsMethod = 'auto' | 'exact' | 'asymp';

export interface KsTwoSampleResult extends KsStatistic {
  /** Two-sided p-value P(D >= d) under H0: both samples from the same continuous distribution. */
  pValue: number;
  /** The method actually used ('auto' resolved). */
  method: 'exact' | 'asymp';
}

/**
 * Two-sample Kolmogorov-Smirnov statistic from the two samples' distinct values and counts (exact: both empirical
 * CDFs only step at distinct values). With right-continuous ECDFs F1 = (# x <= t) / n1 and F2 = (# y <= t) / n2,
 *
 *     D = max_t |F1(t) - F2(t)|   over the pooled distinct values t,
 *
 * the same numbers as scipy.stats.ks_2samp (which evaluates F1, F2 at every pooled point with searchsorted 'right').
 * Reference: Smirnov (1948), Ann. Math. Statist. 19; Hodges (1958), Arkiv för Matematik 3(43).
 */
export function ksStatistic(x: WeightedSample, y: WeightedSample): KsStatistic {
  const fn = 'ksStatistic';
  checkWeightedSample(fn, 'x', x);
  checkWeightedSample(fn, 'y', y);
  const n1 = sampleSize(x);
  const n2 = sampleSize(y);
  let i = 0, j = 0, c1 = 0, c2 = 0;
  let maxS = -Infinity, minS = Infinity, locMax = NaN, locMin = NaN;
  const xv = x.values, yv = y.values;
  while (i < xv.length || j < yv.length) {
    const v = j >= yv.length || (i < xv.length && xv[i]! <= yv[j]!) ? xv[i]! : yv[j]!;
    if (i < xv.length && xv[i] === v) c1 += x.counts[i++]!;
    if (j < yv.length && yv[j] === v) c2 += y.counts[j++]!;
    const diff = c1 / n1 - c2 / n2;
    if (diff > maxS) (maxS = diff), (locMax = v);
    if (diff < minS) (minS = diff), (locMin = v);
  }
  const minAbs = Math.min(1, Math.max(0, -minS));
  if (minAbs > maxS) return { statistic: minAbs, location: locMin, sign: -1, n1, n2 };
  return { statistic: maxS, location: locMax, sign: 1, n1, n2 };
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** numpy.round: to the nearest integer, ties to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Exact two-sided null distribution of the two-sample statistic, P(D_{m,n} >= d), for samples from one continuous
 * distribution (every ordering of the pooled sample equally likely). d is first rounded to the lattice h / lcm(m, n).
 *
 * m = n: the Gnedenko-Korolyuk (1951) reflection sum, P(D >= h/n) = 2 sum_{k>=1} (-1)^(k-1) C(2n, n - k h) / C(2n, n),
 * evaluated from its ratios of consecutive terms by Horner's scheme (no large binomials).
 * m != n: the lattice-path count of Hodges (1958): the ordering is a monotone path from (0, 0) to (m, n), and D < d iff
 * the path stays strictly inside |i n - j m| / g < h (g = gcd). Counting with the complement of the inside share,
 *     q(i, j) = (i q(i-1, j) + j q(i, j-1)) / (i + j) inside the band,  q = 1 outside,  q(0, 0) = 0,
 * (Viehmann 2021, "Numerically more stable computation of the p-values for the two-sample Kolmogorov-Smirnov test",
 * arXiv:2102.08037) keeps every value in [0, 1], so small p-values keep their relative precision. Cost O(m n d).
 * These are the values of scipy.stats.ks_2samp(method='exact').
 *
 * @param d observed statistic in [0, 1]
 * @param m first sample size, integer >= 1
 * @param n second sample size, integer >= 1
 */
export function ksExactSf(d: number, m: number, n: number): number {
  const fn = 'ksExactSf';
  for (const [k, v] of [['m', m], ['n', n]] as const)
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${fn}: ${k} must be an integer >= 1, got ${v}`);
  if (!(d >= 0 && d <= 1)) throw new RangeError(`${fn}: d must be in [0, 1], got ${d}`);
  const g = gcd(m, n);
  const lcm = (m / g) * n;
  const h = roundHalfEven(d * lcm);
  if (h === 0) return 1;
  if (m === n) return outsideSquare(n, h);
  return outsideBand(Math.max(m, n), Math.min(m, n), g, h);
}

function outsideSquare(n: number, h: number): number {
  // P/2 = A0 (1 - A1 (1 - A2 (...))), A_k = C(2n, n - (k+1)h) / C(2n, n - k h) = prod_{j<h} (n - k h - j) / (n + k h + j + 1)
  let p = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let a = 1;
    for (let j = 0; j < h; j++) a *= (n - k * h - j) / (n + k * h + j + 1);
    p = a * (1 - p);
  }
  return Math.min(1, Math.max(0, 2 * p));
}

function outsideBand(m: number, n: number, g: number, h: number): number {
  const mg = m / g, ng = n / g;
  const q = new Float64Array(n + 1).fill(1);
  const bandLow = (i: number) => Math.max(0, Math.floor((i * ng - h) / mg) + 1);
  const bandHigh = (i: number) => Math.min(n, Math.ceil((i * ng + h) / mg) - 1);
  for (let j = 0; j <= bandHigh(0); j++) q[j] = 0;
  for (let i = 1; i <= m; i++) {
    const lo = bandLow(i), hi = bandHigh(i);
    if (hi < lo) return 1;
    let left = 1; // q(i, lo - 1): outside the band
    for (let j = lo; j <= hi; j++) {
      const v = j === 0 ? q[0]! : (i * q[j]! + j * left) / (i + j);
      q[j] = v;
      left = v;
    }
  }
  return Math.min(1, Math.max(0, q[n]!));
}

/**
 * Two-sample two-sided Kolmogorov-Smirnov test, matching scipy.stats.ks_2samp (alternative 'two-sided'):
 * - 'exact': {@link ksExactSf} at the statistic rounded to the lattice h / lcm(n1, n2) (reported rounded too);
 * - 'asymp': the two-sided one-sample law at n_e = round(n1 n2 / (n1 + n2)) (ties to even), P(D_{n_e} >= d)
 *   ({@link kolmogorovSmirnovSf}), i.e. Smirnov's limit with the finite-n correction of the one-sample law;
 * - 'auto' (default): exact when max(n1, n2) <= 10000, else asymptotic (scipy's rule). 'exact' falls back to 'asymp'
 *   when lcm(n1, n2) would exceed 2^31 (as scipy) or the lattice has more than 10^10 cells.
 * The p-value assumes continuous data; with ties it is conservative (the actual level is below the nominal one).
 * Reference: Smirnov (1948); Massey (1951), "The Kolmogorov-Smirnov test for goodness of fit", JASA 46; Hodges (1958).
 */
export function ksTwoSample(x: WeightedSample, y: WeightedSample, method: KsMethod = 'auto'): KsTwoSampleResult {
  const s = ksStatistic(x, y);
  const { n1, n2 } = s;
  let mode: 'exact' | 'asymp' = method === 'auto' ? (Math.max(n1, n2) <= 10_000 ? 'exact' : 'asymp') : method;
  const g = gcd(n1, n2);
  if (mode === 'exact' && (n1 / g >= 2147483647 / (n2 / g) || n1 * n2 > 1e10)) mode = 'asymp';
  if (mode === 'exact') {
    const lcm = (n1 / g) * n2;
    const d = roundHalfEven(s.statistic * lcm) / lcm;
    return { ...s, statistic: d, pValue: ksExactSf(d, n1, n2), method: 'exact' };
  }
  const en = (n1 * n2) / (n1 + n2);
  const ne = Math.max(1, roundHalfEven(en));
  return { ...s, pValue: kolmogorovSmirnovSf(ne, s.statistic), method: 'asymp' };
}

/**
 * Exact permutation p-value of the two-sample KS statistic given the pooled sample's ties, P(D >= d | ties): with tied
 * values the ECDF difference is only observed where the pooled sorted sample changes value, so a lattice path (as in
 * {@link ksExactSf}) may leave the band between those points without counting. The recursion is the same, with the
 * band enforced only on the anti-diagonals i + j = K_1 < K_2 < ... (cumulative pooled counts at each distinct value).
 * Without ties it equals {@link ksExactSf}; with ties it is the exact conditional (permutation) p-value, which keeps the
 * level of the test at most nominal but much closer to it than the continuous-data p-value (which is conservative).
 * Reference: Schröer & Trenkler (1995), "Exact and randomization distributions of Kolmogorov-Smirnov tests two or three
 * samples", Computational Statistics & Data Analysis 20(2); Hodges (1958).
 *
 * @param x, y the samples as distinct values and whole counts
 * @param maxCells refuse (return null) when m n exceeds this (the cost is O(m n)); default 2.5e7
 * @returns the p-value, or null when the lattice is too large
 */
export function ksExactSfTies(x: WeightedSample, y: WeightedSample, maxCells = 2.5e7): number | null {
  const s = ksStatistic(x, y);
  const m = s.n1, n = s.n2;
  for (const [k, v] of [['x', m], ['y', n]] as const)
    if (!Number.isInteger(v)) throw new RangeError(`ksExactSfTies: ${k} must have whole counts, got a total of ${v}`);
  if (m * n > maxCells) return null;
  const g = gcd(m, n);
  const mg = m / g, ng = n / g;
  const h = roundHalfEven(s.statistic * mg * n);
  if (h === 0) return 1;
  // Anti-diagonals where the ECDFs are observed: cumulative pooled counts at each distinct value.
  const onBoundary = new Uint8Array(m + n + 1);
  let i = 0, j = 0, c = 0;
  while (i < x.values.length || j < y.values.length) {
    const v = j >= y.values.length || (i < x.values.length && x.values[i]! <= y.values[j]!) ? x.values[i]! : y.values[j]!;
    if (i < x.values.length && x.values[i] === v) c += x.counts[i++]!;
    if (j < y.values.length && y.values[j] === v) c += y.counts[j++]!;
    onBoundary[c] = 1;
  }
  // q over a row of the lattice: a = count of x so far (0..m), b = count of y (0..n); q(0, 0) = 0.
  const q = new Float64Array(n + 1);
  const inv = new Float64Array(m + n + 1);
  for (let k = 1; k <= m + n; k++) inv[k] = 1 / k;
  for (let b = 1; b <= n; b++) q[b] = onBoundary[b] === 1 && b * mg >= h ? 1 : q[b - 1]!;
  for (let a = 1; a <= m; a++) {
    const an = a * ng;
    if (onBoundary[a] === 1 && an >= h) q[0] = 1; // otherwise q(a, 0) = q(a - 1, 0)
    for (let b = 1; b <= n; b++) {
      let v = (a * q[b]! + b * q[b - 1]!) * inv[a + b]!;
      if (onBoundary[a + b] === 1) {
        const diff = an - b * mg;
        if (diff >= h || -diff >= h) v = 1;
      }
      q[b] = v;
    }
  }
  return Math.min(1, Math.max(0, q[n]!));
}
