import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import { tmpDir } from '../helpers.js';

describe('DuckDbStore reads', () => {
  it('an uncached key lookup and the stats query do not wait behind a long analysis', async () => {
    const store = await DuckDbStore.open(path.join(tmpDir('lg-reads-'), 'lg.duckdb'));
    const key = await store.createApiKey('p');
    // A scan that runs for minutes unless interrupted, standing in for a long analysis.
    let longSettled = false;
    const long = store
      .query('SELECT sum(a.range * b.range) AS s FROM range(100000000) a, range(1000) b')
      .then(
        () => 'finished',
        (err: Error) => err.message,
      )
      .finally(() => (longSettled = true));
    await new Promise((r) => setTimeout(r, 200));
    const stats = await store.projectStats('p');
    expect(stats.totals.decision).toBe(0);
    // createApiKey does not fill the key cache: this lookup reads the keys table
    expect(await store.projectForKey(key.key)).toBe('p');
    expect(longSettled).toBe(false);
    await store.close();
    expect(await long).toMatch(/interrupt/i);
  });

  it('answers several analysis reads started at once, each with its own result', async () => {
    const store = await DuckDbStore.open(path.join(tmpDir('lg-reads-'), 'lg.duckdb'));
    const n = await Promise.all(Array.from({ length: 8 }, (_, i) => store.query(`SELECT count(*) + ${i} AS n FROM range(1000000)`)));
    expect(n.map((r) => r[0]!.n)).toEqual(Array.from({ length: 8 }, (_, i) => 1_000_000 + i));
    await store.close();
  });
});
