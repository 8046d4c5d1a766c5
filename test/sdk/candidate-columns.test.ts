/**
 * Candidates as columns ({item_ids, scores}): every candidate policy gives exactly the slate, propensities and
 * marginal table it gives for the same candidates as objects, with the same random stream, for score arrays of each
 * kind (Float64Array, Float32Array, plain numbers); and columns that do not line up are refused by name.
 */
import { describe, expect, it } from 'vitest';
import {
  createRng,
  epsilonGreedy,
  epsilonGreedyMarginals,
  greedySlate,
  plackettLuce,
  plackettLuceMarginals,
  scoresOf,
  shuffleTopK,
  shuffleTopKMarginals,
  swapTail,
  swapTailMarginals,
  type Candidate,
  type CandidateColumns,
  type Marginals,
  type Rng,
  type Slate,
} from '../../src/sdk/index.js';

/** n candidates with N(0, spread) scores rounded to float32 (so a Float32Array holds them exactly). */
function candidates(n: number, seed: number, spread = 1): { objects: Candidate[]; columns: CandidateColumns[] } {
  const rng = createRng(seed);
  const f32 = Float32Array.from({ length: n }, () => spread * rng.normal());
  const ids = Array.from({ length: n }, (_, i) => `item-${i}`);
  const objects = ids.map((item_id, i) => ({ item_id, score: f32[i]! }));
  return { objects, columns: [{ item_ids: ids, scores: f32 }, { item_ids: ids, scores: Float64Array.from(f32) }, { item_ids: ids, scores: Array.from(f32) }] };
}

const policies: Array<[string, (c: Candidate[] | CandidateColumns, rng: Rng) => Slate, (c: Candidate[] | CandidateColumns) => Marginals | null]> = [
  ['epsilonGreedy', (c, rng) => epsilonGreedy(c, { epsilon: 0.3, slateSize: 5, rng }), (c) => epsilonGreedyMarginals(c, { epsilon: 0.3, slateSize: 5 })],
  ['shuffleTopK', (c, rng) => shuffleTopK(c, { window: 4, slateSize: 6, rng }), (c) => shuffleTopKMarginals(c, { window: 4, slateSize: 6 })],
  ['swapTail', (c, rng) => swapTail(c, { slateSize: 5, rng }), (c) => swapTailMarginals(c, { slateSize: 5 })],
  ['plackettLuce (integral)', (c, rng) => plackettLuce(c, { slateSize: 10, rng }), (c) => plackettLuceMarginals(c, { slateSize: 10 })],
  ['plackettLuce (pool)', (c, rng) => plackettLuce(c, { slateSize: 10, pool: 40, rng }), (c) => plackettLuceMarginals(c, { slateSize: 10, pool: 40 })],
  ['greedySlate', (c) => greedySlate(c, { slateSize: 7 }), () => null],
];

describe('candidates as columns', () => {
  for (const [name, decide, marginals] of policies)
    it(`${name}: the same slates and marginals as the objects`, () => {
      const { objects, columns } = candidates(300, 11);
      const expected = Array.from({ length: 50 }, ((rng) => () => decide(objects, rng))(createRng(5)));
      for (const c of columns) {
        const rng = createRng(5);
        expect(Array.from({ length: 50 }, () => decide(c, rng))).toEqual(expected);
        expect(marginals(c)).toEqual(marginals(objects));
      }
    });

  it('scoresOf reads either form', () => {
    const { objects, columns } = candidates(20, 1);
    for (const c of columns) expect(scoresOf(c)).toEqual(scoresOf(objects));
  });

  it('plackettLuce: the same for small slates (exact enumeration) and for tiers of scores far apart', () => {
    const small = candidates(7, 3);
    for (const c of small.columns) {
      const a = createRng(9), b = createRng(9);
      for (let t = 0; t < 20; t++) expect(plackettLuce(c, { slateSize: 3, rng: a })).toEqual(plackettLuce(small.objects, { slateSize: 3, rng: b }));
      expect(plackettLuceMarginals(c, { slateSize: 3 })).toEqual(plackettLuceMarginals(small.objects, { slateSize: 3 }));
    }
    // scores spread over thousands of temperatures: the policy splits the candidates into tiers
    const wide = candidates(60, 4, 2000);
    for (const c of wide.columns) {
      const a = createRng(2), b = createRng(2);
      expect(plackettLuce(c, { slateSize: 8, rng: a })).toEqual(plackettLuce(wide.objects, { slateSize: 8, rng: b }));
      expect(plackettLuceMarginals(c, { slateSize: 8 })).toEqual(plackettLuceMarginals(wide.objects, { slateSize: 8 }));
    }
  });

  it('refuses columns that do not line up, empty ones and scores that are not finite, by name', () => {
    const ids = ['a', 'b', 'c', 'd'];
    for (const [name, decide] of policies) {
      const fn = name.split(' ')[0];
      const rng = createRng(1);
      expect(() => decide({ item_ids: ids, scores: [1, 2, 3] }, rng)).toThrow(`${fn}: candidates.scores has 3 entries for 4 item_ids; give one score per id`);
      expect(() => decide({ item_ids: [], scores: [] }, rng)).toThrow(`${fn}: candidates must not be empty`);
      expect(() => decide({ item_ids: ids, scores: [1, 2, 3, Number.NaN] }, rng)).toThrow(`${fn}: candidates.scores[3] must be a finite number (got NaN)`);
      expect(() => decide({ item_ids: 'abcd', scores: [1, 2, 3, 4] } as unknown as CandidateColumns, rng)).toThrow(
        `${fn}: candidates must be a non-empty array of {item_id, score}, or {item_ids, scores} (an array of ids and an array of their scores)`,
      );
      expect(() => decide([{ item_id: 'a', score: Number.POSITIVE_INFINITY }], rng)).toThrow(`${fn}: candidates[0].score must be a finite number (got Infinity)`);
    }
  });
});
