/**
 * Distributions of the one-sample Kolmogorov-Smirnov statistics, used for the large-sample p-value of the two-sample
 * test (scipy.stats.ks_2samp with method 'asymp' evaluates the two-sided one-sample law at n = round(m n / (m + n))).
 *
 *     D_n^+ = sup_x (F_n(x) - F(x)),   D_n = sup_x |F_n(x) - F(x)|   for a sample of n from a continuous F.
 *
 * - {@link smirnovSf}: P(D_n^+ >= x), exact, by the Smirnov (1944) / Birnbaum-Tingey (1951) sum
 *       P(D_n^+ >= x) = x sum_{j=0}^{floor(n(1-x))} C(n, j) (1 - x - j/n)^(n-j) (x + j/n)^(j-1)
 *   (all terms positive; evaluated in logarithms, so no overflow for large n).
 * - {@link kolmogorovSmirnovSf}: P(D_n >= x), by the algorithm of Simard & L'Ecuyer (2011), "Computing the two-sided
 *   Kolmogorov-Smirnov distribution", Journal of Statistical Software 39(11): Ruben-Gambino closed forms at the
 *   extremes, the Durbin (1968) matrix in the form of Marsaglia, Tsang & Wang (2003) for small n x^2 (also where they
 *   use Pomeranz's (1974) recursion, n <= 140 and n x^2 <= 4: both are exact there, the matrix is only slower), 2 P(D_n^+ >= x)
 *   in the upper tail (exact for x >= 1/2; otherwise Miller's (1956) approximation, whose error there is below
 *   ~5e-8), and the Pelz & Good (1976) expansion for large n. The thresholds are theirs (and scipy's `kolmogn`).
 * - {@link kolmogorovSf}: Kolmogorov's (1933) limiting law P(sqrt(n) D_n >= z) -> 2 sum_{k>=1} (-1)^(k-1) e^(-2 k^2 z^2).
 *
 * References: Kolmogorov (1933), "Sulla determinazione empirica di una legge di distribuzione", Giornale dell'Istituto
 * Italiano degli Attuari 4; Smirnov (1944), Uspekhi Mat. Nauk 10; Birnbaum & Tingey (1951), Ann. Math. Statist. 22(4);
 * Durbin (1968), Ann. Math. Statist. 39; Marsaglia, Tsang & Wang (2003), "Evaluating Kolmogorov's distribution", JSS
 * 8(18); Pelz & Good (1976), JRSS B 38(2); Simard & L'Ecuyer (2011), JSS 39(11).
 */

const SQRT_2PI = Math.sqrt(2 * Math.PI);
const PI2 = Math.PI * Math.PI;

function checkN(fn: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${fn}: n must be an integer >= 1, got ${n}`);
}

function checkX(fn: string, x: number): void {
  if (Number.isNaN(x)) throw new RangeError(`${fn}: x must be a number, got NaN`);
}

const clip01 = (p: number) => Math.min(1, Math.max(0, p));

/** x * 2^e without intermediate overflow or underflow of 2^e. */
function ldexp(x: number, e: number): number {
  while (e > 1000) (x *= 2 ** 1000), (e -= 1000);
  while (e < -1000) (x *= 2 ** -1000), (e += 1000);
  return x * 2 ** e;
}

/**
 * Kolmogorov's limiting survival function Q(z) = P(K >= z) = 2 sum_{k>=1} (-1)^(k-1) exp(-2 k^2 z^2); for z < 0.82 the
 * equivalent theta-function form 1 - (sqrt(2 pi) / z) sum_{k>=1} exp(-(2k-1)^2 pi^2 / (8 z^2)) (no cancellation).
 * Q(1.3581) = 0.05, Q(1.6276) = 0.01 (Smirnov 1948, "Table for estimating the goodness of fit of empirical
 * distributions", Ann. Math. Statist. 19).
 */
export function kolmogorovSf(z: number): number {
  checkX('kolmogorovSf', z);
  if (z <= 0) return 1;
  if (z < 0.82) {
    let s = 0;
    for (let k = 1; k < 100; k++) {
      const t = Math.exp(-((2 * k - 1) ** 2) * PI2 / (8 * z * z));
      s += t;
      if (t <= 1e-17 * s) break;
    }
    return clip01(1 - (SQRT_2PI / z) * s);
  }
  let s = 0;
  for (let k = 1; k < 100; k++) {
    const t = Math.exp(-2 * k * k * z * z);
    s += k % 2 === 1 ? t : -t;
    if (t <= 1e-17 * Math.abs(s)) break;
  }
  return clip01(2 * s);
}

/**
 * P(D_n^+ >= x), the one-sided one-sample Smirnov statistic, exact by the Birnbaum-Tingey sum (see the module
 * comment), summed in logarithms from the largest term; it stops once the remaining terms, decreasing past the peak,
 * cannot change the sum in double precision. For n > 10^6, like scipy.special.smirnov, the approximation
 * exp(-(6 n x + 1)^2 / (18 n)) (Miller 1956) is used instead.
 *
 * @param n sample size, integer >= 1
 * @param x deviation, any number (clipped to [0, 1])
 */
export function smirnovSf(n: number, x: number): number {
  checkN('smirnovSf', n);
  checkX('smirnovSf', x);
  if (x <= 0) return 1;
  if (x >= 1) return 0;
  if (n === 1) return 1 - x;
  if (-2 * n * x * x < -745) return 0;
  if (n > 1_000_000) return Math.exp(-((6 * n * x + 1) ** 2) / (18 * n));
  const jmax = Math.floor(n * (1 - x));
  // Pass over log terms; the terms are unimodal in j, so once past the peak and far below it, stop.
  let lnC = 0;
  let lmax = -Infinity;
  const logs: number[] = [];
  for (let j = 0; j <= jmax; j++) {
    if (j > 0) lnC += Math.log((n - j + 1) / j);
    const u = x + j / n;
    const rest = (n - j) / n - x; // 1 - x - j/n
    if (!(rest > 0)) break;
    const l = lnC + (n - j) * (u < 0.5 ? Math.log1p(-u) : Math.log(rest)) + (j - 1) * Math.log(u);
    logs.push(l);
    if (l > lmax) lmax = l;
    else if (l < lmax - 50) break;
  }
  let s = 0;
  for (const l of logs) s += Math.exp(l - lmax);
  return clip01(x * Math.exp(lmax) * s);
}

/** n! / n^n, as a mantissa and a power of two (it underflows doubles from n ~ 750). */
function factorialOverPower(n: number): { m: number; e: number } {
  let m = 1;
  let e = 0;
  for (let i = 1; i <= n; i++) {
    m *= i / n;
    if (m < 2 ** -256) (m *= 2 ** 256), (e -= 256);
  }
  return { m, e };
}

function matMul(a: Float64Array<ArrayBufferLike>, b: Float64Array<ArrayBufferLike>, m: number): Float64Array<ArrayBufferLike> {
  const c = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    const ci = i * m;
    for (let k = 0; k < m; k++) {
      const aik = a[ci + k]!;
      if (aik === 0) continue;
      const bk = k * m;
      for (let j = 0; j < m; j++) c[ci + j]! += aik * b[bk + j]!;
    }
  }
  return c;
}

/** Rescales `a` by a power of two when its largest entry leaves [2^-256, 2^256]; returns the exponent added. */
function rescale(a: Float64Array<ArrayBufferLike>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]!));
  if (max > 2 ** 256) {
    for (let i = 0; i < a.length; i++) a[i]! *= 2 ** -256;
    return 256;
  }
  if (max > 0 && max < 2 ** -256) {
    for (let i = 0; i < a.length; i++) a[i]! *= 2 ** 256;
    return -256;
  }
  return 0;
}

/**
 * P(D_n < d) by Durbin's matrix, as in Marsaglia, Tsang & Wang (2003): with n d = k - h (k integer, 0 <= h < 1) and
 * m = 2k - 1, the m x m matrix H has H[i][j] = 1/(i - j + 1)! for i - j + 1 >= 0 (else 0), first column
 * (1 - h^(i+1)) / (i+1)!, last row its reverse, and corner (1 - 2 h^m + max(0, 2h - 1)^m) / m!; then
 * P(D_n < d) = n!/n^n (H^n)[k-1][k-1]. Powers by repeated squaring with power-of-two rescaling.
 */
export function durbinMatrixCdf(n: number, d: number): number {
  checkN('durbinMatrixCdf', n);
  checkX('durbinMatrixCdf', d);
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  const H = new Float64Array(m * m);
  const invFact = new Float64Array(m + 1);
  invFact[0] = 1;
  for (let i = 1; i <= m; i++) invFact[i] = invFact[i - 1]! / i;
  for (let i = 0; i < m; i++) for (let j = 1; j < m; j++) if (i - j + 1 >= 0) H[i * m + j] = invFact[i - j + 1]!;
  for (let i = 0; i < m; i++) H[i * m] = (1 - h ** (i + 1)) * invFact[i + 1]!;
  for (let j = 0; j < m; j++) H[(m - 1) * m + j] = H[(m - 1 - j) * m]!;
  H[(m - 1) * m] = (1 - 2 * h ** m + Math.max(0, 2 * h - 1) ** m) * invFact[m]!;
  let R: Float64Array<ArrayBufferLike> | null = null;
  let eR = 0;
  let B: Float64Array<ArrayBufferLike> = H;
  let eB = 0;
  for (let nn = n; nn > 0; nn = Math.floor(nn / 2)) {
    if (nn % 2 === 1) {
      if (R === null) (R = B.slice()), (eR = eB);
      else (R = matMul(R, B, m)), (eR += eB);
      eR += rescale(R);
    }
    if (nn > 1) {
      B = matMul(B, B, m);
      eB *= 2;
      eB += rescale(B);
    }
  }
  const f = factorialOverPower(n);
  return clip01(ldexp(R![(k - 1) * m + (k - 1)]! * f.m, eR + f.e));
}

/**
 * Pelz & Good (1976) expansion of P(D_n <= x) to order n^(-3/2) in z = sqrt(n) x, with the Jacobi-theta forms of
 * K0..K3 (Simard & L'Ecuyer 2011, section 2.1). Accurate to ~1e-10 and better for n > 10^5.
 */
export function pelzGoodCdf(n: number, x: number): number {
  checkN('pelzGoodCdf', n);
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const z = Math.sqrt(n) * x;
  const z2 = z * z, z3 = z2 * z, z4 = z2 * z2, z6 = z4 * z2, z8 = z4 * z4;
  const qlog = -PI2 / 8 / z2;
  if (qlog < -708) return 0;
  const maxk = Math.ceil((16 * z) / Math.PI);
  const PI4 = PI2 * PI2, PI6 = PI4 * PI2;
  // Sums over odd m = 2k - 1 of c_i(m) q^(m^2).
  const K = [0, 0, 0, 0];
  for (let k = 1; k <= maxk; k++) {
    const mm = 2 * k - 1;
    const m2 = mm * mm, m4 = m2 * m2, m6 = m4 * m2;
    const w = Math.exp(qlog * m2);
    if (w === 0) break;
    K[0]! += w;
    K[1]! += w * ((PI2 * m2) / 4 - z2);
    K[2]! += w * (6 * z6 + 2 * z4 + ((2 * z4 - 5 * z2) * PI2 * m2) / 4 + (PI4 * (1 - 2 * z2) * m4) / 16);
    K[3]! +=
      w *
      (-30 * z6 - 90 * z8 + (PI2 * (135 * z4 - 96 * z6) * m2) / 4 + (PI4 * (212 * z4 - 60 * z2) * m4) / 16 + (PI6 * (5 - 30 * z2) * m6) / 64);
  }
  K[0] = (K[0]! * SQRT_2PI) / z;
  K[1] = (K[1]! * SQRT_2PI) / (6 * z4);
  K[2] = (K[2]! * SQRT_2PI) / (72 * z ** 7);
  K[3] = (K[3]! * SQRT_2PI) / (6480 * z ** 10);
  // Sums over all integers k >= 1 of k^2 q2^(k^2), q2 = exp(-pi^2 / (2 z^2)).
  let s2 = 0, s3 = 0;
  for (let k = 1; k <= maxk; k++) {
    const w = Math.exp((-PI2 / (2 * z2)) * k * k);
    if (w === 0) break;
    s2 += k * k * w;
    s3 += (3 * z2 - PI2 * k * k) * k * k * w;
  }
  K[2]! += (s2 * PI2 * SQRT_2PI) / (-36 * z3);
  K[3]! += (s3 * PI2 * SQRT_2PI) / (216 * z6);
  return K[0]! + K[1]! / Math.sqrt(n) + K[2]! / n + K[3]! / (n * Math.sqrt(n));
}

/**
 * P(D_n >= x) for the two-sided one-sample Kolmogorov-Smirnov statistic (scipy.stats.kstwo.sf(x, n)), by the
 * Simard & L'Ecuyer (2011) selection of methods described in the module comment.
 *
 * @param n sample size, integer >= 1
 * @param x deviation (values outside [0, 1] give 1 or 0)
 */
export function kolmogorovSmirnovSf(n: number, x: number): number {
  checkN('kolmogorovSmirnovSf', n);
  checkX('kolmogorovSmirnovSf', x);
  if (x >= 1) return 0;
  if (x <= 0) return 1;
  const t = n * x;
  if (t <= 1) {
    // Ruben & Gambino (1982): P(D_n < x) = n!/n^n (2t - 1)^n for 1/(2n) <= x <= 1/n.
    if (t <= 0.5) return 1;
    const f = factorialOverPower(n);
    const cdf = ldexp(f.m * (2 * t - 1) ** n, f.e);
    return clip01(1 - cdf);
  }
  if (t >= n - 1) return clip01(2 * (1 - x) ** n); // Ruben & Gambino (1982)
  if (x >= 0.5) return clip01(2 * smirnovSf(n, x)); // D+ >= x and D- >= x are disjoint
  const nx2 = t * x;
  if (n <= 140) {
    if (nx2 <= 4) return clip01(1 - durbinMatrixCdf(n, x));
    return clip01(2 * smirnovSf(n, x));
  }
  if (nx2 >= 370) return 0;
  if (nx2 >= 2.2) return clip01(2 * smirnovSf(n, x));
  const cdf = n <= 100_000 && n * x ** 1.5 <= 1.4 ? durbinMatrixCdf(n, x) : pelzGoodCdf(n, x);
  return clip01(1 - cdf);
}
