/** The dashboard's result cache: shared computations, freshness by write generation, bursts and age. */
import { describe, expect, it, vi } from 'vitest';
import { DashboardCache, Lane } from '../../src/server/plugins/dashboard-cache.js';

describe('DashboardCache', () => {
  it('computes once for concurrent requests and serves the entry until a write', async () => {
    const cache = new DashboardCache({ minRefreshMs: 0 });
    const lane = new Lane();
    let calls = 0;
    const compute = async () => ++calls;
    const [a, b] = await Promise.all([cache.get('k', lane, compute), cache.get('k', lane, compute)]);
    expect([a.value, b.value, calls]).toEqual([1, 1, 1]);
    expect((await cache.get('k', lane, compute)).value).toBe(1);
    cache.bump();
    expect((await cache.get('k', lane, compute)).value).toBe(2);
  });

  it('after a write: served as it is while young, then served while it refreshes, then waited for', async () => {
    vi.useFakeTimers({ now: 0 });
    try {
      const cache = new DashboardCache({ minRefreshMs: 1000, staleMs: 1000 });
      const lane = new Lane();
      let calls = 0;
      const compute = async () => ++calls;
      await cache.get('k', lane, compute);
      cache.bump();
      vi.setSystemTime(500);
      expect((await cache.get('k', lane, compute)).value).toBe(1);
      await vi.runAllTimersAsync();
      expect(calls).toBe(1); // young: no refresh at all
      vi.setSystemTime(1500);
      expect((await cache.get('k', lane, compute)).value).toBe(1); // due: the old one, refreshing behind
      await vi.runAllTimersAsync();
      expect((await cache.get('k', lane, compute)).value).toBe(2);
      cache.bump();
      vi.setSystemTime(10_000);
      expect((await cache.get('k', lane, compute)).value).toBe(3); // long overdue: waited for
    } finally {
      vi.useRealTimers();
    }
  });

  it('serves an old entry while refreshing it, and recomputes one older than max age plus stale', async () => {
    vi.useFakeTimers({ now: 0 });
    try {
      const cache = new DashboardCache({ maxAgeMs: 1000, staleMs: 1000 });
      const lane = new Lane();
      let calls = 0;
      const compute = async () => ++calls;
      await cache.get('k', lane, compute);
      vi.setSystemTime(1500);
      expect((await cache.get('k', lane, compute)).value).toBe(1);
      await vi.runAllTimersAsync();
      expect(calls).toBe(2);
      vi.setSystemTime(5000);
      expect((await cache.get('k', lane, compute)).value).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it('runs one computation at a time per lane, and a failure neither sticks nor blocks the lane', async () => {
    const cache = new DashboardCache();
    const lane = new Lane();
    let running = 0, most = 0;
    const slow = (v: number) => async () => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return v;
    };
    const fail = cache.get('bad', lane, async () => { throw new Error('boom'); });
    const results = await Promise.all([cache.get('a', lane, slow(1)), cache.get('b', lane, slow(2)), fail.catch((e: Error) => e.message)]);
    expect(results.map((r) => (typeof r === 'object' ? r.value : r))).toEqual([1, 2, 'boom']);
    expect(most).toBe(1);
    expect((await cache.get('bad', lane, async () => 7)).value).toBe(7);
  });
});
