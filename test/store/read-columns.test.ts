/**
 * readColumns (the store's own reader of DuckDB vectors) against the library's getColumnsJS on the same query: every
 * numeric type it reads raw, NULLs across validity words and chunks (5,000 rows are three chunks of at most 2,048),
 * strings inlined (up to 12 bytes) and not, empty, non-ASCII in some chunks only, and NULL; columns of a few repeated
 * values (which the reader interns), of values unique per row (where it stops interning), and of runs of equal values
 * side by side, short and long, broken by NULLs and by chunk boundaries (where the reader reuses the row before's).
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readColumns } from '../../src/store/duckdb/columns.js';
import { DuckDbStore } from '../../src/store/duckdb/store.js';

let instance: DuckDBInstance;
beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
});
afterAll(() => instance.closeSync());

/** The library's reading of the query, numbers and booleans as the store gives them. */
async function reference(sql: string): Promise<Record<string, unknown[]>> {
  const c = await instance.connect();
  const reader = await c.runAndReadAll(sql);
  const cols = reader.getColumnsJS();
  const out: Record<string, unknown[]> = {};
  reader.columnNames().forEach((n, i) => {
    out[n] = (cols[i] ?? []).map((v) => (v === null ? null : typeof v === 'bigint' ? Number(v) : typeof v === 'boolean' ? (v ? 1 : 0) : v));
  });
  c.closeSync();
  return out;
}

async function fast(sql: string) {
  const c = await instance.connect();
  const cols = await readColumns(await c.run(sql));
  c.closeSync();
  return cols;
}

const plain = (col: unknown) => (col instanceof Float64Array ? [...col].map((x) => (Number.isNaN(x) ? null : x)) : col);

describe('readColumns', () => {
  it('reads every numeric type as getColumnsJS does, NULL as NaN', async () => {
    // HUGEINT here: small, negative, above 2^53 and near 2^127.
    const types = ['DOUBLE', 'FLOAT', 'BIGINT', 'UBIGINT', 'INTEGER', 'UINTEGER', 'SMALLINT', 'USMALLINT', 'TINYINT', 'UTINYINT'];
    const signed = (t: string) => !t.startsWith('U');
    const sel = types
      .map((t, k) => `CASE WHEN (i * ${k + 3}) % 17 = 0 THEN NULL ELSE CAST(${signed(t) ? `(i % 100) - 50` : `i % 100`} ${t === 'DOUBLE' || t === 'FLOAT' ? '+ 0.25' : ''} AS ${t}) END AS c${k}`)
      .join(', ');
    const sql = `SELECT ${sel}, CASE WHEN i % 7 = 3 THEN NULL ELSE i % 3 = 0 END AS flag,
        CAST(9007199254740993 - i AS BIGINT) AS big, CAST(i AS BIGINT) * -1000000007 AS neg,
        CASE WHEN i % 5 = 1 THEN NULL ELSE CAST(i AS HUGEINT) * CASE i % 4 WHEN 0 THEN 1 WHEN 1 THEN -1 WHEN 2 THEN 4294967296
          ELSE 170141183460469231731687303715884105727 // 5000 END END AS huge FROM range(5000) r(i)`;
    const got = (await fast(sql))!;
    const want = await reference(sql);
    expect(Object.keys(got)).toEqual(Object.keys(want));
    for (const k of Object.keys(want)) {
      expect(got[k]).toBeInstanceOf(Float64Array);
      expect(plain(got[k])).toEqual(want[k]);
    }
    // Some NULLs really are there, in every chunk.
    expect(want.c0!.slice(0, 2048).includes(null) && want.c0!.slice(4096).includes(null)).toBe(true);
  });

  it('reads strings inlined and not, empty, non-ASCII and NULL as getColumnsJS does', async () => {
    const sql = `SELECT
        CASE i % 9 WHEN 0 THEN NULL WHEN 1 THEN '' WHEN 2 THEN repeat('a', 12) WHEN 3 THEN repeat('b', 13)
          WHEN 4 THEN 'id-' || i WHEN 5 THEN repeat('long text ', 20) || i ELSE 'x' || i END AS ascii,
        CASE WHEN i >= 2048 AND i % 5 = 0 THEN 'caf\u00e9-' || i WHEN i % 11 = 0 THEN '\u{1F600}' || repeat('z', i % 30)
          WHEN i % 13 = 0 THEN NULL ELSE 'p' || i END AS mixed,
        'k' || (i % 4) AS few,
        CASE i % 6 WHEN 0 THEN '\u00e9' WHEN 1 THEN '' WHEN 2 THEN NULL WHEN 3 THEN 'v1' WHEN 4 THEN repeat('q', 12) ELSE repeat('q', 13) END AS repeats,
        'dec-' || (i // 3) AS runs,
        CASE WHEN i % 7 = 3 THEN NULL ELSE repeat('u', 30) || (i // 4) END AS long_runs,
        CASE WHEN i % 5 < 2 THEN 'caf\u00e9' || (i // 5) ELSE 'x' || (i // 5) END AS mixed_runs
      FROM range(5000) r(i)`;
    const got = (await fast(sql))!;
    const want = await reference(sql);
    for (const k of Object.keys(want)) expect(got[k]).toEqual(want[k]);
    // The chunk of rows 0..2047 of 'mixed' is ASCII except the emoji rows; later ones hold 'café'.
    expect((got.mixed as string[]).some((x) => x?.startsWith('\u{1F600}'))).toBe(true);
    expect((got.mixed as string[])[2050]).toBe('caf\u00e9-2050');
  });

  it('gives no columns but names for an empty result, and null for other types', async () => {
    expect(await fast("SELECT 1.5::DOUBLE AS a, 'x' AS t WHERE false")).toEqual({ a: new Float64Array(0), t: [] });
    expect(await fast('SELECT 1.5::DECIMAL(4,1) AS d')).toBeNull();
    expect(await fast("SELECT TIMESTAMP '2026-01-01' AS t")).toBeNull();
  });

  it('is what the store answers, and the store still answers other types through the library', async () => {
    const s = await DuckDbStore.open(':memory:');
    try {
      const c = await s.queryColumns("SELECT 2.5::DECIMAL(4,1) AS d, 12345678901234567890::HUGEINT AS h, 'a' AS t");
      expect(c).toEqual({ d: new Float64Array([2.5]), h: new Float64Array([12345678901234567890]), t: ['a'] });
    } finally {
      await s.close();
    }
  });
});
