import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateBatch } from '../../src/events/validate.js';
import { MIGRATIONS } from '../../src/store/duckdb/migrations.js';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import { decision, outcome, tmpDir } from '../helpers.js';

describe('migrations', () => {
  it('record every version once and leave a reopened store as it was', async () => {
    const db = path.join(tmpDir(), 'lg.duckdb');
    for (let i = 0; i < 2; i++) {
      const s = await DuckDbStore.open(db);
      const rows = await s.query('SELECT version FROM schema_migrations ORDER BY version');
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
      await s.close();
    }
  });

  it('version 4 gives exposures written before it the slate length of their decision', async () => {
    const db = path.join(tmpDir(), 'lg.duckdb');
    const s = await DuckDbStore.open(db);
    const three = decision({ shown: [1, 2, 3].map((p) => ({ item_id: `i${p}`, position: p, propensity: 0.5, explored: false })) });
    await s.writeEvents([{ project: 'p', events: validateBatch([three, decision()]).valid }]);
    // Put the store back to how version 3 left it.
    await s.writeConn.run('ALTER TABLE exposures DROP COLUMN n_shown');
    // (and undo the later migrations too: the store runs those after the highest version recorded)
    for (const t of ['dashboard_rollup', 'dashboard_rollup_days', 'dashboard_rollup_state', 'store_settings', 'explored_exposures']) await s.writeConn.run(`DROP TABLE ${t}`);
    for (const t of ['exposures', 'outcomes']) await s.writeConn.run(`ALTER TABLE ${t} DROP COLUMN outcome_key`);
    await s.writeConn.run('DELETE FROM schema_migrations WHERE version >= 4');
    await s.close();
    const again = await DuckDbStore.open(db);
    const rows = await again.query('SELECT n_shown, count(*) AS n FROM exposures GROUP BY n_shown ORDER BY n_shown');
    await again.close();
    expect(rows).toEqual([{ n_shown: 2, n: 2 }, { n_shown: 3, n: 3 }]);
  });

  it('version 6 keys the exposures and outcomes written before it, and a store is rekeyed when the hash it was keyed with changes', async () => {
    const db = path.join(tmpDir(), 'lg.duckdb');
    const s = await DuckDbStore.open(db);
    const shown = ['a', 'b', 'c'].map((item_id, i) => ({ item_id, position: i + 1, propensity: 0.5, explored: false }));
    const d = decision({ request_id: 'req-six', shown });
    const longId = 'x'.repeat(40); // longer than the 12 bytes DuckDB keeps inline
    await s.writeEvents([{ project: 'p', events: validateBatch([d, decision({ request_id: longId, shown }), outcome({ request_id: 'req-six', item_id: 'b' }), outcome({ request_id: longId, item_id: 'c' })]).valid }]);
    const expected = `hash(CAST(request_id AS VARCHAR), CAST(item_id AS VARCHAR))`;
    const keyed = async (st: DuckDbStore) =>
      st.query(`SELECT (SELECT count(*) FROM exposures WHERE outcome_key = ${expected}) AS e, (SELECT count(*) FROM outcomes WHERE outcome_key = ${expected}) AS o`);
    expect(await keyed(s)).toEqual([{ e: 6, o: 2 }]);
    // As version 5 left it: no key column, no settings.
    for (const t of ['exposures', 'outcomes']) await s.writeConn.run(`ALTER TABLE ${t} DROP COLUMN outcome_key`);
    await s.writeConn.run('DROP TABLE store_settings');
    await s.writeConn.run('DROP TABLE explored_exposures');
    await s.writeConn.run('DELETE FROM schema_migrations WHERE version >= 6');
    await s.close();
    const again = await DuckDbStore.open(db);
    expect(await keyed(again)).toEqual([{ e: 6, o: 2 }]);
    // Keys made by another hash (here: scrambled) and a probe that is not this engine's: the next open rekeys all.
    await again.writeConn.run('UPDATE exposures SET outcome_key = outcome_key + 1');
    await again.writeConn.run('UPDATE outcomes SET outcome_key = 7');
    await again.writeConn.run(`UPDATE store_settings SET value = 'another engine' WHERE name = 'outcome_key_probe'`);
    expect(await keyed(again)).toEqual([{ e: 0, o: 0 }]);
    await again.close();
    const third = await DuckDbStore.open(db);
    expect(await keyed(third)).toEqual([{ e: 6, o: 2 }]);
    const probe = await third.query(`SELECT count(*) AS n FROM store_settings WHERE name = 'outcome_key_probe' AND value <> 'another engine'`);
    expect(probe).toEqual([{ n: 1 }]);
    await third.close();
  });

  it('version 7 copies the exploration and holdout exposures; writes by batch and by file keep the copy equal to EXPLORE_SQL on exposures', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'lg.duckdb');
    const s = await DuckDbStore.open(db);
    const slate = (explored: boolean[]) => explored.map((x, i) => ({ item_id: `i${i}`, position: i + 1, propensity: 0.25, explored: x }));
    const events = [
      decision({ strategy: 'personalized', shown: slate([false, false]) }),
      decision({ strategy: 'personalized', shown: slate([false, true, false]) }), // one explored slot
      decision({ strategy: 'exploration', shown: slate([false, false]) }),
      decision({ strategy: 'holdout', shown: slate([false]) }),
    ];
    await s.writeEvents([{ project: 'p', events: validateBatch(events).valid }]);
    // A file too: rows 2 and 3 are exploration (flag, strategy), row 1 is not.
    const file = path.join(dir, 'e.csv');
    fs.writeFileSync(file, 'ts,item_id,propensity,explored,strategy\n2026-01-01T00:00:00Z,a,0.5,false,personalized\n2026-01-01T00:00:01Z,b,0.5,true,personalized\n2026-01-01T00:00:02Z,c,0.5,false,holdout\n');
    await s.ingestFile({ project: 'p', path: file, kind: 'exposures', map: {}, set: {} });
    const same = async (st: DuckDbStore) => {
      const explore = `(e.explored OR e.strategy IN ('exploration', 'holdout'))`;
      const [r] = await st.query(`SELECT
          (SELECT count(*) FROM explored_exposures) AS copy,
          (SELECT count(*) FROM exposures e WHERE ${explore}) AS wanted,
          (SELECT count(*) FROM (SELECT * FROM explored_exposures EXCEPT ALL SELECT * FROM exposures e WHERE ${explore})) AS extra,
          (SELECT count(*) FROM (SELECT * FROM exposures e WHERE ${explore} EXCEPT ALL SELECT * FROM explored_exposures)) AS missing`);
      return r;
    };
    // 1 + 2 + 1 from the batch, 2 from the file.
    expect(await same(s)).toEqual({ copy: 6, wanted: 6, extra: 0, missing: 0 });
    // A retried batch stores nothing twice, in the copy neither.
    const again1 = await s.writeEvents([{ project: 'p', events: validateBatch(events).valid }]);
    expect(again1[0]).toMatchObject({ stored: 0, duplicates: events.length });
    expect(await same(s)).toEqual({ copy: 6, wanted: 6, extra: 0, missing: 0 });
    // As version 6 left it, then reopened: the migration copies the same rows.
    await s.writeConn.run('DROP TABLE explored_exposures');
    await s.writeConn.run('DELETE FROM schema_migrations WHERE version >= 7');
    await s.close();
    const again = await DuckDbStore.open(db);
    expect(await same(again)).toEqual({ copy: 6, wanted: 6, extra: 0, missing: 0 });
    await again.close();
  });
});
