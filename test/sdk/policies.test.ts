/**
 * Every ranking policy against 100,000 seeded draws: per (item, position), the frequency must match the logged
 * propensity within 4 standard errors (test/sdk/monte-carlo.ts), the logged values must be the policy's marginal
 * table, the table must be doubly (sub)stochastic, and `explored` must be "not at the greedy position".
 * Closed forms are checked separately with values derived by hand in the test.
 */
import { describe, expect, it } from 'vitest';
import {
  epsilonGreedy,
  epsilonGreedyMarginals,
  greedySlate,
  shuffleTopK,
  shuffleTopKMarginals,
  swapTail,
  swapTailMarginals,
  topK,
  topKSet,
  sampleWithoutReplacement,
  type Candidate,
} from '../../src/sdk/index.js';
import { createRng } from '../../src/stats/rng.js';
import { expectStochastic, greedyBy, monteCarlo } from './monte-carlo.js';

const N = 100_000;
// 7 candidates, not in score order, with a tie (c and f) to exercise the input-order tie-break.
const CANDIDATES: Candidate[] = [
  { item_id: 'a', score: 0.3 },
  { item_id: 'b', score: 2.1 },
  { item_id: 'c', score: 1.0 },
  { item_id: 'd', score: -0.5 },
  { item_id: 'e', score: 1.7 },
  { item_id: 'f', score: 1.0 },
  { item_id: 'g', score: 0.0 },
];
// Greedy order: b (2.1), e (1.7), c (1.0, earlier), f (1.0), a, g, d.

describe('ranking helpers', () => {
  it('topK keeps the highest scores in order and breaks ties by input order', () => {
    expect(topK([0.3, 2.1, 1.0, -0.5, 1.7, 1.0, 0.0], 4)).toEqual([1, 4, 2, 5]);
    expect(topK([1, 1, 1], 5)).toEqual([0, 1, 2]);
    const rng = createRng(3);
    for (let t = 0; t < 200; t++) {
      const xs = Array.from({ length: 1 + rng.int(80) }, () => rng.int(10));
      const k = 1 + rng.int(30);
      const expected = xs.map((v, i) => ({ v, i })).sort((a, b) => b.v - a.v || a.i - b.i).slice(0, k).map((x) => x.i);
      expect(topK(xs, k)).toEqual(expected);
    }
  });

  it('topKSet is the set topK picks, in input order', () => {
    const rng = createRng(4);
    for (let t = 0; t < 300; t++) {
      const xs = Float64Array.from({ length: 1 + rng.int(200) }, () => rng.int(12));
      const k = 1 + rng.int(60);
      expect(topKSet(xs, k)).toEqual([...topK(xs, k)].sort((a, b) => a - b));
    }
  });

  it('greedySlate is the top-k with propensity 1 (holdout by default)', () => {
    expect(greedySlate(CANDIDATES, { slateSize: 2 })).toEqual({
      strategy: 'holdout',
      shown: [
        { item_id: 'b', position: 1, propensity: 1, explored: false, score: 2.1 },
        { item_id: 'e', position: 2, propensity: 1, explored: false, score: 1.7 },
      ],
    });
    expect(() => greedySlate([{ item_id: 'x', score: 1 }, { item_id: 'x', score: 0 }], { slateSize: 2 })).toThrow(/appears twice/);
    // an unknown strategy is refused whatever the draw
    for (let seed = 1; seed <= 5; seed++)
      expect(() => epsilonGreedy(CANDIDATES, { slateSize: 2, epsilon: 0.5, strategy: 'bogus' as 'holdout', rng: createRng(seed) })).toThrow(
        'epsilonGreedy: strategy must be one of personalized, cold_start, fallback, exploration, holdout (got "bogus")',
      );
    expect(() => greedySlate(CANDIDATES, { slateSize: 2, strategy: 'bogus' as 'holdout' })).toThrow(/greedySlate: strategy must be one of/);
    // a shown id the event contract would refuse is refused here, by every policy
    const contract = 'is not an id the event contract takes: text of 1 to 128 characters without control characters';
    for (const bad of ['', 'a\nb', 'x'.repeat(129), 7]) {
      const c = [{ item_id: bad as string, score: 3 }, { item_id: 'ok', score: 1 }];
      expect(() => greedySlate(c, { slateSize: 1 })).toThrow(`greedySlate: candidate item_id ${JSON.stringify(bad)} ${contract}`);
      expect(() => epsilonGreedy(c, { slateSize: 2, epsilon: 0.1, rng: createRng(1) })).toThrow(contract);
    }
  });

  it('sampleWithoutReplacement gives each ordered pair 1 / (n (n - 1))', () => {
    const rng = createRng(4);
    const counts = new Map<string, number>();
    for (let r = 0; r < 60_000; r++) {
      const s = sampleWithoutReplacement(5, 2, rng);
      counts.set(s.join(), (counts.get(s.join()) ?? 0) + 1);
    }
    expect(counts.size).toBe(20);
    const p = 1 / 20;
    for (const c of counts.values()) expect(Math.abs(c / 60_000 - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / 60_000));
  });
});

describe('epsilon-greedy', () => {
  it('logs P = (1 - eps) [greedy] + eps / n, matching 100,000 draws', () => {
    const rng = createRng(101);
    const opts = { epsilon: 0.3, slateSize: 3 };
    const table = epsilonGreedyMarginals(CANDIDATES, opts);
    expectStochastic(table);
    // by hand: b at 1 = 0.7 + 0.3 / 7; a at 2 = 0.3 / 7
    expect(table.p[1 * 3 + 0]).toBeCloseTo(0.7 + 0.3 / 7, 14);
    expect(table.p[0 * 3 + 1]).toBeCloseTo(0.3 / 7, 14);
    let explorations = 0;
    const r = monteCarlo(() => {
      const s = epsilonGreedy(CANDIDATES, { ...opts, rng });
      if (s.strategy === 'exploration') explorations++;
      else expect(s.shown.map((x) => x.item_id)).toEqual(['b', 'e', 'c']);
      return s;
    }, N, table, { greedyPosition: greedyBy(CANDIDATES, 3) });
    expect(r.pairs).toBe(21);
    expect(Math.abs(explorations / N - 0.3)).toBeLessThan(4 * Math.sqrt(0.21 / N));
  });

  it('is greedy with epsilon 0 and uniform with epsilon 1', () => {
    const rng = createRng(5);
    const g = epsilonGreedy(CANDIDATES, { epsilon: 0, slateSize: 2, rng });
    expect(g).toEqual({
      strategy: 'personalized',
      shown: [
        { item_id: 'b', position: 1, propensity: 1, explored: false, score: 2.1 },
        { item_id: 'e', position: 2, propensity: 1, explored: false, score: 1.7 },
      ],
    });
    const u = epsilonGreedyMarginals(CANDIDATES, { epsilon: 1, slateSize: 2 });
    expect([...u.p].every((p) => Math.abs(p - 1 / 7) < 1e-15)).toBe(true);
  });

  it('shows every candidate when the slate is larger than the pool', () => {
    const s = epsilonGreedy(CANDIDATES.slice(0, 2), { epsilon: 0.5, slateSize: 5, rng: createRng(1) });
    expect(s.shown).toHaveLength(2);
  });

  it('refuses bad options and scores', () => {
    expect(() => epsilonGreedy(CANDIDATES, { epsilon: 1.5, slateSize: 2 })).toThrow(/epsilon must be in \[0, 1\]/);
    expect(() => epsilonGreedy(CANDIDATES, { slateSize: 0 })).toThrow(/slateSize/);
    expect(() => epsilonGreedy([], { slateSize: 2 })).toThrow(/non-empty/);
    expect(() => epsilonGreedy([{ item_id: 'x', score: NaN }], { slateSize: 1 })).toThrow(/candidates\[0\]\.score/);
  });
});

describe('shuffle within the top m', () => {
  it('window 4 > slate 3, epsilon 0.6: P = 0.6/4 + 0.4 [greedy], matching 100,000 draws', () => {
    const rng = createRng(102);
    const opts = { window: 4, slateSize: 3, epsilon: 0.6 };
    const table = shuffleTopKMarginals(CANDIDATES, opts);
    expectStochastic(table);
    const f = CANDIDATES.findIndex((c) => c.item_id === 'f'); // greedy rank 4: never at its greedy slot
    expect(table.p[f * 3 + 0]).toBeCloseTo(0.15, 14);
    expect(table.p[1 * 3 + 0]).toBeCloseTo(0.55, 14); // b at 1
    const r = monteCarlo(() => shuffleTopK(CANDIDATES, { ...opts, rng }), N, table, { greedyPosition: greedyBy(CANDIDATES, 3) });
    expect(r.pairs).toBe(12);
  });

  it('window 2 < slate 4: only the first two slots move, the rest keep propensity 1', () => {
    const rng = createRng(103);
    const opts = { window: 2, slateSize: 4 };
    const table = shuffleTopKMarginals(CANDIDATES, opts);
    expectStochastic(table);
    const r = monteCarlo(() => shuffleTopK(CANDIDATES, { ...opts, rng }), N, table, { greedyPosition: greedyBy(CANDIDATES, 4) });
    expect(r.seen.get('c\u00003')).toEqual({ count: N, propensity: 1, explored: false });
    expect(r.seen.get('b\u00001')!.propensity).toBe(0.5);
  });
});

describe('swap one slot with a tail item', () => {
  it('eligible slots {2, 3}, all 4 tail items, epsilon 0.5, matching 100,000 draws', () => {
    const rng = createRng(104);
    const opts = { slateSize: 3, epsilon: 0.5, positions: [2, 3] };
    const table = swapTailMarginals(CANDIDATES, opts);
    expectStochastic(table);
    // head: b at 1 untouched; e at 2 kept with 1 - 0.5/2; tail item at 2 or 3: 0.5 / (2 * 4)
    expect(table.p[1 * 3 + 0]).toBe(1);
    expect(table.p[4 * 3 + 1]).toBeCloseTo(0.75, 14);
    expect(table.p[3 * 3 + 2]).toBeCloseTo(0.0625, 14);
    let swapped = 0;
    const r = monteCarlo(() => {
      const s = swapTail(CANDIDATES, { ...opts, rng });
      const explored = s.shown.filter((x) => x.explored);
      expect(explored.length).toBeLessThanOrEqual(1);
      swapped += explored.length;
      return s;
    }, N, table, { greedyPosition: greedyBy(CANDIDATES, 3) });
    expect(r.pairs).toBe(1 + 2 + 8);
    expect(Math.abs(swapped / N - 0.5)).toBeLessThan(4 * Math.sqrt(0.25 / N));
  });

  it('bounded tail: only ranks k+1..k+T can come in', () => {
    const rng = createRng(105);
    const opts = { slateSize: 2, tailSize: 2 };
    const table = swapTailMarginals(CANDIDATES, opts);
    expectStochastic(table);
    const r = monteCarlo(() => swapTail(CANDIDATES, { ...opts, rng }), N, table, { greedyPosition: greedyBy(CANDIDATES, 2) });
    // tail = c and f (ranks 3 and 4)
    expect([...r.seen.keys()].map((k) => k.split('\u0000')[0]).sort()).toEqual(['b', 'c', 'c', 'e', 'f', 'f']);
  });

  it('without a tail, or without an existing eligible slot, there is nothing to swap', () => {
    const s = swapTail(CANDIDATES.slice(0, 3), { slateSize: 3, rng: createRng(1) });
    expect(s.shown.every((x) => x.propensity === 1 && !x.explored)).toBe(true);
    // 5 candidates for a slate of 8: slots 7 and 8 do not exist
    const t = swapTail(CANDIDATES.slice(0, 5), { slateSize: 8, positions: [7, 8], rng: createRng(1) });
    expect(t.shown).toHaveLength(5);
    expect(t.shown.every((x) => x.propensity === 1 && !x.explored)).toBe(true);
    expectStochastic(swapTailMarginals(CANDIDATES.slice(0, 5), { slateSize: 8, positions: [5, 7, 8], epsilon: 1 }));
  });

  it('duplicate candidates are refused when they reach the slate', () => {
    const dup = [{ item_id: 'x', score: 2 }, { item_id: 'x', score: 1 }, { item_id: 'y', score: 0 }];
    expect(() => epsilonGreedy(dup, { epsilon: 0, slateSize: 2 })).toThrow(/"x" appears twice/);
  });
});
