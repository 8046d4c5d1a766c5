/**
 * The dashboard's rollup kept in the store (migration 5) and brought up to date incrementally: after every ingest it
 * equals a fresh GROUP BY over the raw tables (exposureRollup, the in-memory rollup the dashboard used before), also
 * after a late outcome for an earlier day; only changed days are rescanned; and a restarted server serves the first
 * chart from the table without scanning the exposures (counted by rollupScans).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateBatch } from '../../src/events/validate.js';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import { exposureRollup, persistedRollup, rollupScans, type Rollup, type RollupWriter } from '../../src/analyses/overview/rollup.js';
import { startServer } from '../../src/server/serve.js';
import { decision, outcome, tmpDir } from '../helpers.js';

/** The rollup as a sorted list of rows with texts instead of indexes, so two rollups compare whatever their order. */
function rows(r: Rollup): string[] {
  const out: string[] = [];
  for (let i = 0; i < r.day.length; i++) out.push(`${r.days[r.day[i]!]}|${r.versions[r.version[i]!]}|${r.items[r.item[i]!]}|${r.explore[i]}|${r.exposures[i]}|${r.hits[i]}`);
  return out.sort();
}

function same(a: Rollup, b: Rollup): void {
  expect(rows(a)).toEqual(rows(b));
  expect(a.days).toEqual(b.days);
  expect(a.versions).toEqual(b.versions);
  expect([a.totalExposures, a.catalogSize, a.catalogSource]).toEqual([b.totalExposures, b.catalogSize, b.catalogSource]);
}

const writer = (s: DuckDbStore) => async (): Promise<RollupWriter> => {
  const c = await s.connect();
  return { run: (sql, params) => c.run(sql, params), close: () => c.closeSync() };
};

const shown = (items: string[], explored = false) => items.map((item_id, i) => ({ item_id, position: i + 1, propensity: 0.5, explored }));

describe('persisted dashboard rollup', () => {
  it('equals a fresh GROUP BY after each ingest, recomputing only changed days (late outcomes included)', async () => {
    const s = await DuckDbStore.open(path.join(tmpDir(), 'lg.duckdb'));
    try {
      const write = (events: Record<string, unknown>[]) => s.writeEvents([{ project: 'p', events: validateBatch(events).valid }]);
      // Day 1 and 2, two versions, an explored slate, clicks and a negative outcome (not a hit).
      await write([
        decision({ request_id: 'q1', ts: '2026-01-01T10:00:00Z', policy_version: 'v1', shown: shown(['a', 'b']) }),
        decision({ request_id: 'q2', ts: '2026-01-01T23:59:59Z', policy_version: 'v1', shown: shown(['a', 'c'], true) }),
        decision({ request_id: 'q3', ts: '2026-01-02T00:00:00Z', policy_version: 'v2', shown: shown(['b', 'c']) }),
        outcome({ request_id: 'q1', item_id: 'a', ts: '2026-01-01T10:01:00Z' }),
        outcome({ request_id: 'q3', item_id: 'c', ts: '2026-01-02T00:01:00Z' }),
        outcome({ request_id: 'q2', item_id: 'c', kind: 'dislike', ts: '2026-01-01T23:59:59Z' }),
      ]);
      const before = { ...rollupScans };
      const p1 = await persistedRollup(s, writer(s), 'p');
      expect(rollupScans.full - before.full).toBe(1);
      const f1 = await exposureRollup(s, 'p');
      same(p1, f1);
      // The closed form of one cell: day 1, v1, item a, exploited: one exposure, one hit.
      expect(rows(p1)).toContain('2026-01-01|v1|a|0|1|1');
      expect(p1.totalExposures).toBe(6);

      // Nothing new: served from the table, no scan at all.
      const mid = { ...rollupScans };
      same(await persistedRollup(s, writer(s), 'p'), f1);
      expect([rollupScans.full - mid.full, rollupScans.days - mid.days, rollupScans.servedFromTable - mid.servedFromTable]).toEqual([0, 0, 1]);

      // Day 4 decisions, and a late outcome (dated day 4) for a day-1 decision: day 1's hits change.
      await write([
        decision({ request_id: 'q4', ts: '2026-01-04T08:00:00Z', policy_version: 'v2', shown: shown(['d']) }),
        outcome({ request_id: 'q1', item_id: 'b', ts: '2026-01-04T09:00:00Z' }),
      ]);
      const late = { ...rollupScans };
      const p2 = await persistedRollup(s, writer(s), 'p');
      expect([rollupScans.full - late.full, rollupScans.days - late.days]).toEqual([0, 1]);
      const f2 = await exposureRollup(s, 'p');
      same(p2, f2);
      expect(rows(p2)).toContain('2026-01-01|v1|b|0|1|1'); // was 1 exposure, 0 hits
      expect(rows(p1)).toContain('2026-01-01|v1|b|0|1|0');

      // Only an outcome, for day 2's decision, dated a week later: still equal.
      await write([outcome({ request_id: 'q3', item_id: 'b', ts: '2026-01-09T00:00:00Z' })]);
      const p3 = await persistedRollup(s, writer(s), 'p');
      same(p3, await exposureRollup(s, 'p'));
      expect(rows(p3)).toContain('2026-01-02|v2|b|0|1|1');

      // Another project's rows stay apart.
      await s.writeEvents([{ project: 'other', events: validateBatch([decision({ request_id: 'z1', ts: '2026-01-03T00:00:00Z', shown: shown(['x']) })]).valid }]);
      same(await persistedRollup(s, writer(s), 'other'), await exposureRollup(s, 'other'));
      same(await persistedRollup(s, writer(s), 'p'), await exposureRollup(s, 'p'));
    } finally {
      await s.close();
    }
  });

  it('a restarted server serves the first chart from the table without scanning the exposures', { timeout: 60_000 }, async () => {
    const dbPath = path.join(tmpDir(), 'lg.duckdb');
    let server = await startServer({ dbPath, port: 0 });
    const key = (await server.store.createApiKey('shop')).key;
    const events = Array.from({ length: 40 }, (_, i) =>
      decision({ request_id: `s${i}`, ts: `2026-02-0${1 + (i % 5)}T12:00:00Z`, policy_version: `v${i % 3}`, shown: shown([`i${i % 7}`, `i${(i + 3) % 7}`], i % 4 === 0) }));
    const clicks = events.filter((_, i) => i % 3 === 0).map((e) => outcome({ request_id: e.request_id, item_id: `i${Number(String(e.request_id).slice(1)) % 7}`, ts: '2026-02-06T00:00:00Z' }));
    const post = async (url: string, body: unknown[]) => {
      const r = await fetch(`${url}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(r.status).toBeLessThan(300);
    };
    const series = async (url: string) => {
      const r = await fetch(`${url}/v1/projects/shop/dashboard/loop-series`, { headers: { authorization: `Bearer ${key}` } });
      expect(r.status).toBe(200);
      return (await r.json()) as { metrics: unknown[] };
    };
    try {
      await post(server.url, [...events, ...clicks]);
      const first = await series(server.url);
      expect(first.metrics.length).toBeGreaterThan(0);
      await server.close();
      const before = { ...rollupScans };
      server = await startServer({ dbPath, port: 0 });
      const again = await series(server.url);
      expect(again).toEqual(first);
      expect([rollupScans.full - before.full, rollupScans.days - before.days, rollupScans.servedFromTable - before.servedFromTable]).toEqual([0, 0, 1]);
    } finally {
      await server.close();
    }
  });
});
