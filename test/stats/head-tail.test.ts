import { describe, expect, it } from 'vitest';
import { aplt, averageRecommendationPopularity, headTailSplit } from '../../src/stats/head-tail.js';

describe('headTailSplit', () => {
  it('takes the shortest most-exposed prefix covering headShare of the exposure', () => {
    // Sorted: 50 (50%), 30 (80%) -> head reaches exactly 80% with two items.
    const s = headTailSplit([5, 50, 10, 30, 5]);
    expect(Array.from(s.head)).toEqual([1, 3]);
    expect(Array.from(s.isHead)).toEqual([0, 1, 0, 1, 0]);
    expect(s.headExposureShare).toBeCloseTo(0.8, 15);
    expect(s.tailExposureShare).toBeCloseTo(0.2, 15);
  });

  it('overshoots to the next item when the target falls inside it', () => {
    // 50% < 60% -> needs the 30 too: head share 80%.
    const s = headTailSplit([50, 30, 10, 5, 5], 0.6);
    expect(Array.from(s.head)).toEqual([0, 1]);
    expect(s.headExposureShare).toBeCloseTo(0.8, 15);
    // A tiny share takes just the top item.
    expect(Array.from(headTailSplit([50, 30, 10, 5, 5], 1e-9).head)).toEqual([0]);
  });

  it('with headShare = 1 puts every exposed item in the head and never a zero-count item', () => {
    const s = headTailSplit([3, 0, 1, 0, 2], 1);
    expect(Array.from(s.head).sort()).toEqual([0, 2, 4]);
    expect(s.tailExposureShare).toBe(0);
  });

  it('breaks ties by item index', () => {
    expect(Array.from(headTailSplit([1, 1, 1, 1], 0.5).head)).toEqual([0, 1]);
  });

  it('rejects a zero total, an out-of-range share and bad counts', () => {
    expect(() => headTailSplit([0, 0])).toThrow(/total/);
    expect(() => headTailSplit([1, 2], 0)).toThrow(/headShare/);
    expect(() => headTailSplit([1, 2], 1.5)).toThrow(/headShare/);
    expect(() => headTailSplit([1, -2])).toThrow(RangeError);
  });
});

describe('averageRecommendationPopularity and aplt over per-list aggregates', () => {
  // Two recommendation lists over items 0..4 with training popularity phi; tail items are {2, 3, 4}.
  const phi = [10, 8, 3, 1, 0];
  const tail = new Set([2, 3, 4]);
  const lists = [
    [0, 1],
    [2, 3, 4],
  ];
  // What a GROUP BY list query would return.
  const sums = lists.map((l) => l.reduce((s, i) => s + phi[i]!, 0));
  const tailCounts = lists.map((l) => l.filter((i) => tail.has(i)).length);
  const lengths = lists.map((l) => l.length);

  it('ARP = mean over lists of mean popularity: ((10+8)/2 + (3+1+0)/3) / 2 = 31/6', () => {
    expect(averageRecommendationPopularity(sums, lengths)).toBeCloseTo(31 / 6, 14);
  });

  it('APLT = mean over lists of the tail fraction: (0/2 + 3/3) / 2 = 1/2', () => {
    expect(aplt(tailCounts, lengths)).toBeCloseTo(0.5, 15);
    expect(aplt(new Uint32Array([1, 0, 2]), new Uint32Array([4, 4, 2]))).toBeCloseTo((0.25 + 0 + 1) / 3, 15);
  });

  it('works with a tail taken from headTailSplit of the popularity', () => {
    const split = headTailSplit(phi, 0.8); // 10 + 8 = 18 of 22 = 0.818 >= 0.8 -> head {0, 1}
    expect(Array.from(split.head)).toEqual([0, 1]);
    const counts = lists.map((l) => l.filter((i) => split.isHead[i] === 0).length);
    expect(counts).toEqual(tailCounts);
  });

  it('is NaN with no lists and rejects inconsistent aggregates', () => {
    expect(averageRecommendationPopularity([], [])).toBeNaN();
    expect(aplt([], [])).toBeNaN();
    expect(() => aplt([3], [2])).toThrow(/exceeds/);
    expect(() => aplt([1, 1], [2])).toThrow(/same length/);
    expect(() => averageRecommendationPopularity([1], [0])).toThrow(/listLengths\[0\]/);
    expect(() => averageRecommendationPopularity([-1], [1])).toThrow(RangeError);
  });
});
