/**
 * Monte-Carlo check shared by the policy tests: draw N slates, count how often each (item, position) occurs, and
 * compare every count with the propensity the policy logged for that pair.
 *
 * Per pair: the exact two-sided binomial tail probability of its count under the logged propensity, 2 min(P(X <=
 * count), P(X >= count)) with X ~ Binomial(N, p), must be at least ALPHA / pairs (Bonferroni over the pairs seen,
 * family-wise false-alarm rate ALPHA = 1e-3 for a correct policy). The tails come from the regularized incomplete beta
 * function, P(X >= k) = I_p(k, N - k + 1) and P(X <= k) = I_{1-p}(N - k, k + 1) (Abramowitz & Stegun 1964, 26.5.24).
 * This replaces a rule of |z| < 4 per pair (z = (count / N - p) / sqrt(p (1 - p) / N)): with the 10,000 pairs of the
 * 1,000-candidate Plackett-Luce test that rule has a family-wise false-alarm rate near one half (tail 6.3e-5 per pair),
 * and the normal approximation is off where p N is small (a count of 18 at p N = 7.1 is z = 4.1, a normal tail of 4e-5
 * against a binomial one of 8.5e-4). Five of eight random seeds of that test failed it with the sampler unchanged, so
 * it could not tell a correct policy from a wrong one. With 21 pairs the new bound is |z| of about 4.1 where z is close
 * to normal, with 10,000 pairs about 5.3; `monte-carlo.test.ts` checks that it still fails policies whose logged
 * propensities are a few percent off, locally or everywhere.
 *
 * Pairs never drawn must have a logged marginal small enough not to be seen (p N < 12, a chance of e^-12 to miss).
 * With `meanZ2`, for policies whose pairs are counted like multinomial cells (not, for example, epsilon-greedy's
 * greedy pairs, which one coin moves together), the mean of z^2 over the pairs with at least 50 expected draws must
 * also be within 6 of its standard deviations, sqrt(2 / m), of 1: the check for errors spread thinly over many pairs.
 * The logged propensity (up to rounding, 1e-9 relative) and the explored flag of a pair must be the same in every
 * draw, and equal to the policy's marginal table.
 */
import { expect } from 'vitest';
import type { Marginals, Slate } from '../../src/sdk/index.js';
import { regularizedIncompleteBeta } from '../../src/stats/incomplete-beta.js';

/** Family-wise false-alarm rate of the per-pair check for a correct policy. */
export const ALPHA = 1e-3;

/** Two-sided exact binomial tail of `count` successes in N trials of probability p (0 < p < 1). */
export function binomialTwoSided(count: number, N: number, p: number): number {
  const upper = count === 0 ? 1 : regularizedIncompleteBeta(p, count, N - count + 1, 1 - p);
  const lower = count === N ? 1 : regularizedIncompleteBeta(1 - p, N - count, count + 1, p);
  return Math.min(1, 2 * Math.min(upper, lower));
}

export interface McReport {
  pairs: number;
  worstZ: number;
  /** The smallest two-sided binomial tail of a pair's count, and the bound it must stay above (ALPHA / pairs). */
  minTail: number;
  tailBound: number;
  /** Mean of z^2 over the pairs with at least 50 expected draws (NaN when there are none). */
  meanZ2: number;
  seen: Map<string, { count: number; propensity: number; explored: boolean }>;
}

export function monteCarlo(
  draw: () => Slate,
  N: number,
  table: Marginals,
  opts: { greedyPosition?: (item: string) => number | undefined; meanZ2?: boolean } = {},
): McReport {
  const seen = new Map<string, { count: number; propensity: number; explored: boolean }>();
  for (let r = 0; r < N; r++) {
    const slate = draw();
    for (const s of slate.shown) {
      const key = `${s.item_id}\u0000${s.position}`;
      const e = seen.get(key);
      if (!e) seen.set(key, { count: 1, propensity: s.propensity, explored: s.explored });
      else {
        e.count++;
        // Equal up to rounding (the integral sums in an order that depends on the other items shown).
        if (Math.abs(e.propensity - s.propensity) > 1e-9 * e.propensity)
          throw new Error(`propensity of ${key} changed: ${e.propensity} then ${s.propensity}`);
        if (e.explored !== s.explored) throw new Error(`explored flag of ${key} changed`);
      }
    }
  }
  let worstZ = 0, minTail = 1;
  const tailBound = ALPHA / seen.size;
  // Over the pairs with at least 50 expected draws, where z is close to normal: the mean of z^2, near 1 for exact
  // propensities (sd sqrt(2 / m) for independent pairs). On the 1,000-candidate Plackett-Luce test it is 1.006 (limit
  // 1.111); logged propensities 3% off (up and down by item) give 1.155.
  let z2 = 0, m = 0;
  for (const [key, e] of seen) {
    const [item, pos] = key.split('\u0000') as [string, string];
    const p = e.propensity;
    const se = Math.sqrt((p * (1 - p)) / N);
    const freq = e.count / N;
    if (p === 1) expect(e.count, `${key} logged with propensity 1`).toBe(N);
    else {
      const z = Math.abs(freq - p) / se;
      worstZ = Math.max(worstZ, z);
      if (p * N >= 50) (z2 += z * z), m++;
      const tail = binomialTwoSided(e.count, N, p);
      minTail = Math.min(minTail, tail);
      expect(tail, `item ${item} at position ${pos}: frequency ${freq} vs propensity ${p} (z = ${z.toFixed(2)})`).toBeGreaterThanOrEqual(tailBound);
    }
    // The logged value is the policy's marginal table entry.
    const i = table.items.indexOf(item);
    expect(Math.abs(table.p[i * table.positions + Number(pos) - 1]! - p)).toBeLessThanOrEqual(1e-9 * p);
    if (opts.greedyPosition) expect(e.explored, `explored flag of ${key}`).toBe(opts.greedyPosition(item) !== Number(pos));
  }
  if (opts.meanZ2 && m >= 10) expect(Math.abs(z2 / m - 1), `mean z^2 over ${m} pairs`).toBeLessThan(6 * Math.sqrt(2 / m));
  // Pairs the table says are possible but never came up must be rare enough to miss.
  for (let i = 0; i < table.items.length; i++)
    for (let j = 1; j <= table.positions; j++) {
      const p = table.p[i * table.positions + j - 1]!;
      if (!seen.has(`${table.items[i]}\u0000${j}`)) expect(p * N, `${table.items[i]} at ${j} never drawn`).toBeLessThan(12);
    }
  return { pairs: seen.size, worstZ, minTail, tailBound, meanZ2: z2 / m, seen };
}

/** Every column of the table sums to 1 (each slot shows one item) and every row to at most 1. */
export function expectStochastic(table: Marginals, tol = 1e-9): void {
  const { items, positions, p } = table;
  for (let j = 0; j < positions; j++) {
    let s = 0;
    for (let i = 0; i < items.length; i++) s += p[i * positions + j]!;
    expect(Math.abs(s - 1), `column ${j + 1} sums to ${s}`).toBeLessThan(tol);
  }
  for (let i = 0; i < items.length; i++) {
    let s = 0;
    for (let j = 0; j < positions; j++) s += p[i * positions + j]!;
    expect(s, `row ${items[i]}`).toBeLessThanOrEqual(1 + tol);
  }
}

/** Greedy positions by score, highest first, ties in input order: computed here with a plain sort. */
export function greedyBy(items: ReadonlyArray<{ item_id: string; score: number }>, k: number): (item: string) => number | undefined {
  const order = items.map((c, i) => ({ ...c, i })).sort((a, b) => b.score - a.score || a.i - b.i);
  const pos = new Map(order.slice(0, k).map((c, j) => [c.item_id, j + 1]));
  return (item) => pos.get(item);
}
