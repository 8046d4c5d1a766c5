/**
 * Plackett-Luce: the exact enumeration against slate probabilities summed by brute force in this file; the
 * exponential-race integral against the enumeration (hundreds of random weight vectors) and against a much finer grid
 * for 1,000 candidates; the policy's logged propensities against 100,000 draws, both in the enumeration regime and in
 * the integral regime; and the integral at 1,000 candidates against an independent sequential sampler.
 */
import { describe, expect, it } from 'vitest';
import {
  defaultNodesPerOctave,
  enumerationCost,
  plackettLuce,
  plackettLuceExact,
  plackettLuceIntegral,
  plackettLuceMarginals,
  plackettLuceWeights,
  type Candidate,
} from '../../src/sdk/index.js';
import { LEFT_TERMS, leftStride, leftWeights } from '../../src/sdk/policies/plackett-luce-left.js';
import { LightTail } from '../../src/sdk/policies/plackett-luce-tail.js';
import { createRng, type Rng } from '../../src/stats/rng.js';
import { expectStochastic, greedyBy, monteCarlo } from './monte-carlo.js';

/** P(i at j) by listing every ordered k-tuple and its probability prod_j w_ij / (W - earlier). */
function bruteForce(w: number[], k: number): number[][] {
  const n = w.length;
  const out = w.map(() => new Array<number>(k).fill(0));
  const rec = (prefix: number[], prob: number) => {
    if (prefix.length === k) {
      prefix.forEach((i, j) => (out[i]![j]! += prob));
      return;
    }
    const rem = w.reduce((s, x, i) => (prefix.includes(i) ? s : s + x), 0);
    for (let i = 0; i < n; i++) if (!prefix.includes(i)) rec([...prefix, i], (prob * w[i]!) / rem);
  };
  rec([], 1);
  return out;
}

/**
 * Independent sampler: k sequential draws proportional to the remaining weights, each by inverting the cumulative
 * weights of all items and redrawing when the item is already taken (conditioning on "not taken" is exactly
 * "proportional to the remaining weights").
 */
function sequentialSampler(w: Float64Array): (k: number, rng: Rng) => number[] {
  const cum = new Float64Array(w.length);
  let s = 0;
  w.forEach((x, i) => (cum[i] = s += x));
  return (k, rng) => {
    const out: number[] = [];
    while (out.length < k) {
      const u = rng.next() * s;
      let lo = 0, hi = w.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cum[mid]! > u) hi = mid;
        else lo = mid + 1;
      }
      if (!out.includes(lo)) out.push(lo);
    }
    return out;
  };
}

function randomWeights(rng: Rng, n: number, spread: number): Float64Array {
  return Float64Array.from({ length: n }, () => Math.exp(spread * rng.normal()));
}

describe('Plackett-Luce marginals', () => {
  it('exact enumeration equals the brute-force sum over slates', () => {
    const rng = createRng(201);
    for (let t = 0; t < 30; t++) {
      const n = 2 + rng.int(5), k = 1 + rng.int(n);
      const w = randomWeights(rng, n, 1.5);
      const bf = bruteForce([...w], k);
      const ex = plackettLuceExact(w, k);
      for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) expect(ex[i * k + j]).toBeCloseTo(bf[i]![j]!, 14);
    }
  });

  it('position 1 is the softmax w_i / W at any temperature', () => {
    const scores = [2, 1, 0.5, -1];
    for (const T of [0.25, 1, 4]) {
      const m = plackettLuceMarginals(scores.map((s, i) => ({ item_id: `i${i}`, score: s })), { slateSize: 2, temperature: T });
      const z = scores.reduce((s, x) => s + Math.exp(x / T), 0);
      scores.forEach((s, i) => expect(m.p[i * 2]).toBeCloseTo(Math.exp(s / T) / z, 14));
    }
  });

  it('the integral matches the enumeration on 300 random weight vectors (relative error < 1e-6; < 1e-8 with R = 3)', () => {
    const rng = createRng(202);
    let worstDefault = 0, worstR3 = 0;
    for (let t = 0; t < 300; t++) {
      const n = 3 + rng.int(7), k = Math.min(n, 2 + rng.int(4));
      const w = randomWeights(rng, n, [0.1, 1, 3, 8][t % 4]!);
      const ex = plackettLuceExact(w, k);
      const all = Array.from({ length: n }, (_, i) => i);
      const ig = plackettLuceIntegral(w, all, null, k, defaultNodesPerOctave(k));
      const ig3 = plackettLuceIntegral(w, all, null, k, 3);
      for (let x = 0; x < n * k; x++) {
        if (ex[x]! < 1e-12) {
          expect(Math.abs(ig[x]! - ex[x]!)).toBeLessThan(1e-12);
          continue;
        }
        worstDefault = Math.max(worstDefault, Math.abs(ig[x]! - ex[x]!) / ex[x]!);
        worstR3 = Math.max(worstR3, Math.abs(ig3[x]! - ex[x]!) / ex[x]!);
      }
    }
    expect(worstDefault).toBeLessThan(1e-6);
    expect(worstR3).toBeLessThan(1e-8);
  });

  it('the integral for 1,000 candidates is within 1e-5 (relative) of a 12x finer grid, for 10, 20 and 40 slots', () => {
    const rng = createRng(203);
    for (const k of [10, 20, 40]) {
      const w = randomWeights(rng, 1000, 1);
      const items = Array.from({ length: k }, (_, j) => 3 + j * 17);
      const pos = Array.from({ length: k }, (_, j) => j + 1);
      const R = defaultNodesPerOctave(k);
      const got = plackettLuceIntegral(w, items, pos, k, R);
      const ref = plackettLuceIntegral(w, items, pos, k, 12 * R);
      for (let a = 0; a < k; a++) expect(Math.abs(got[a]! - ref[a]!) / ref[a]!).toBeLessThan(1e-5);
    }
  });

  it('the integral for 1,000 candidates matches 100,000 slates from an independent sequential sampler', () => {
    const rng = createRng(204);
    const n = 1000, k = 10;
    // A head of popular items and a long tail, so that positions 1..10 mix head and tail.
    const w = Float64Array.from({ length: n }, (_, i) => (i < 20 ? 20 / (1 + i) : 0.2 * Math.exp(0.5 * rng.normal())));
    const watch = [0, 1, 5, 19, 20, 500, 999];
    const table = plackettLuceIntegral(w, watch, null, k, defaultNodesPerOctave(k));
    const N = 100_000;
    const counts = new Float64Array(watch.length * k);
    const slot = new Map(watch.map((i, a) => [i, a]));
    const sample = sequentialSampler(w);
    for (let r = 0; r < N; r++)
      sample(k, rng).forEach((i, j) => {
        const a = slot.get(i);
        if (a !== undefined) counts[a * k + j]!++;
      });
    for (let x = 0; x < counts.length; x++) {
      const p = table[x]!;
      expect(Math.abs(counts[x]! / N - p), `item ${watch[Math.floor(x / k)]} at ${(x % k) + 1}`).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / N) + 1e-9);
    }
  });

  it('finer grids agree: R = 4 to 48 nodes per octave match R = 64 to 1e-12 for 1,000 candidates (the strided left fit stays well-conditioned)', () => {
    const rng = createRng(210);
    const w = randomWeights(rng, 1000, 1);
    const items = Array.from({ length: 10 }, (_, j) => 3 + j * 17);
    const pos = Array.from({ length: 10 }, (_, j) => j + 1);
    const ref = plackettLuceIntegral(w, items, pos, 10, 64);
    for (const R of [4, 8, 16, 24, 48]) {
      const got = plackettLuceIntegral(w, items, pos, 10, R);
      for (let a = 1; a < 10; a++) expect(Math.abs(got[a]! - ref[a]!) / ref[a]!).toBeLessThan(1e-12);
    }
  });

  it('the left tail sums the nodes below the first exactly for sums of the fitted exponentials (geometric series)', () => {
    // f(s) = sum_{k < LEFT_TERMS} A_k e^{(j+k) s}: the nodes s_0 - h, s_0 - 2h, ... sum to sum_k A_k e^{(j+k) s_0} / (e^{(j+k) h} - 1);
    // the fit reads f at s_0 + x S h, x < LEFT_TERMS (S = 1 up to R = 7).
    const rng = createRng(209);
    expect([2, 3, 7, 8, 24].map(leftStride)).toEqual([1, 1, 1, 2, 6]);
    for (const R of [2, 3, 4, 8, 24]) {
      const h = Math.LN2 / R, S = leftStride(R);
      for (const j of [2, 3, 5, 10, 20]) {
        const A = Array.from({ length: LEFT_TERMS }, () => rng.normal());
        const s0 = Math.log(0.24) + 0.3 * rng.normal();
        const f = (s: number) => A.reduce((acc, a, k) => acc + a * Math.exp((j + k) * s), 0);
        const c = leftWeights(j, R);
        let got = 0;
        for (let x = 0; x < LEFT_TERMS; x++) got += c[x]! * f(s0 + x * S * h);
        let want = 0, scale = 0;
        for (let k = 0; k < LEFT_TERMS; k++) {
          const term = (A[k]! * Math.exp((j + k) * s0)) / Math.expm1((j + k) * h);
          want += term;
          scale += Math.abs(term);
        }
        // relative to the terms' size (they may cancel); the first node's values are O(1)..O(e^{j s_0})
        expect(Math.abs(got - want) / scale).toBeLessThan(1e-9);
      }
    }
  });

  it('the light tail equals prod (e^{-wt} + (1 - e^{-wt}) z) multiplied out, for the lightest buckets its bound accepts', () => {
    const rng = createRng(207);
    const tail = new LightTail();
    let refusedAll = 0, worstFlatHead = 0;
    for (const nb of [1, 3, 50, 990])
      for (const D of [1, 4, 9, 19])
        for (const spread of [0.3, 1, 3]) {
          const bw = randomWeights(rng, nb, spread);
          tail.build(bw, nb, D);
          let W = 0;
          bw.forEach((x) => (W += x));
          for (const Wt of [0.01, 0.3, 3, 30]) {
            const t = Wt / W;
            const got = new Float64Array(D + 1);
            // the first (heaviest-first) bucket from which on the tail is accepted, as the integral searches it
            let hb = 0;
            while (hb < tail.nBuckets && !tail.evaluate(t, hb, D, 1e-12, got)) hb++;
            if (hb === tail.nBuckets) {
              refusedAll++;
              continue;
            }
            const from = tail.bucketStart[hb]!;
            if (nb === 990 && spread <= 1 && D <= 9) worstFlatHead = Math.max(worstFlatHead, from);
            // the product over the same items, by the textbook recurrence (truncated at degree D)
            const ref = new Float64Array(D + 1);
            ref[0] = 1;
            for (let b = from; b < nb; b++) {
              const q = Math.exp(-tail.sorted[b]! * t), p = 1 - q;
              for (let d = D; d >= 1; d--) ref[d] = ref[d]! * q + ref[d - 1]! * p;
              ref[0] = ref[0]! * q;
            }
            for (let d = 0; d <= D; d++) {
              if (ref[d]! < 1e-18) expect(Math.abs(got[d]! - ref[d]!)).toBeLessThan(1e-18);
              else expect(Math.abs(got[d]! - ref[d]!) / ref[d]!, `nb ${nb} D ${D} spread ${spread} Wt ${Wt} degree ${d}`).toBeLessThan(1e-10);
            }
          }
        }
    // Many comparable light items (the case the tail is for) stay in it but for a handful of the heaviest; a few items
    // carrying the mass late are multiplied out.
    expect(worstFlatHead).toBeLessThan(20);
    expect(refusedAll).toBeGreaterThan(5);
    const one = new LightTail();
    one.build(Float64Array.from([1]), 1, 9);
    expect(one.evaluate(3, 0, 9, 1e-12, new Float64Array(10))).toBe(false);
  });

  it('with the light tail, the integral for 1,000 candidates matches the item-by-item product to 1e-10 (relative)', () => {
    const rng = createRng(208);
    for (const spread of [0.1, 1, 3, 8])
      for (const k of [2, 10, 20]) {
        const w = randomWeights(rng, 1000, spread);
        // query items: the heaviest few and some random ones, at every position
        const order = Array.from({ length: 1000 }, (_, i) => i).sort((a, b) => w[b]! - w[a]!);
        const items = [...new Set([...order.slice(0, Math.ceil(k / 2)), ...Array.from({ length: k }, () => rng.int(1000))])].slice(0, k);
        const pos = items.map((_, j) => j + 1);
        const R = defaultNodesPerOctave(k);
        const got = plackettLuceIntegral(w, items, pos, k, R);
        const ref = plackettLuceIntegral(w, items, pos, k, R, 0);
        for (let a = 0; a < items.length; a++) {
          if (ref[a]! < 1e-15) expect(Math.abs(got[a]! - ref[a]!)).toBeLessThan(1e-15);
          else expect(Math.abs(got[a]! - ref[a]!) / ref[a]!, `spread ${spread} k ${k} position ${a + 1}`).toBeLessThan(1e-10);
        }
      }
  });

  it('chooses enumeration for small slates and the integral for large ones', () => {
    expect(enumerationCost(7, 3)).toBe(7 * (1 + 7 + 42));
    expect(enumerationCost(1000, 10)).toBe(Infinity);
    expect(plackettLuceWeights([0, Math.log(2)])).toEqual(Float64Array.from([0.5, 1]));
  });
});

describe('Plackett-Luce policy', () => {
  const cands: Candidate[] = [0.4, 2.0, 1.1, -0.3, 1.5, 0.0, 0.9].map((s, i) => ({ item_id: `it-${i}`, score: s }));

  it('a pool of the top 100 of 1,000: only pool items are shown, each with its propensity under the pooled policy', () => {
    const rng = createRng(215);
    // ties at the pool's edge: scores on a grid, so that several candidates share the 100th score
    const big: Candidate[] = Array.from({ length: 1000 }, (_, i) => ({ item_id: `p${i}`, score: Math.round(4 * rng.normal()) / 4 }));
    const order = big.map((c, i) => ({ s: c.score, i })).sort((a, b) => b.s - a.s || a.i - b.i);
    const inPool = new Set(order.slice(0, 100).map((x) => big[x.i]!.item_id));
    const opts = { slateSize: 10, pool: 100 };
    const table = plackettLuceMarginals(big, opts);
    // the pooled table is the full policy's table over the pool's candidates, 0 outside
    const alone = plackettLuceMarginals(big.filter((c) => inPool.has(c.item_id)), { slateSize: 10 });
    const row = new Map(alone.items.map((id, a) => [id, a]));
    table.items.forEach((id, i) => {
      for (let j = 0; j < 10; j++) {
        const want = inPool.has(id) ? alone.p[row.get(id)! * 10 + j]! : 0;
        expect(Math.abs(table.p[i * 10 + j]! - want)).toBeLessThan(1e-15);
      }
    });
    const idx = new Map(big.map((c, i) => [c.item_id, i]));
    const draw = createRng(216);
    for (let d = 0; d < 200; d++) {
      const slate = plackettLuce(big, { ...opts, rng: draw });
      for (const x of slate.shown) {
        expect(inPool.has(x.item_id)).toBe(true);
        expect(Math.abs(x.propensity - table.p[idx.get(x.item_id)! * 10 + x.position - 1]!) / x.propensity).toBeLessThan(1e-12);
      }
    }
  });

  it('small slate (exact): logged propensities match 100,000 draws', () => {
    const rng = createRng(205);
    const opts = { slateSize: 3, temperature: 0.7 };
    const table = plackettLuceMarginals(cands, opts);
    expectStochastic(table, 1e-12);
    const r = monteCarlo(() => plackettLuce(cands, { ...opts, rng }), 100_000, table, { greedyPosition: greedyBy(cands, 3), meanZ2: true });
    expect(r.pairs).toBe(21);
  });

  it('integral regime (40 candidates, 4 slots): logged propensities match 100,000 draws', () => {
    const rng = createRng(206);
    const big: Candidate[] = Array.from({ length: 40 }, (_, i) => ({ item_id: `x${i}`, score: i < 5 ? 2 - 0.3 * i : 0.3 * rng.normal() }));
    const opts = { slateSize: 4, method: 'integral' as const };
    const table = plackettLuceMarginals(big, opts);
    expectStochastic(table, 1e-5); // the quadrature's documented accuracy at the default grid
    const r = monteCarlo(() => plackettLuce(big, { ...opts, rng }), 100_000, table, { greedyPosition: greedyBy(big, 4), meanZ2: true });
    expect(r.pairs).toBeGreaterThan(150);
  });

  it('1,000 candidates, 10 slots (integral with the light tail, block-sum sampler): logged propensities match 100,000 draws', () => {
    const rng = createRng(209);
    const big: Candidate[] = Array.from({ length: 1000 }, (_, i) => ({ item_id: `c${i}`, score: rng.normal() }));
    const opts = { slateSize: 10 };
    // The table queries every item, so it has no bulk and no tail: the item-by-item integrand.
    const table = plackettLuceMarginals(big, opts);
    expectStochastic(table, 1e-5); // the quadrature's documented accuracy at the default grid
    const r = monteCarlo(() => plackettLuce(big, { ...opts, rng }), 100_000, table, { greedyPosition: greedyBy(big, 10), meanZ2: true });
    expect(r.pairs).toBeGreaterThan(2000);
  }, 120_000);

  it('items 1e-26 times lighter than the heaviest keep their ratios once it is drawn, and weights that underflow are ranked by score', () => {
    // w = 1, then e^-60 (1, 2, 3): the heavy item takes the first slot (all but surely); the second slot then draws
    // a, b, c with probabilities 1/6, 2/6, 3/6 (exact enumeration). A sampler that took the heavy item's weight off a
    // running sum would be left with rounding noise of order 1e-16 in place of their 1e-26.
    const d: Candidate[] = [
      { item_id: 'big', score: 0 },
      ...[1, 2, 3].map((x, i) => ({ item_id: 'abc'[i]!, score: -60 + Math.log(x) })),
      { item_id: 'zero', score: -1e6 },
    ];
    const opts = { slateSize: 3 };
    const table = plackettLuceMarginals(d, opts);
    expect(table.p[1 * 3 + 1]).toBeCloseTo(1 / 6, 12);
    const rng = createRng(211);
    monteCarlo(() => plackettLuce(d, { ...opts, rng }), 20_000, table, { meanZ2: true });
    // e^-1e6 underflows beside the heaviest: such items form tiers of their own, ranked by score
    const under: Candidate[] = [{ item_id: 'r', score: -2e6 }, { item_id: 'p', score: 0 }, { item_id: 'q', score: -1e6 }];
    expect(plackettLuce(under, { slateSize: 3, rng }).shown.map((x) => [x.item_id, x.propensity])).toEqual([['p', 1], ['q', 1], ['r', 1]]);
  });

  describe('scores that span more than 600 temperatures (weights beyond double precision beside the heaviest)', () => {
    it('ranks groups far apart one after the other, each by its own Plackett-Luce (exact enumeration per group)', () => {
      // two groups 1,000 temperatures apart: slots 1-3 are group a's, slots 4-5 group b's
      const a = [0, -0.5, -1].map((x, i) => ({ item_id: `a${i}`, score: 100 + x }));
      const b = [0, -0.3, -0.6, -0.9].map((x, i) => ({ item_id: `b${i}`, score: x }));
      const cands: Candidate[] = [b[2]!, a[1]!, b[0]!, a[0]!, b[3]!, a[2]!, b[1]!];
      const opts = { slateSize: 5, temperature: 0.1 };
      const table = plackettLuceMarginals(cands, opts);
      const exactA = plackettLuceExact(plackettLuceWeights(a.map((c) => c.score), 0.1), 3);
      const exactB = plackettLuceExact(plackettLuceWeights(b.map((c) => c.score), 0.1), 2);
      cands.forEach((c, i) => {
        const group = c.item_id[0] === 'a' ? exactA : exactB, g = Number(c.item_id.slice(1)), K = c.item_id[0] === 'a' ? 3 : 2;
        const expected = Array.from({ length: 5 }, (_, j) => (c.item_id[0] === 'a' ? (j < 3 ? group[g * K + j]! : 0) : j >= 3 ? group[g * K + j - 3]! : 0));
        Array.from(table.p.subarray(i * 5, i * 5 + 5)).forEach((v, j) => expect(v).toBeCloseTo(expected[j]!, 12));
      });
      const rng = createRng(212);
      monteCarlo(() => plackettLuce(cands, { ...opts, rng }), 20_000, table, { greedyPosition: greedyBy(cands, 5), meanZ2: true });
    });

    it('draws the higher score when the weights underflow, with propensity 1 (not the smallest one, in input order)', () => {
      const cands: Candidate[] = [{ item_id: 'worst', score: 0 }, { item_id: 'middle', score: 8 }, { item_id: 'best', score: 16 }];
      const s = plackettLuce(cands, { slateSize: 2, temperature: 0.01, rng: createRng(5) });
      expect(s.shown.map((x) => [x.item_id, x.propensity, x.explored])).toEqual([['best', 1, false], ['middle', 1, false]]);
      // 50 scores 30 temperatures apart: the greedy order, each with probability 1 - O(e^-30)
      const chain: Candidate[] = Array.from({ length: 50 }, (_, i) => ({ item_id: `i${i}`, score: 30 * i }));
      const c = plackettLuce(chain, { slateSize: 40, rng: createRng(6) });
      expect(c.shown.map((x) => x.item_id)).toEqual(Array.from({ length: 40 }, (_, j) => `i${49 - j}`));
      for (const x of c.shown) expect(Math.abs(x.propensity - 1)).toBeLessThan(1e-12);
    });

    it('1,000 N(0, 1) scores at temperature 0.01: a stochastic table that 5,000 draws match', () => {
      const rng = createRng(213);
      const big: Candidate[] = Array.from({ length: 1000 }, (_, i) => ({ item_id: `c${i}`, score: rng.normal() }));
      const opts = { slateSize: 10, temperature: 0.01 };
      const table = plackettLuceMarginals(big, opts);
      expectStochastic(table, 1e-9);
      monteCarlo(() => plackettLuce(big, { ...opts, rng }), 5_000, table, { greedyPosition: greedyBy(big, 10), meanZ2: true });
    }, 60_000);

    it('refuses slots that need weights spread densely over more than 600 temperatures', () => {
      // 7 temperatures apart: no cut (an inversion across one has probability about e^-7), 100 slots span 700
      const dense: Candidate[] = Array.from({ length: 1000 }, (_, i) => ({ item_id: `d${i}`, score: -0.07 * i }));
      expect(() => plackettLuce(dense, { slateSize: 100, temperature: 0.01, rng: createRng(7) })).toThrow(
        /the scores of the candidates for slots 1-100 span \d+ temperatures with no gap to cut at/,
      );
      // the first 10 slots only reach a few dozen temperatures down: fine
      expect(plackettLuce(dense, { slateSize: 10, temperature: 0.01, rng: createRng(7) }).shown).toHaveLength(10);
    });
  });

  it('refuses more than 100 slots for the integral, whose cost grows like their square', () => {
    const many: Candidate[] = Array.from({ length: 600 }, (_, i) => ({ item_id: `m${i}`, score: Math.sin(i) }));
    expect(() => plackettLuce(many, { slateSize: 101, rng: createRng(8) })).toThrow(/^plackettLuce: slateSize 101 is more than the 100 slots/);
    expect(() => plackettLuceMarginals(many, { slateSize: 500 })).toThrow(/slateSize 500 is more than the 100 slots/);
  });

  it('logs strategy personalized by default and propensities in (0, 1]', () => {
    const s = plackettLuce(cands, { slateSize: 7, rng: createRng(1) });
    expect(s.strategy).toBe('personalized');
    expect(s.shown.map((x) => x.position)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(s.shown.every((x) => x.propensity > 0 && x.propensity <= 1)).toBe(true);
    expect(() => plackettLuce(cands, { slateSize: 2, temperature: 0 })).toThrow(/temperature/);
    expect(() => plackettLuce(cands, { slateSize: 2, method: 'bogus' as 'auto' })).toThrow('plackettLuce: method must be auto, exact or integral (got "bogus")');
    expect(() => plackettLuce(cands, { slateSize: 2, strategy: 'bogus' as 'holdout', rng: createRng(2) })).toThrow(/plackettLuce: strategy must be one of/);
  });
});
