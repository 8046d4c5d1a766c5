/**
 * The drift monitor (drift by day against a reference window) warns, as the two-sided comparison does, when stray
 * values made a numeric attribute text on both sides.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDrift } from '../../../src/analyses/drift/index.js';
import type { ValidEvent } from '../../../src/events/validate.js';
import { createRng } from '../../../src/stats/rng.js';
import { DuckDbStore } from '../../../src/store/duckdb/store.js';
import { oneItemDecision } from '../../helpers.js';

const DAY = 86_400_000_000;
const T0 = Date.UTC(2026, 0, 1) * 1000;
let store: DuckDbStore;

beforeAll(async () => {
  store = await DuckDbStore.open(':memory:');
  const rng = createRng(5);
  const events: ValidEvent[] = [];
  let n = 0;
  for (let d = 0; d < 4; d++)
    for (let k = 0; k < 300; k++) {
      n++;
      const ts = T0 + d * DAY + k * 200_000_000;
      // every 50th decision of every day logs age as 'N/A' (the client's missing value), so age is text in the store
      const age = k % 50 === 7 ? 'N/A' : Math.round(30 + 5 * rng.normal());
      events.push(oneItemDecision(n, ts, `u${k}`, { age, device: k % 2 ? 'mobile' : 'desktop' }));
    }
  await store.writeEvents([{ project: 'strays', events }]);
});
afterAll(async () => store?.close());

describe('drift monitor: a numeric attribute made text by stray values', () => {
  it('warns with the share that reads as numbers, for the latest window against the reference', async () => {
    const r = await runDrift(store, { project: 'strays', reference: { window: '2026-01-01/2026-01-03' }, window: 'day', since: '2026-01-03', columns: ['age', 'device'] });
    const warns = r.verdicts.filter((v) => v.check === 'column_type');
    expect(warns).toHaveLength(1);
    const w = warns[0]!;
    expect(w.status).toBe('warn');
    expect(w.group).toEqual({ column: 'age', day: '2026-01-04' });
    // reference: 2 days x 300 decisions, 12 of them 'N/A'; latest window: 300, 6 of them 'N/A'
    expect(w.value).toBeCloseTo(1 - 18 / 900, 12);
    expect(w.message).toMatch(/^Column age is text on both sides, but 98% of its values read as numbers \(others, such as 'N\/A', made it text\)/);
  });
});
