/**
 * Writes go through per-connection staging tables. A transaction that rolls back (a refused file) must not leave rows
 * there that a later write would store a second time.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateBatch } from '../../src/events/validate.js';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import { tmpDir } from '../helpers.js';

const outcome = (id: string, ts: string) => ({ type: 'outcome', event_id: id, ts, request_id: 'r', item_id: 'a', kind: 'click', value: 1 });
const decision = (id: string) => ({
  type: 'decision', event_id: id, ts: '2026-01-05T00:00:00Z', request_id: id, user_id: 'u', surface: 's', policy: 'p', policy_version: 'v',
  strategy: 'personalized', shown: [{ item_id: 'a', position: 1, propensity: 1, explored: false }],
});

describe('staging after a rollback', () => {
  it('stores every event exactly once', async () => {
    const dir = tmpDir();
    const store = await DuckDbStore.open(path.join(dir, 'lg.duckdb'));
    try {
      const first = validateBatch([decision('d1'), outcome('o1', '2026-01-01T00:00:00Z')]);
      expect(await store.writeEvents([{ project: 'p', events: first.valid }])).toEqual([{ stored: 2, duplicates: 0 }]);
      const file = path.join(dir, 'bad.jsonl');
      fs.writeFileSync(file, `${JSON.stringify(decision('d2'))}\n{"type": "outcome"}\n`);
      await expect(store.ingestFile({ project: 'p', path: file, kind: 'events' })).rejects.toThrow(/1 bad row; nothing was loaded/);
      const later = validateBatch([outcome('o2', '2026-02-01T00:00:00Z')]);
      expect(await store.writeEvents([{ project: 'p', events: later.valid }])).toEqual([{ stored: 1, duplicates: 0 }]);
      const rows = await store.query(`SELECT event_id, count(*) AS n FROM outcomes GROUP BY event_id ORDER BY event_id`);
      expect(rows).toEqual([{ event_id: 'o1', n: 1 }, { event_id: 'o2', n: 1 }]);
      expect(Number((await store.query('SELECT count(*) AS n FROM decisions'))[0]!.n)).toBe(1);
    } finally {
      await store.close();
    }
  });
});
