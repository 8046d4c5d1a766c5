import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import { tmpDir } from '../helpers.js';

describe('DuckDbStore.close with a read under way', () => {
  it('interrupts the read, rejects it and closes, instead of closing the connection under it', async () => {
    const store = await DuckDbStore.open(path.join(tmpDir('lg-close-'), 'lg.duckdb'));
    // A scan that runs for minutes unless interrupted.
    const slow = store.query('SELECT sum(a.range * b.range) AS s FROM range(100000000) a, range(1000) b');
    const outcome = slow.then(
      () => 'finished',
      (err: Error) => err.message,
    );
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    await store.close();
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(await outcome).toMatch(/interrupt/i);
    await expect(store.query('SELECT 1')).rejects.toThrow(/store is closing/);
  });

  it('reopens the file afterwards with its data', async () => {
    const file = path.join(tmpDir('lg-close-'), 'lg.duckdb');
    const a = await DuckDbStore.open(file);
    const key = await a.createApiKey('p');
    const slow = a.query('SELECT count(*) FROM range(100000000) a, range(1000) b').catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100));
    await a.close();
    await slow;
    const b = await DuckDbStore.open(file);
    expect(await b.projectForKey(key.key)).toBe('p');
    await b.close();
  });
});
