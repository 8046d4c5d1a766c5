/**
 * The WebAssembly kernels (src/sdk/policies/wasm) against their TypeScript twins, which are tested against exact
 * enumeration and multiplied-out products in plackett-luce.test.ts; and kernels.ts against kernels.wat compiled (with
 * the bootstrap's resample-wasm.ts against resample.wat: the same script checks both).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { gatherBulk, LightTail, tailTerms } from '../../src/sdk/policies/plackett-luce-tail.js';
import { createRng } from '../../src/stats/rng.js';
import { plackettLuceIntegral } from '../../src/sdk/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('WebAssembly kernels', () => {
  it('kernels.ts is kernels.wat compiled, and resample-wasm.ts resample.wat (scripts/build-wasm.js --check)', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build-wasm.js'), '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('run on this Node (the SDK would otherwise fall back to the TypeScript kernels without a word)', () => {
    expect(new LightTail().usesWasm).toBe(true);
    expect(new LightTail({ wasm: false }).usesWasm).toBe(false);
  });

  it('the light tail built in WebAssembly gives the TypeScript build: same buckets and order, same polynomials to 1e-13', () => {
    const rng = createRng(311);
    const wasm = new LightTail(), ts = new LightTail({ wasm: false });
    let compared = 0, worst = 0;
    // odd and even counts (the kernel takes two items at a time), single items, weights spread over many octaves and
    // into the last bucket (below 2^-62 of the largest), slates whose moment count is not a multiple of eight
    for (const nb of [1, 2, 3, 4, 7, 64, 991, 2500])
      for (const spread of [0.2, 1, 4, 40])
        for (const D of [1, 9, 19, 40]) {
          const bw = Float64Array.from({ length: nb }, () => Math.exp(spread * rng.normal()));
          // a longer array than nb: build must read only the first nb
          const padded = new Float64Array(nb + 5).fill(123);
          padded.set(bw);
          wasm.build(padded, nb, D);
          ts.build(bw, nb, D);
          expect(wasm.nBuckets).toBe(ts.nBuckets);
          expect([...wasm.bucketStart.subarray(0, ts.nBuckets + 1)]).toEqual([...ts.bucketStart.subarray(0, ts.nBuckets + 1)]);
          expect([...wasm.sorted.subarray(0, nb)]).toEqual([...ts.sorted.subarray(0, nb)]);
          let W = 0;
          for (const x of bw) W += x;
          const a = new Float64Array(D + 1), b = new Float64Array(D + 1);
          for (const Wt of [0.003, 0.1, 1, 5, 30])
            for (let hb = 0; hb < ts.nBuckets; hb++) {
              const okA = wasm.evaluate(Wt / W, hb, D, 1e-12, a), okB = ts.evaluate(Wt / W, hb, D, 1e-12, b);
              // the two agree to rounding, so a bound right at the tolerance may go either way: compare where both accept
              if (!(okA && okB)) continue;
              compared++;
              for (let d = 0; d <= D; d++) {
                const r = a[d] === b[d] ? 0 : Math.abs(a[d]! - b[d]!) / Math.max(Math.abs(b[d]!), 1e-300);
                worst = Math.max(worst, b[d]! < 1e-18 ? Math.abs(a[d]! - b[d]!) * 1e5 : r);
              }
            }
          expect(tailTerms(D)).toBeGreaterThan(D);
        }
    expect(compared).toBeGreaterThan(1000);
    expect(worst).toBeLessThan(1e-13);
  });

  it('buildBulk in WebAssembly takes the same bulk as gatherBulk: not the queries, nothing at or below wMin, in index order', () => {
    const rng = createRng(312);
    const wasm = new LightTail(), ts = new LightTail({ wasm: false });
    for (const n of [1, 5, 1000, 3000]) {
      const w = Float64Array.from({ length: n }, () => Math.exp(3 * rng.normal()));
      w[0] = 1e-70; // below wMin
      const items = [...new Set(Array.from({ length: Math.min(n - 1, 10) }, () => 1 + rng.int(n - 1)))];
      const wMin = 1e-60;
      const isQuery = new Uint8Array(n), want = new Float64Array(n);
      const { nb } = gatherBulk(w, n, items, wMin, isQuery, want);
      expect(nb).toBe(w.filter((x, i) => x > wMin && !items.includes(i)).length);
      expect(isQuery.every((b) => b === 0)).toBe(true);
      for (const tail of [wasm, ts]) {
        expect(tail.buildBulk(w, n, items, wMin, 9)).toBe(nb);
        // the same multiset, in bucket order: compare against the build of gatherBulk's list
        const ref = new LightTail({ wasm: false });
        ref.build(want, nb, 9);
        expect([...tail.sorted.subarray(0, nb)]).toEqual([...ref.sorted.subarray(0, nb)]);
        expect(tail.nBuckets).toBe(ref.nBuckets);
      }
    }
  });

  it('the integral gives the same numbers after its kernel memory grows (1,000, then 6,000, then 1,000 candidates)', () => {
    const rng = createRng(313);
    const weights = (n: number) => Float64Array.from({ length: n }, () => Math.exp(rng.normal()));
    const small = weights(1000), large = weights(6000);
    const items = [3, 17, 250, 999, 5, 640, 2, 71, 808, 400];
    const pos = items.map((_, j) => j + 1);
    const first = plackettLuceIntegral(small, items, pos, 10, 2);
    const big = plackettLuceIntegral(large, [...items, 5999, 4321], [...pos, 11, 12], 12, 2);
    const again = plackettLuceIntegral(small, items, pos, 10, 2);
    expect([...again]).toEqual([...first]);
    // and the large one against every item multiplied out (no light tail)
    const ref = plackettLuceIntegral(large, [...items, 5999, 4321], [...pos, 11, 12], 12, 2, 0);
    for (let a = 0; a < big.length; a++) expect(Math.abs(big[a]! - ref[a]!) / ref[a]!).toBeLessThan(1e-10);
  });
});
