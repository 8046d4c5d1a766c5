/**
 * The exposure scan's own choices, checked against DuckDB and designed stores: the catalog order derived in JS equals
 * the SQL ORDER BY (code points, not UTF-16 units); the top slot found in the same pass for 0-based, 1-based and
 * late-starting positions; exploration found by the explored flag and by strategy; NULL split values as '(none)'.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loopHealth } from '../../../src/analyses/loop-health/index.js';
import { compareCodePoints, exposureScan } from '../../../src/analyses/loop-health/query.js';
import type { Result } from '../../../src/analyses/result.js';
import type { ValidEvent } from '../../../src/events/validate.js';
import { DuckDbStore } from '../../../src/store/duckdb/store.js';

const T0 = Date.UTC(2026, 0, 1) * 1000;
let seq = 0;

function decision(project: string, shown: Array<{ item: string; position: number; explored?: boolean }>, o: { strategy?: string; version?: string } = {}): ValidEvent {
  const ts = T0 + ++seq * 1000;
  return {
    type: 'decision', tsMicros: ts,
    event: {
      type: 'decision', event_id: `d${seq}`, ts: new Date(ts / 1000).toISOString(), request_id: `r${seq}`, user_id: 'u', surface: 's', policy: 'p',
      policy_version: o.version ?? 'v1', strategy: (o.strategy ?? 'personalized') as 'personalized',
      shown: shown.map((s) => ({ item_id: s.item, position: s.position, propensity: 0.5, explored: s.explored ?? false })),
    },
  };
}
function click(d: ValidEvent, item: string): ValidEvent {
  const e = d.event as { request_id: string };
  return { type: 'outcome', tsMicros: d.tsMicros + 1, event: { type: 'outcome', event_id: `o${++seq}`, ts: '2026-01-01T00:00:00Z', request_id: e.request_id, item_id: item, kind: 'click', value: 1 } };
}
const metric = (r: Result, name: string) => r.metrics.find((m) => m.name === name)?.value;

let store: DuckDbStore;
beforeAll(async () => {
  store = await DuckDbStore.open(':memory:');
});
afterAll(async () => store.close());

describe('compareCodePoints', () => {
  it('orders ids as DuckDB ORDER BY does, astral characters after U+E000..U+FFFF', async () => {
    const ids = ['b', 'B', 'a1', 'a10', 'a2', '', 'é', 'e\u0301', '\uFF5A', '\u{1F600}', '\u{10000}', '\uE000', '\uD7FF', 'ab', 'a'];
    const conn = await store.connect();
    try {
      const values = ids.map((_, i) => `($${i + 1})`).join(', ');
      const rows = (await conn.runAndReadAll(`SELECT x FROM (VALUES ${values}) t(x) ORDER BY x`, ids)).getRowObjectsJS();
      expect([...ids].sort(compareCodePoints)).toEqual(rows.map((r) => r.x));
      // JavaScript's default order differs exactly there.
      expect([...ids].sort()).not.toEqual(rows.map((r) => r.x));
    } finally {
      conn.closeSync();
    }
  });
});

describe('top slot in the same pass', () => {
  // Per project: 10 decisions of three slots; clicks on 3 items at the first slot and 1 at the second.
  async function world(project: string, positions: number[]) {
    const events: ValidEvent[] = [];
    for (let i = 0; i < 10; i++) {
      const d = decision(project, positions.map((p, j) => ({ item: `i${(i + j) % 7}`, position: p })));
      events.push(d);
      if (i < 3) events.push(click(d, `i${i % 7}`));
      if (i === 5) events.push(click(d, `i${(i + 1) % 7}`));
    }
    await store.writeEvents([{ project, events }]);
  }

  it.each([
    ['zero', [0, 1, 2]],
    ['one', [1, 2, 3]],
    ['late', [5, 7, 9]],
    ['negative', [-2, -1, 0]],
  ])('positions %s: the first logged slot gets 3 of the 4 outcomes', async (project, positions) => {
    await world(project, positions);
    const scan = (await exposureScan(store, { project, window: 'none', by: ['policy_version'], outcomeKinds: [] }))!;
    expect(scan.topPosition).toBe(positions[0]);
    const r = await loopHealth(store, { project });
    expect(r.inputs.top_position).toBe(positions[0]);
    expect(metric(r, 'top_slot_outcome_share')).toBeCloseTo(3 / 4, 15);
    expect(metric(r, 'exposures')).toBe(30);
  });

  it('has no scan (and a failing data verdict) without exposures', async () => {
    expect(await exposureScan(store, { project: 'none-here', window: 'none', by: [], outcomeKinds: [] })).toBeNull();
  });
});

describe('exploration and splits', () => {
  it('counts explored items and exploration or holdout strategies as exploration', async () => {
    const events: ValidEvent[] = [];
    // 4 plain decisions, 3 with one explored item, 2 'exploration', 1 'holdout' (two slots each): 3 + 4 + 2 = 9 of 20.
    for (let i = 0; i < 4; i++) events.push(decision('explore', [{ item: 'a', position: 1 }, { item: 'b', position: 2 }]));
    for (let i = 0; i < 3; i++) events.push(decision('explore', [{ item: 'a', position: 1 }, { item: 'c', position: 2, explored: true }]));
    for (let i = 0; i < 2; i++) events.push(decision('explore', [{ item: 'd', position: 1 }, { item: 'e', position: 2 }], { strategy: 'exploration' }));
    events.push(decision('explore', [{ item: 'f', position: 1 }, { item: 'g', position: 2 }], { strategy: 'holdout' }));
    await store.writeEvents([{ project: 'explore', events }]);
    const r = await loopHealth(store, { project: 'explore' });
    expect(metric(r, 'exploration_share')).toBeCloseTo(9 / 20, 15);
    const byStrategy = await loopHealth(store, { project: 'explore', by: ['strategy'] });
    const share = (s: string) => byStrategy.metrics.find((m) => m.name === 'exploration_share' && m.group?.strategy === s)?.value;
    expect([share('personalized'), share('exploration'), share('holdout')]).toEqual([3 / 14, 1, 1]);
  });
});

describe('the outcome join', () => {
  it('counts an outcome for its own exposure only, even when another exposure has the same outcome_key', async () => {
    // Two exposures a (request r_a) and b (request r_b), a click on a. Then b is given a's outcome_key, as a 64-bit
    // hash collision of (r_b, b) with (r_a, a) would: the key alone would match the click to both.
    const project = 'collide';
    const d1 = decision(project, [{ item: 'a', position: 1 }]);
    const d2 = decision(project, [{ item: 'b', position: 1 }]);
    await store.writeEvents([{ project, events: [d1, d2, click(d1, 'a')] }]);
    const before = (await exposureScan(store, { project, window: 'none', by: [], outcomeKinds: [] }))!;
    const hits = (s: typeof before) => Object.fromEntries(s.items.map((r) => [r.item, [r.exposures, r.hits, r.outcomes]]));
    expect(hits(before)).toEqual({ a: [1, 1, 1], b: [1, 0, 0] });
    const conn = await store.connect();
    try {
      await conn.run(`UPDATE exposures SET outcome_key = (SELECT outcome_key FROM exposures WHERE project = '${project}' AND item_id = 'a')
        WHERE project = '${project}' AND item_id = 'b'`);
      const keys = (await conn.runAndReadAll(`SELECT count(DISTINCT outcome_key) AS k FROM exposures WHERE project = '${project}'`)).getRowObjectsJS();
      expect(Number(keys[0]!.k)).toBe(1);
    } finally {
      conn.closeSync();
    }
    const after = (await exposureScan(store, { project, window: 'none', by: [], outcomeKinds: [] }))!;
    expect(hits(after)).toEqual({ a: [1, 1, 1], b: [1, 0, 0] });
  });
});
