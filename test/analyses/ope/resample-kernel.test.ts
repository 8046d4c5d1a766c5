/**
 * The resampling kernel's paths against values computed here independently: column sums against the resample counts
 * read back through identity columns (several panels, partial blocks, one to eight columns a panel), three positions
 * per random word (blocks of at most 2^10 rounds) against the multinomial's moments, the WebAssembly kernel against its
 * TypeScript twin, and columns that are exact sums of two others against resampling them directly.
 */
import { describe, expect, it } from 'vitest';
import { bootstrapRoundTerms, resampleColumnSums } from '../../../src/analyses/ope/index.js';
import { createRng } from '../../../src/stats/rng.js';

function identity(n: number): Float64Array[] {
  return Array.from({ length: n }, (_, j) => {
    const c = new Float64Array(n);
    c[j] = 1;
    return c;
  });
}

describe('resampleColumnSums: resample.wat and its TypeScript twin', () => {
  it.each([
    [1, 4000, 10], // one column (S = 1), three full blocks and a partial one
    [2, 1500, 4],
    [3, 1025, 10], // one full block and a partial block of one row
    [4, 777, 3],
    [5, 3000, 10], // S = 3 with a padded column: the specialised loop
    [6, 3000, 10], // S = 3: the standard seven's six columns
    [7, 2000, 6],
    [8, 2048, 10], // two full blocks, no partial one
    [11, 1300, 8], // two panels (8 + 3 columns) replaying the same draws
    [19, 900, 5], // three panels
  ])('J = %i columns, n = %i, 2^%i-round blocks: the same sums bit for bit, on 1 and 2 threads', (J, n, bits) => {
    const rng = createRng(900 + J);
    const cols = Array.from({ length: J }, (_, j) =>
      Float64Array.from({ length: n }, () => (j % 3 === 2 ? (rng.next() < 0.1 ? rng.normal() : 0) : rng.normal() * (j + 1))),
    );
    const R = 70; // two groups, the second partial
    const report = { threads: 0, workerFailures: 0, wasm: false };
    const wasm = resampleColumnSums(cols, R, 7, { blockBits: bits, threads: 1, report });
    expect(report.wasm).toBe(true);
    const twin = resampleColumnSums(cols, R, 7, { blockBits: bits, threads: 1, wasm: false, report });
    expect(report.wasm).toBe(false);
    expect(Array.from(wasm)).toEqual(Array.from(twin));
    expect(Array.from(resampleColumnSums(cols, R, 7, { blockBits: bits, threads: 2, wasm: false }))).toEqual(Array.from(twin));
    expect(Array.from(resampleColumnSums(cols, R, 7, { blockBits: bits, threads: 2 }))).toEqual(Array.from(twin));
  });
});

describe('resampleColumnSums: column sums are the counts times the columns', () => {
  it.each([
    [300, 4], // 18 full blocks of 16 (three positions per word) and a partial one
    [300, 10], // one partial block
    [2500, 11], // a full block of 2048 (two positions per word) and a partial one
  ])('n = %i, 2^%i-round blocks: every sum is the counts (read through identity columns) times the column', (n, bits) => {
    // (a sparse column, a dense one and five more: the last panel holds 8 columns, on 1 and 2 threads)
    const rng = createRng(31);
    const dense = Float64Array.from({ length: n }, () => rng.normal());
    const sparse = Float64Array.from({ length: n }, () => (rng.next() < 0.1 ? rng.normal() : 0)); // ~10% nonzero
    const shifted = Float64Array.from(sparse, (x) => x + 1); // dense
    const extra = [1, 2, 3].map((e) => Float64Array.from({ length: n }, () => rng.normal() * e));
    const cols = [...identity(n), dense, sparse, shifted, ...extra];
    const J = cols.length;
    const R = 41; // odd: the last resample of the group takes the one-resample pass
    for (const threads of [1, 2]) {
      const sums = resampleColumnSums(cols, R, 5, { blockBits: bits, threads });
      for (let r = 0; r < R; r++) {
        let sd = 0, ss = 0, total = 0;
        for (let i = 0; i < n; i++) {
          const c = sums[r * J + i]!;
          expect(Number.isInteger(c)).toBe(true);
          total += c;
          sd += c * dense[i]!;
          ss += c * sparse[i]!;
        }
        expect(total).toBe(n);
        expect(Math.abs(sums[r * J + n]! - sd)).toBeLessThan(1e-9);
        expect(Math.abs(sums[r * J + n + 1]! - ss)).toBeLessThan(1e-9);
        expect(Math.abs(sums[r * J + n + 2]! - (ss + n))).toBeLessThan(1e-9);
        extra.forEach((col, e) => {
          let se = 0;
          for (let i = 0; i < n; i++) se += sums[r * J + i]! * col[i]!;
          expect(Math.abs(sums[r * J + n + 3 + e]! - se)).toBeLessThan(1e-9);
        });
      }
    }
  });

  it('2^10-round blocks (three 10-bit positions per word): counts have mean 1, variance 1 - 1/n and P(0) = (1 - 1/n)^n', () => {
    const n = 2048; // two full blocks
    const R = 400;
    const sums = resampleColumnSums(identity(n), R, 11, { blockBits: 10 });
    let s = 0, sq = 0, zeros = 0;
    for (let x = 0; x < sums.length; x++) {
      const c = sums[x]!;
      s += c;
      sq += c * c;
      if (c === 0) zeros++;
    }
    const N = R * n;
    const mean = s / N, v = sq / N - mean * mean;
    expect(mean).toBe(1); // every resample has exactly n draws
    // Counts of one resample are nearly independent (covariance -1/n); tolerances of 5 standard errors over N counts.
    expect(Math.abs(v - (1 - 1 / n))).toBeLessThan(5 * Math.sqrt(3 / N));
    const p0 = (1 - 1 / n) ** n;
    expect(Math.abs(zeros / N - p0)).toBeLessThan(5 * Math.sqrt((p0 * (1 - p0)) / N));
  });
});

describe('bootstrapRoundTerms: a column that is the sum of two others', () => {
  it('gets the sums of resampling it directly (same seed, same counts), to rounding', () => {
    const rng = createRng(41);
    const n = 20_000;
    const x = Float64Array.from({ length: n }, () => rng.normal());
    const y = Float64Array.from({ length: n }, () => rng.normal() * 3);
    const z = Float64Array.from(x, (v, i) => v + y[i]!); // exactly x + y, row by row
    const R = 64;
    const res = bootstrapRoundTerms(
      [
        { name: 'x', terms: { n, additive: x } },
        { name: 'y', terms: { n, additive: y } },
        { name: 'z', terms: { n, additive: z } },
      ],
      { n: R, seed: 3, keepReplicates: true },
    );
    // The counts depend only on (n, resamples, seed), not on the columns: resample z on its own.
    const direct = resampleColumnSums([z], R, 3);
    const zr = res.estimates[2]!.replicates!;
    for (let r = 0; r < R; r++) expect(Math.abs(zr[r]! - direct[r]! / n)).toBeLessThan(1e-12);
    expect(res.estimates[2]!.value).toBeCloseTo(z.reduce((a, b) => a + b, 0) / n, 12);
  });
});
