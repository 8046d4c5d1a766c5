import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateBatch } from '../../src/events/validate.js';
import { MIGRATIONS } from '../../src/store/duckdb/migrations.js';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import { decision, tmpDir } from '../helpers.js';

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
    for (const t of ['dashboard_rollup', 'dashboard_rollup_days', 'dashboard_rollup_state']) await s.writeConn.run(`DROP TABLE ${t}`);
    await s.writeConn.run('DELETE FROM schema_migrations WHERE version >= 4');
    await s.close();
    const again = await DuckDbStore.open(db);
    const rows = await again.query('SELECT n_shown, count(*) AS n FROM exposures GROUP BY n_shown ORDER BY n_shown');
    await again.close();
    expect(rows).toEqual([{ n_shown: 2, n: 2 }, { n_shown: 3, n: 3 }]);
  });
});
