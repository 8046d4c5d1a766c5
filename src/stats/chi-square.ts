import { regularizedIncompleteGamma } from './incomplete-gamma.js';

function checkDf(fn: string, df: number): void {
  if (!(df > 0) || !Number.isFinite(df)) throw new RangeError(`${fn}: df must be finite and > 0, got ${df}`);
}

/**
 * Chi-square survival function P(X >= x) for X ~ chi^2(df): Q(df/2, x/2), the upper regularized incomplete gamma
 * ({@link regularizedIncompleteGamma}); full relative precision in the far upper tail.
 * Reference: Abramowitz & Stegun (1964), 26.4.19 (chi-square via the incomplete gamma).
 */
export function chiSquareSf(x: number, df: number): number {
  checkDf('chiSquareSf', df);
  if (Number.isNaN(x)) throw new RangeError('chiSquareSf: x must be a number, got NaN');
  if (x <= 0) return 1;
  return regularizedIncompleteGamma(df / 2, x / 2).upper;
}

/** Chi-square distribution function P(X <= x) = P(df/2, x/2). */
export function chiSquareCdf(x: number, df: number): number {
  checkDf('chiSquareCdf', df);
  if (Number.isNaN(x)) throw new RangeError('chiSquareCdf: x must be a number, got NaN');
  if (x <= 0) return 0;
  return regularizedIncompleteGamma(df / 2, x / 2).lower;
}

/** Pearson's chi-square test of homogeneity. */
export interface ChiSquareTest {
  statistic: number;
  /** (rows - 1)(columns - 1), counting only rows and columns with a positive total. */
  df: number;
  /** P(chi^2(df) >= statistic); 1 when df = 0 (nothing to compare). */
  pValue: number;
}

/**
 * Pearson's chi-square test of homogeneity of an r x k contingency table (e.g. row 0 = reference counts per category,
 * row 1 = current counts): with row totals R_i, column totals C_j and N = sum,
 *
 *     E_ij = R_i C_j / N,   X^2 = sum_ij (O_ij - E_ij)^2 / E_ij,   df = (r - 1)(k - 1),   p = P(chi^2_df >= X^2)
 *
 * Rows and columns whose total is 0 carry no information and are dropped (a category seen in only one sample keeps
 * its column: E > 0 there). No continuity correction: this equals scipy.stats.chi2_contingency(table,
 * correction=False) and, for 2 x 2, the square of the pooled two-proportion z statistic.
 * Reference: Pearson (1900), Phil. Mag. 50; Agresti (2013), "Categorical Data Analysis", 3rd ed., section 3.2.
 *
 * @param table rows of counts, all of the same length, finite and >= 0
 * @throws RangeError on ragged rows or negative / non-finite counts.
 */
export function chiSquareHomogeneity(table: ReadonlyArray<ArrayLike<number>>): ChiSquareTest {
  const fn = 'chiSquareHomogeneity';
  const k = table[0]?.length ?? 0;
  for (const [i, row] of table.entries()) {
    if (row.length !== k) throw new RangeError(`${fn}: every row must have ${k} entries, row ${i} has ${row.length}`);
    for (let j = 0; j < k; j++) {
      const v = row[j]!;
      if (!(Number.isFinite(v) && v >= 0)) throw new RangeError(`${fn}: table[${i}][${j}] must be a finite number >= 0, got ${v}`);
    }
  }
  const rowTotals = table.map((r) => {
    let s = 0;
    for (let j = 0; j < k; j++) s += r[j]!;
    return s;
  });
  const colTotals = new Float64Array(k);
  for (const r of table) for (let j = 0; j < k; j++) colTotals[j]! += r[j]!;
  const n = rowTotals.reduce((a, b) => a + b, 0);
  const rows = rowTotals.filter((t) => t > 0).length;
  const cols = colTotals.filter((t) => t > 0).length;
  const df = Math.max(0, (rows - 1) * (cols - 1));
  if (df === 0) return { statistic: 0, df: 0, pValue: 1 };
  let x2 = 0;
  table.forEach((r, i) => {
    if (rowTotals[i] === 0) return;
    for (let j = 0; j < k; j++) {
      if (colTotals[j] === 0) continue;
      const e = (rowTotals[i]! * colTotals[j]!) / n;
      const d = r[j]! - e;
      x2 += (d * d) / e;
    }
  });
  return { statistic: x2, df, pValue: chiSquareSf(x2, df) };
}
