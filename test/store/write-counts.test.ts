/**
 * One group commit holds the batches of several requests: each request gets its own stored and duplicate counts,
 * whichever batch of the flush a copy is in, and whether its original is in the flush or stored before it.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateBatch } from '../../src/events/validate.js';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import { tmpDir } from '../helpers.js';

const TS = '2026-01-05T00:00:00Z';
const outcome = (id: string) => ({ type: 'outcome', event_id: id, ts: TS, request_id: 'r', item_id: 'a', kind: 'click', value: 1 });
const decision = (id: string, items = ['a']) => ({
  type: 'decision', event_id: id, ts: TS, request_id: id, user_id: 'u', surface: 's', policy: 'p', policy_version: 'v',
  strategy: 'personalized', shown: items.map((item_id, i) => ({ item_id, position: i + 1, propensity: 1, explored: false })),
});
const valid = (events: Record<string, unknown>[]) => {
  const v = validateBatch(events);
  expect(v.rejected).toEqual([]);
  return v.valid;
};

describe('per-batch counts in one flush', () => {
  it('counts each copy as a duplicate in the batch it came in, and the original as stored in its own', async () => {
    const store = await DuckDbStore.open(path.join(tmpDir(), 'lg.duckdb'));
    try {
      expect(await store.writeEvents([{ project: 'p', events: valid([decision('old', ['x', 'y']), outcome('o-old')]) }])).toEqual([
        { stored: 2, duplicates: 0 },
      ]);
      const counts = await store.writeEvents([
        // new d1 and o1; d1 again in the same batch
        { project: 'p', events: valid([decision('d1', ['a', 'b']), outcome('o1'), decision('d1', ['a', 'b'])]) },
        // d1 from the first batch, 'old' and 'o-old' stored before, and a new d2
        { project: 'p', events: valid([decision('d1', ['a', 'b']), decision('old', ['x', 'y']), outcome('o-old'), decision('d2')]) },
        // the same ids in another project, and an outcome with a decision's id: all new
        { project: 'q', events: valid([decision('d1'), decision('old'), outcome('d1')]) },
      ]);
      expect(counts).toEqual([
        { stored: 2, duplicates: 1 },
        { stored: 1, duplicates: 3 },
        { stored: 3, duplicates: 0 },
      ]);
      const rows = await store.query(
        `SELECT project, decision_id, count(*) AS n FROM exposures GROUP BY project, decision_id ORDER BY project, decision_id`,
      );
      // Each decision's exposures once: a duplicate decision brings none of its shown items.
      expect(rows).toEqual([
        { project: 'p', decision_id: 'd1', n: 2 },
        { project: 'p', decision_id: 'd2', n: 1 },
        { project: 'p', decision_id: 'old', n: 2 },
        { project: 'q', decision_id: 'd1', n: 1 },
        { project: 'q', decision_id: 'old', n: 1 },
      ]);
      const totals = await store.query(
        `SELECT (SELECT count(*) FROM decisions) AS decisions, (SELECT count(*) FROM outcomes) AS outcomes`,
      );
      expect(totals).toEqual([{ decisions: 5, outcomes: 3 }]);
    } finally {
      await store.close();
    }
  });
});
