/**
 * Decayed profiles: values against the sum over events computed here from the definition (events in any order,
 * late ones included), the change score against a Jensen-Shannon distance computed here, forgetting and bounds,
 * and the DuckDB store against the memory store on the same stream, across reopen, next to event writes.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DAY_MS, MemoryProfileStore, type Profile } from '../../src/sdk/index.js';
import { DuckDbProfileStore } from '../../src/store/duckdb/profiles.js';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import { validateBatch } from '../../src/events/validate.js';
import { createRng } from '../../src/stats/rng.js';
import { decision, tmpDir } from '../helpers.js';

const H_S = DAY_MS, H_L = 30 * DAY_MS;
const T0 = Date.UTC(2026, 0, 1);

/** JSD in bits from the definition: (KL(P||M) + KL(Q||M)) / 2 with M the average. */
function jsdBits(p: number[], q: number[]): number {
  const sp = p.reduce((a, b) => a + b, 0), sq = q.reduce((a, b) => a + b, 0);
  let d = 0;
  p.forEach((x, i) => {
    const a = x / sp, b = q[i]! / sq, m = (a + b) / 2;
    if (a > 0) d += 0.5 * a * Math.log2(a / m);
    if (b > 0) d += 0.5 * b * Math.log2(b / m);
  });
  return d;
}

type Ev = { user: string; feature: string; w: number; t: number };

function stream(seed: number, n: number): Ev[] {
  const rng = createRng(seed);
  // Mostly increasing times with some late arrivals.
  return Array.from({ length: n }, (_, i) => ({
    user: `u${rng.int(5)}`,
    feature: `f${rng.int(8)}`,
    w: 0.5 + rng.int(3),
    t: T0 + i * 3_600_000 - (rng.next() < 0.2 ? rng.int(5) * DAY_MS : 0),
  }));
}

function expected(events: Ev[], user: string, at: number) {
  const short = new Map<string, number>(), long = new Map<string, number>();
  for (const e of events)
    if (e.user === user) {
      short.set(e.feature, (short.get(e.feature) ?? 0) + e.w * 2 ** (-(at - e.t) / H_S));
      long.set(e.feature, (long.get(e.feature) ?? 0) + e.w * 2 ** (-(at - e.t) / H_L));
    }
  return { short, long };
}

function expectProfileClose(p: Profile, q: Profile, rel = 1e-12) {
  expect(Object.keys(p.long).sort()).toEqual(Object.keys(q.long).sort());
  for (const f of Object.keys(p.long)) {
    expect(Math.abs(p.long[f]! - q.long[f]!)).toBeLessThanOrEqual(rel * q.long[f]!);
    expect(Math.abs(p.short[f]! - q.short[f]!)).toBeLessThanOrEqual(rel * q.short[f]! + 1e-300);
  }
  expect(Math.abs(p.change! - q.change!)).toBeLessThan(1e-12);
}

describe('memory profile store', () => {
  it('one event: halves on the short horizon after one short half-life', async () => {
    const s = new MemoryProfileStore();
    await s.update('u', { shoes: 1 }, T0);
    const p = (await s.get('u', T0 + H_S))!;
    expect(p.short.shoes).toBeCloseTo(0.5, 15);
    expect(p.long.shoes).toBeCloseTo(2 ** (-1 / 30), 15);
    expect(p.change).toBe(0);
  });

  it('read before the last update, sees each feature as of that update; a feature named __proto__ is kept', () => {
    const s = new MemoryProfileStore();
    s.updateSync('u', { shoes: 1, hats: 1 }, T0);
    s.updateSync('u', { shoes: 1 }, T0 + H_S);
    // one day before the second update: shoes as of its update (0.5 + 1), hats decayed to that time (T0 + H_S - 1 day)
    const p = s.getSync('u', T0 + H_S - 86_400_000)!;
    expect(p.short.shoes).toBeCloseTo(1.5, 14);
    expect(p.short.hats).toBeCloseTo(2 ** (-(H_S - 86_400_000) / H_S), 14);
    // three years back: no inflation (it was multiplied by 2^(1095 days / half-life), to Infinity)
    const far = s.getSync('u', T0 - 3 * 365 * 86_400_000)!;
    expect([far.short.shoes, far.short.hats]).toEqual([1.5, 1]);
    s.updateSync('v', JSON.parse('{"__proto__": 1, "news": 1}') as Record<string, number>, T0);
    expect(Object.keys(s.getSync('v', T0)!.long).sort()).toEqual(['__proto__', 'news']);
  });

  it('equals the sum over events of w 2^{-(now - t)/H}, events in any order', () => {
    const events = stream(401, 400);
    const s = new MemoryProfileStore({ forgetBelow: 0 });
    for (const e of events) s.updateSync(e.user, [[e.feature, e.w]], e.t);
    const at = T0 + 500 * 3_600_000;
    for (const u of ['u0', 'u1', 'u4']) {
      const p = s.getSync(u, at)!;
      const ex = expected(events, u, at);
      for (const [f, v] of ex.long) expect(Math.abs(p.long[f]! - v) / v).toBeLessThan(1e-12);
      for (const [f, v] of ex.short) expect(Math.abs(p.short[f]! - v) / v).toBeLessThan(1e-12);
      const fs = [...ex.long.keys()];
      expect(p.change).toBeCloseTo(Math.sqrt(jsdBits(fs.map((f) => ex.short.get(f)!), fs.map((f) => ex.long.get(f)!))), 12);
    }
  });

  it('the change score rises when a user turns to something new', () => {
    const s = new MemoryProfileStore();
    for (let d = 0; d < 60; d++) s.updateSync('u', { sport: 1, news: 0.5 }, T0 + d * DAY_MS);
    const steady = s.getSync('u', T0 + 60 * DAY_MS)!.change!;
    for (let h = 0; h < 24; h++) s.updateSync('u', { cooking: 1 }, T0 + 60 * DAY_MS + h * 3_600_000);
    const shifted = s.getSync('u', T0 + 61 * DAY_MS)!.change!;
    expect(steady).toBeLessThan(0.1);
    expect(shifted).toBeGreaterThan(0.5);
    expect(shifted).toBeLessThanOrEqual(1);
  });

  it('forgets stale features, keeps at most maxFeatures and maxUsers', () => {
    const s = new MemoryProfileStore({ forgetBelow: 0.01, maxFeatures: 3, maxUsers: 2 });
    s.updateSync('u', { old: 1 }, T0);
    // after 7 long half-lives (210 days) 'old' weighs 2^-7 < 0.01
    s.updateSync('u', { a: 5, b: 4, c: 3 }, T0 + 210 * DAY_MS);
    expect(Object.keys(s.getSync('u', T0 + 210 * DAY_MS)!.long).sort()).toEqual(['a', 'b', 'c']);
    s.updateSync('u', { d: 10 }, T0 + 210 * DAY_MS);
    expect(Object.keys(s.getSync('u', T0 + 210 * DAY_MS)!.long).sort()).toEqual(['a', 'b', 'd']);
    s.updateSync('v', { x: 1 }, T0);
    s.updateSync('w', { x: 1 }, T0);
    expect(s.size).toBe(2);
    expect(s.getSync('u')).toBeNull();
    expect(s.prune(T0 + 400 * DAY_MS)).toBe(2);
    expect(s.size).toBe(0);
  });

  it('refuses negative weights and bad options', () => {
    const s = new MemoryProfileStore();
    expect(() => s.updateSync('u', { a: -1 })).toThrow(/>= 0/);
    expect(() => new MemoryProfileStore({ shortHalfLifeMs: 10, longHalfLifeMs: 5 })).toThrow(/short half-life/);
  });
});

describe('DuckDB profile store', () => {
  it('matches the memory store on the same stream, survives reopen, and refuses other half-lives', async () => {
    const db = path.join(tmpDir(), 'profiles.duckdb');
    const events = stream(402, 200);
    const mem = new MemoryProfileStore({ maxFeatures: 5 });
    let duck = await DuckDbProfileStore.open(db, { maxFeatures: 5, profile: 'shop' });
    for (const e of events) {
      mem.updateSync(e.user, { [e.feature]: e.w }, e.t);
      await duck.update(e.user, { [e.feature]: e.w }, e.t);
    }
    const at = T0 + 300 * 3_600_000;
    for (const u of ['u0', 'u1', 'u2', 'u3', 'u4']) expectProfileClose((await duck.get(u, at))!, mem.getSync(u, at)!);
    await duck.close();
    await expect(DuckDbProfileStore.open(db, { profile: 'shop', shortHalfLifeMs: 2 * DAY_MS })).rejects.toThrow(/half-lives/);
    duck = await DuckDbProfileStore.open(db, { maxFeatures: 5, profile: 'shop' });
    expectProfileClose((await duck.get('u2', at))!, mem.getSync('u2', at)!);
    // Another profile name in the same file is separate.
    const other = await DuckDbProfileStore.open(path.join(tmpDir(), 'x.duckdb'), { profile: 'shop2' });
    expect(await other.get('u2')).toBeNull();
    await other.close();
    await duck.delete('u2');
    expect(await duck.get('u2', at)).toBeNull();
    expect(await duck.prune(at + 1000 * DAY_MS)).toBeGreaterThan(0);
    expect(await duck.get('u0', at)).toBeNull();
    await duck.close();
  });

  it('attaches to a store that is writing events at the same time', async () => {
    const store = await DuckDbStore.open(path.join(tmpDir(), 'lg.duckdb'));
    const profiles = await DuckDbProfileStore.attach(store);
    const writes = Array.from({ length: 20 }, (_, i) => store.writeEvents([{ project: 'p', events: validateBatch([decision({ event_id: `pd-${i}` })]).valid }]));
    const updates = Array.from({ length: 20 }, (_, i) => profiles.update(`u${i % 3}`, { a: 1 }, T0 + i));
    await Promise.all([...writes, ...updates]);
    expect((await store.query(`SELECT count(*) AS n FROM decisions WHERE project = 'p'`))[0]!.n).toBe(20);
    const p = (await profiles.get('u0', T0 + 100))!;
    expect(p.long.a).toBeGreaterThan(6.99);
    await profiles.close();
    await store.close();
  });
});
