/**
 * File ingest's fast paths against the general ones: typed time columns against their text read as text, "given" as
 * IS NOT NULL for types whose text is never empty, the anchored control-character test against the plain one; rows
 * land in file order across row groups (values checked against the Parquet file read back independently); a file
 * failing halfway through the writes leaves nothing behind.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import { NEVER_EMPTY, typedExpr, type FieldSpec } from '../../src/store/duckdb/ingest-file.js';
import { memoryConnection, tmpDir } from '../helpers.js';

const connection = memoryConnection();
const one = async (sql: string) => (await connection().runAndReadAll(sql)).getRows()[0]!;

const TS: FieldSpec = { name: 'ts', type: 'timestamp', required: true, aliases: ['ts'] };
const SPECIAL_TS = ["'infinity'", "'-infinity'", "'1970-01-01'", "'0000-01-01'", "'0000-12-31 23:59:59.999999'", "'1969-12-31 23:59:59.999999'", "'0001-01-01'", "'1582-10-10 12:00:00'", "'1677-09-21 00:12:43.145224'", 'NULL'];

describe('typed values', () => {
  it('a TIMESTAMP column taken as it is equals its text read as text', async () => {
    // Random instants over (almost) the whole TIMESTAMP range (the last ~0.03% before its maximum overflow ICU).
    await connection().run(`CREATE OR REPLACE TABLE t AS SELECT make_timestamp(CAST((random() * 2 - 1) * 9.0e18 AS BIGINT)) AS x FROM range(200000)
      UNION ALL SELECT make_timestamp(CAST((random() * 2 - 1) * 4e12 AS BIGINT)) FROM range(100000)
      UNION ALL SELECT CAST(v AS TIMESTAMP) FROM (VALUES ${SPECIAL_TS.map((v) => `(${v})`).join(', ')}) s(v)`);
    expect(typedExpr(TS, 'x', 'TIMESTAMP')).not.toBe(typedExpr(TS, 'x'));
    // As text in RFC 3339's digits: DuckDB prints the year 0000 as 0001 (BC), which is no RFC 3339 year.
    const text = `CASE WHEN year(x) BETWEEN 0 AND 9999 THEN lpad(CAST(year(x) AS VARCHAR), 4, '0') || strftime(x, '-%m-%d %H:%M:%S.%f') ELSE CAST(x AS VARCHAR) END`;
    const [n, differ, year0] = await one(`SELECT count(*), count_if((${typedExpr(TS, 'x', 'TIMESTAMP')}) IS DISTINCT FROM (${typedExpr(TS, text)})), count_if((${typedExpr(TS, 'x', 'TIMESTAMP')}) IS NOT NULL AND year(x) = 0) FROM t`);
    expect(Number(year0)).toBeGreaterThan(0);
    expect(Number(n)).toBe(300000 + SPECIAL_TS.length);
    expect(Number(differ)).toBe(0);
  });

  it('a TIMESTAMP_NS column rounded down to microseconds equals its text read as text', async () => {
    await connection().run(`CREATE OR REPLACE TABLE t AS SELECT make_timestamp_ns(CAST((random() * 2 - 1) * 9.2e18 AS BIGINT)) AS x FROM range(200000)
      UNION ALL SELECT make_timestamp_ns(CAST((random() * 2 - 1) * 4e12 AS BIGINT)) FROM range(100000)
      UNION ALL SELECT CAST(v AS TIMESTAMP_NS) FROM (VALUES ${SPECIAL_TS.filter((v) => !/'(0000|0001|1582|1677)/.test(v)).map((v) => `(${v})`).join(', ')}) s(v)`);
    const [n, differ] = await one(`SELECT count(*), count_if((${typedExpr(TS, 'x', 'TIMESTAMP_NS')}) IS DISTINCT FROM (${typedExpr(TS, 'x')})) FROM t`);
    expect(Number(n)).toBeGreaterThan(300000);
    expect(Number(differ)).toBe(0);
  });

  it('values of the types taken as given when not NULL never print as empty text', async () => {
    const types = ['BOOLEAN', 'TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT', 'UHUGEINT', 'FLOAT', 'DOUBLE', 'DECIMAL(18,3)', 'DATE', 'TIME', 'TIMESTAMP', 'TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP_NS', 'TIMESTAMPTZ'];
    const texts = ['0', '-0', '1', '-1', '127', '-128', '255', '65535', '1e30', '-1e-30', 'nan', 'inf', '-inf', 'true', 'false', '2026-01-01', '2026-01-01 12:34:56.789', '12:34:56', '00:00:00', 'infinity', '-infinity', '18446744073709551615', '170141183460469231731687303715884105727'];
    const list = texts.map((t) => `('${t}')`).join(', ');
    for (const t of types) {
      const [name] = await one(`SELECT typeof(CAST(NULL AS ${t}))`);
      expect(String(name), t).toMatch(NEVER_EMPTY);
      const [n, empty] = await one(`SELECT count(x), count_if(CAST(x AS VARCHAR) = '') FROM (SELECT TRY_CAST(v AS ${t}) AS x FROM (VALUES ${list}) s(v))`);
      expect(Number(n), t).toBeGreaterThan(0);
      expect(Number(empty), t).toBe(0);
    }
    for (const t of ['VARCHAR', 'BLOB', 'JSON', 'INTEGER[]', 'STRUCT(a INTEGER)']) expect(String((await one(`SELECT typeof(CAST(NULL AS ${t}))`))[0])).not.toMatch(NEVER_EMPTY);
  });
});

/** The tables a file ingest writes, row counts. */
async function counts(store: DuckDbStore): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of ['decisions', 'exposures', 'outcomes', 'ingested_files']) out[t] = Number((await store.query(`SELECT count(*) AS n FROM ${t}`))[0]!.n);
  return out;
}

describe('file ingest', () => {
  it('stores Parquet rows in file order across row groups, bad rows left out, with the values of the file', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'x.parquet');
    const rows = 300_000; // DuckDB writes row groups of 122,880 rows: three of them
    // strategy and reward_kind from the file: their checks are list lookups, which DuckDB once planned as order-losing joins.
    await connection().run(`COPY (SELECT TIMESTAMP '2026-01-01' + to_milliseconds(i) AS ts, 'item_' || (hash(i) % 997) AS item_id,
        CAST(i % 3 + 1 AS INTEGER) AS position, CASE WHEN i % 50000 = 7 THEN 0 ELSE (hash(i * 7) % 1000 + 1) / 1000 END AS propensity,
        CAST(i % 10 = 0 AS INTEGER) AS click, ['personalized', 'exploration', 'holdout'][i % 3 + 1] AS strategy,
        ['click', 'conversion'][i % 2 + 1] AS reward_kind, 'u' || (i % 777) AS user_id
      FROM range(${rows}) t(i)) TO '${file}' (FORMAT parquet)`);
    const bad = Array.from({ length: rows }, (_, i) => i).filter((i) => i % 50000 === 7).length;
    const store = await DuckDbStore.open(path.join(dir, 'lg.duckdb'));
    try {
      const r = await store.ingestFile({ project: 'p', path: file, kind: 'exposures', skipBad: true, rejectsPath: path.join(dir, 'rejects.csv') });
      expect(r).toMatchObject({ rows, stored: rows - bad, rejected: bad, duplicates: 0 });
      const prefix = `f${crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex').slice(0, 12)}:`;
      // The k-th good row of the file, read back by DuckDB's Parquet reader with its own row numbers.
      const good = `(SELECT file_row_number AS i, row_number() OVER (ORDER BY file_row_number) - 1 AS k, * FROM read_parquet('${file}', file_row_number = true) WHERE propensity > 0)`;
      const check = async (sql: string) => {
        const [n, wrong] = Object.values((await store.query(sql))[0]!).map(Number);
        return { n, wrong };
      };
      expect(await check(`SELECT count(*) AS n, count_if(d.event_id <> '${prefix}' || (f.i + 1) OR d.ts <> f.ts OR d.strategy <> f.strategy OR d.user_id <> f.user_id) AS wrong
        FROM (SELECT rowid AS k, * FROM decisions) d JOIN ${good} f ON f.k = d.k`)).toEqual({ n: rows - bad, wrong: 0 });
      expect(await check(`SELECT count(*) AS n, count_if(e.decision_id <> '${prefix}' || (f.i + 1) OR e.item_id <> f.item_id OR e.position <> f.position OR e.propensity <> f.propensity) AS wrong
        FROM (SELECT rowid AS k, * FROM exposures) e JOIN ${good} f ON f.k = e.k`)).toEqual({ n: rows - bad, wrong: 0 });
      const clicks = `(SELECT row_number() OVER (ORDER BY i) - 1 AS k, * FROM ${good} WHERE click <> 0)`;
      expect(await check(`SELECT count(*) AS n, count_if(o.event_id <> '${prefix}' || (f.i + 1) || ':reward' OR o.kind <> f.reward_kind OR o.item_id <> f.item_id) AS wrong
        FROM (SELECT rowid AS k, * FROM outcomes) o JOIN ${clicks} f ON f.k = o.k`)).toEqual({ n: rows / 10, wrong: 0 });
      expect(await counts(store)).toEqual({ decisions: rows - bad, exposures: rows - bad, outcomes: rows / 10, ingested_files: 1 });
    } finally {
      await store.close();
    }
  });

  it('with repeated event ids, keeps the first of each and stores the rest in file order across row groups', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'ids.parquet');
    const rows = 300_000;
    // Every 100th row repeats the previous row's event id (with its own ts and item).
    await connection().run(`COPY (SELECT 'e' || CASE WHEN i % 100 = 99 THEN i - 1 ELSE i END AS event_id, TIMESTAMP '2026-01-01' + to_milliseconds(i) AS ts,
        'item_' || i AS item_id, 0.5 AS propensity FROM range(${rows}) t(i)) TO '${file}' (FORMAT parquet)`);
    const store = await DuckDbStore.open(path.join(dir, 'lg.duckdb'));
    try {
      expect(await store.ingestFile({ project: 'p', path: file, kind: 'exposures' })).toMatchObject({ rows, stored: rows - rows / 100, duplicates: rows / 100 });
      const kept = Array.from({ length: rows }, (_, i) => i).filter((i) => i % 100 !== 99);
      const got = (await store.query('SELECT item_id FROM exposures ORDER BY rowid')).map((r) => r.item_id);
      expect(got.length).toBe(kept.length);
      expect(got.every((item, k) => item === `item_${kept[k]}`)).toBe(true);
      // A second load of the same rows finds every id stored (the dedup against the store) and writes nothing.
      expect(await store.ingestFile({ project: 'p', path: file, kind: 'exposures' })).toMatchObject({ rows, stored: 0, duplicates: rows });
      expect(await counts(store)).toEqual({ decisions: kept.length, exposures: kept.length, outcomes: 0, ingested_files: 2 });
    } finally {
      await store.close();
    }
  });

  it('a TIMESTAMP column, a TIMESTAMP_NS column and the same times as CSV text store the same values, and reject -infinity alike', async () => {
    const dir = tmpDir();
    const times = ["'-infinity'", "'1677-09-22 00:00:00.000001'", "'1969-12-31 23:59:59.999999'", "'1970-01-01'", "'2000-02-29 23:59:59.5'", "'2026-06-01 10:00:00.000001'"];
    const select = (tsType: string) => `SELECT CAST(CAST(v AS TIMESTAMP) AS ${tsType}) AS ts, 'i' || n AS item_id, 0.5 AS propensity FROM (VALUES ${times.map((t, n) => `(${t}, ${n})`).join(', ')}) s(v, n)`;
    await connection().run(`COPY (${select('TIMESTAMP')}) TO '${dir}/us.parquet' (FORMAT parquet)`);
    await connection().run(`COPY (${select('TIMESTAMP_NS')}) TO '${dir}/ns.parquet' (FORMAT parquet)`);
    await connection().run(`COPY (${select('TIMESTAMP')}) TO '${dir}/text.csv' (HEADER)`);
    expect(String((await one(`SELECT typeof(ts) FROM read_csv('${dir}/text.csv', types = {'ts': 'VARCHAR'}) LIMIT 1`))[0])).toBe('VARCHAR');
    const store = await DuckDbStore.open(path.join(dir, 'lg.duckdb'));
    try {
      const stored: string[] = [];
      for (const f of ['us.parquet', 'ns.parquet', 'text.csv']) {
        const project = f.replace('.', '-');
        // -infinity (row 1) is no RFC 3339 time in any of the three forms.
        const r = await store.ingestFile({ project, path: path.join(dir, f), kind: 'exposures', skipBad: true, rejectsPath: path.join(dir, `${f}.rejects.csv`) });
        expect(r).toMatchObject({ stored: times.length - 1, rejected: 1 });
        expect(fs.readFileSync(path.join(dir, `${f}.rejects.csv`), 'utf8').split('\n')[1]).toMatch(/^1,ts,not a timestamp such as 2026-01-02T03:04:05Z \(got -infinity\),/);
        stored.push(JSON.stringify(await store.query(`SELECT ts::VARCHAR AS ts, item_id FROM exposures WHERE project = '${project}' ORDER BY rowid`)));
      }
      expect(JSON.parse(stored[0]!).map((r: { ts: string }) => r.ts)).toEqual(['1677-09-22 00:00:00.000001', '1969-12-31 23:59:59.999999', '1970-01-01 00:00:00', '2000-02-29 23:59:59.5', '2026-06-01 10:00:00.000001']);
      expect(stored[1]).toBe(stored[0]);
      expect(stored[2]).toBe(stored[0]);
    } finally {
      await store.close();
    }
  });

  it('rejects ids and texts with control characters (code points below 32) and only those', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'ctl.parquet');
    const points = [...Array.from({ length: 127 }, (_, i) => i + 1), 0x85, 0xa0, 0xe9, 0x2028, 0x20ac, 0x1d11e];
    await connection().run(`COPY (SELECT TIMESTAMP '2026-01-01' AS ts, 'a' || chr(cp) || 'b' AS item_id, 'u' || chr(cp) AS user_id, 0.5 AS propensity
      FROM (VALUES ${points.map((p) => `(${p})`).join(', ')}) s(cp)) TO '${file}' (FORMAT parquet)`);
    const store = await DuckDbStore.open(path.join(dir, 'lg.duckdb'));
    try {
      const r = await store.ingestFile({ project: 'p', path: file, kind: 'exposures', skipBad: true, rejectsPath: path.join(dir, 'rejects.csv') });
      const expected = points.filter((p) => p >= 32).map((p) => `a${String.fromCodePoint(p)}b`);
      expect(r).toMatchObject({ rows: points.length, stored: expected.length, rejected: 31 });
      expect((await store.query('SELECT item_id FROM exposures ORDER BY rowid')).map((x) => x.item_id)).toEqual(expected);
    } finally {
      await store.close();
    }
  });

  it('a file failing in its last INSERTs (after decisions were written) leaves nothing behind, and the store goes on', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'nullpos.parquet');
    // A NULL position passes the checks (position is optional) and then breaks exposures' NOT NULL, after decisions.
    await connection().run(`COPY (SELECT TIMESTAMP '2026-01-01' + to_milliseconds(i) AS ts, 'it' || (i % 50) AS item_id, 0.5 AS propensity,
        CASE WHEN i = 199999 THEN NULL ELSE 1 END AS position FROM range(200000) t(i)) TO '${file}' (FORMAT parquet)`);
    const store = await DuckDbStore.open(path.join(dir, 'lg.duckdb'));
    try {
      await expect(store.ingestFile({ project: 'p', path: file, kind: 'exposures' })).rejects.toThrow(/position/);
      expect(await counts(store)).toEqual({ decisions: 0, exposures: 0, outcomes: 0, ingested_files: 0 });
      const good = path.join(dir, 'good.parquet');
      await connection().run(`COPY (SELECT TIMESTAMP '2026-01-01' AS ts, 'a' AS item_id, 0.5 AS propensity) TO '${good}' (FORMAT parquet)`);
      expect(await store.ingestFile({ project: 'p', path: good, kind: 'exposures' })).toMatchObject({ stored: 1 });
      expect(await counts(store)).toEqual({ decisions: 1, exposures: 1, outcomes: 0, ingested_files: 1 });
    } finally {
      await store.close();
    }
  });
});
