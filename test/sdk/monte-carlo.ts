/**
 * Monte-Carlo check shared by the policy tests: draw N slates, count how often each (item, position) occurs, and
 * compare every count with the propensity the policy logged for that pair, within 4 standard errors
 * sqrt(p (1 - p) / N). Pairs never drawn must have a logged marginal small enough not to be seen (p N < 12, a chance
 * of e^-12 to miss). With `meanZ2`, for policies whose pairs are counted like multinomial cells (not, for example,
 * epsilon-greedy's greedy pairs, which one coin moves together), the mean of z^2 over the pairs with at least 50
 * expected draws must also be within 6 of its standard deviations, sqrt(2 / m), of 1. The logged propensity (up to
 * rounding, 1e-9 relative) and the explored flag of a pair must be the same in every draw, and equal to the policy's
 * marginal table.
 */
import { expect } from 'vitest';
import type { Marginals, Slate } from '../../src/sdk/index.js';

export interface McReport {
  pairs: number;
  worstZ: number;
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
  let worstZ = 0;
  // Over the pairs with at least 50 expected draws, where z is close to normal: the mean of z^2, near 1 for exact
  // propensities (sd sqrt(2 / m) for independent pairs), and a check that does not fail by chance as often as the
  // largest of thousands of |z| does. On the 1,000-candidate Plackett-Luce test it is 1.006 (limit 1.111); logged
  // propensities 3% off (up and down by item) give 1.155, and a worst |z| of 4.2.
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
      expect(z, `item ${item} at position ${pos}: frequency ${freq} vs propensity ${p}`).toBeLessThan(4);
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
  return { pairs: seen.size, worstZ, meanZ2: z2 / m, seen };
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
