/**
 * writeChunkColumn (the store's chunk writer) against DuckDB itself: every layout, nulls, strings inlined and not
 * (0, 12 and 13 characters, non-ASCII, long), over more than one chunk, read back with SQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { duckdb } from '../../src/store/duckdb/duckdb-api.js';
import { writeChunkColumn } from '../../src/store/duckdb/columns.js';
import type { ChunkLayout } from '../../src/store/duckdb/tables.js';

let instance: DuckDBInstance;
let conn: DuckDBConnection;
beforeAll(async () => {
  instance = await duckdb.DuckDBInstance.create(':memory:');
  conn = await instance.connect();
});
afterAll(() => {
  conn.closeSync();
  instance.closeSync();
});

describe('writeChunkColumn', () => {
  it('writes what DuckDB reads back, value for value', async () => {
    const strings = ['', 'a', 'abcdefghijkl', 'abcdefghijklm', 'héllo', '日本', 'x'.repeat(100), '{"k":1}', null];
    const n = 5000;
    const cols: Array<Array<string | number | boolean | null>> = [[], [], [], []];
    for (let i = 0; i < n; i++) {
      cols[0]!.push(strings[i % strings.length]!);
      cols[1]!.push(i % 7 === 0 ? null : i / 3 - 1e6);
      cols[2]!.push(i % 11 === 0 ? null : (i * 7919) % 200_003 - 100_000);
      cols[3]!.push(i % 13 === 0 ? null : i % 2 === 0);
    }
    await conn.run('CREATE TABLE t (s VARCHAR, d DOUBLE, i INTEGER, b BOOLEAN)');
    const layouts: ChunkLayout[] = ['varchar', 'double', 'integer', 'boolean'];
    const appender = await conn.createAppender('t');
    for (let start = 0; start < n; start += 2048) {
      const end = Math.min(n, start + 2048);
      const chunk = duckdb.DuckDBDataChunk.create([duckdb.VARCHAR, duckdb.DOUBLE, duckdb.INTEGER, duckdb.BOOLEAN], end - start);
      layouts.forEach((l, c) => writeChunkColumn(chunk, c, l, cols[c]!, start, end));
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
    appender.closeSync();
    const rows = (await conn.runAndReadAll('SELECT s, d, i, b FROM t')).getRowsJS();
    expect(rows.length).toBe(n);
    for (let i = 0; i < n; i++) expect(rows[i]).toEqual([cols[0]![i], cols[1]![i], cols[2]![i], cols[3]![i]]);
    // Inlined strings compare equal to the same strings made by DuckDB (their padding is zero).
    const eq = await conn.runAndReadAll(`SELECT count(*) AS c FROM t WHERE s = 'abcdefghijkl' OR s = '{"k":1}' OR s = ''`);
    const want = cols[0]!.filter((x) => x === 'abcdefghijkl' || x === '{"k":1}' || x === '').length;
    expect(want).toBeGreaterThan(1000);
    expect(Number(eq.getRowObjectsJS()[0]!.c)).toBe(want);
  });
});
