/**
 * File ingest of input the QA pass found mishandled: timestamps outside the documented form (docs/events.md, "Common
 * rules": RFC 3339, a space for the T, no offset = UTC) and one row's time zone leaking into later rows; flat JSONL
 * mixing strings, numbers and objects in one key; Parquet columns of a type that cannot give their field; and the line
 * numbers the messages give. Expected times come from Date.parse, expected ids from the file's text.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import { timestampFromTextSql } from '../../src/store/duckdb/ingest-file.js';
import { parseTimestampMicros } from '../../src/events/timestamp.js';
import { cli, ingestText, memoryConnection, tmpDir } from '../helpers.js';

const connection = memoryConnection();


async function rows(db: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const store = await DuckDbStore.open(db);
  try {
    return await store.query(sql);
  } finally {
    await store.close();
  }
}

const skipBad = (d: string) => ['--skip-bad', '--rejects', path.join(d, 'rejects.csv'), '--format', 'json'];
const rejects = (dir: string) => fs.readFileSync(path.join(dir, 'rejects.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').slice(0, 3).join(','));
/** An ISO time as the store prints a TIMESTAMP: 'YYYY-MM-DD HH:MM:SS'. */
const stored = (iso: string) => new Date(Date.parse(iso)).toISOString().replace('T', ' ').replace(/\.000Z$|Z$/, '');

describe('timestamps in flat files', () => {
  it('a row naming a time zone is rejected and does not shift the rows after it, which are UTC', async () => {
    const lines = ['2024-01-01 10:00:00,before', '2024-01-01 10:00:00 America/New_York,ny', '2024-01-01 10:00:00,after1', '2024-01-01T10:00:00,after2', '2024-01-01,after3', '2024-01-01T10:00:00Z,afterZ'];
    const { dir, db, r } = ingestText('zone.csv', `ts,item_id,propensity\n${lines.map((l) => `${l},0.5`).join('\n')}\n`, 'exposures', skipBad);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ rows: 6, stored: 5, rejected: 1 });
    expect(rejects(dir)).toEqual(['2,ts,not a timestamp such as 2026-01-02T03:04:05Z (got 2024-01-01 10:00:00 America/New_York)']);
    const got = await rows(db, 'SELECT item_id, CAST(ts AS VARCHAR) AS ts FROM exposures ORDER BY rowid');
    const expected = lines.filter((l) => !l.includes('America')).map((l) => {
      const [ts, item] = l.split(',');
      return { item_id: item, ts: stored(/Z$/.test(ts!) ? ts! : ts!.replace(' ', 'T') + (ts!.length === 10 ? 'T00:00:00Z' : 'Z')) };
    });
    expect(got).toEqual(expected);
  });

  it('accepts exactly the documented forms, rejecting each other one by row and field', async () => {
    const bad = ['-infinity', 'infinity', 'epoch', 'now', '2024-01-01T10:00:00+25:00', '2024-01-01T10:00:00+05:60', '20240101', '2024-1-1', '2024-02-30',
      '  2024-01-01', '2024-01-01T24:00:00Z', '2024-01-01T10:00:60Z', '2024-01-01T10Z', '2024-01-01 10:00:00 UTC', '2024-01-01T10:00:00.Z', '12024-01-01', '1700000000'];
    const good = ['2024-01-01', '2024-01-01T10:00Z', '2024-01-01 10:00:00.1234567', '2024-02-29T23:59:59-05:00', '2024-01-01T10:00:00+0530', '2024-01-01T10:00:00 +05', '0001-01-01T00:00:00Z', '2024-01-01t10:00:00z'];
    const all = [...bad, ...good];
    const { dir, db, r } = ingestText('ts.csv', `ts,item_id,propensity\n${all.map((t, i) => `${t},i${i},0.5`).join('\n')}\n`, 'exposures', skipBad);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ rows: all.length, stored: good.length, rejected: bad.length });
    expect(rejects(dir)).toEqual(bad.map((t, i) => `${i + 1},ts,not a timestamp such as 2026-01-02T03:04:05Z (got ${t})`));
    const got = await rows(db, 'SELECT epoch_us(ts) AS us FROM exposures ORDER BY rowid');
    expect(got.map((x) => Number(x.us))).toEqual(good.map((t) => parseTimestampMicros(t)));
    // Independently of the parser: the same instants from Date.parse (to the millisecond; 0001 is not Date.parse's).
    expect(Number(got[3]!.us) / 1000).toBe(Date.parse('2024-03-01T04:59:59Z'));
    expect(Number(got[4]!.us) / 1000).toBe(Date.parse('2024-01-01T04:30:00Z'));
    expect(Number(got[2]!.us)).toBe(Date.parse('2024-01-01T10:00:00.123Z') * 1000 + 456);
  });

  it('the SQL reading of text times agrees with the API validator on every string of a varied corpus', async () => {
    const texts = new Set<string>();
    const pieces = { date: ['2024-01-01', '2023-02-29', '2024-02-29', '1900-02-29', '2000-02-29', '0000-02-29', '9999-12-31', '1969-12-31', '2024-13-01', '2024-00-10', '2024-1-01', '24-01-01'],
      sep: ['T', 't', ' ', '_', '  '], time: ['', '10:00', '23:59:59', '24:00:00', '10:60:00', '10:00:60', '00:00:00.5', '12:34:56.123456789', '12:34:56.1234567891', '1:00:00', '12:34:56.'],
      ws: ['', ' ', '\t', '\u00a0', '\u3000', '\u200b'], off: ['', 'Z', 'z', '+00', '-08', '+0530', '+05:30', '+23:59', '+24:00', '-00:60', '+5', '+05:3', 'EST', 'America/New_York', '+05:30:00'] };
    for (const d of pieces.date) for (const s of pieces.sep) for (const t of pieces.time) for (const w of pieces.ws) for (const o of pieces.off) texts.add(t ? `${d}${s}${t}${w}${o}` : `${d}${w}${o}`);
    for (const x of ['', 'epoch', 'infinity', '-infinity', 'today', ' 2024-01-01', '2024-01-01\n', '2024-01-01T10:00:00Z ']) texts.add(x);
    const list = [...texts];
    await connection().run('CREATE OR REPLACE TABLE corpus (i INTEGER, v VARCHAR)');
    const appender = await connection().createAppender('corpus');
    list.forEach((v, i) => {
      appender.appendInteger(i);
      appender.appendVarchar(v);
      appender.endRow();
    });
    appender.closeSync();
    const got = (await connection().runAndReadAll(`SELECT i, epoch_us(${timestampFromTextSql('v')}) FROM corpus ORDER BY i`)).getRows();
    const sqlValues = got.map((r) => (r[1] === null ? null : Number(r[1])));
    const jsValues = list.map((v) => parseTimestampMicros(v));
    expect(list.length).toBeGreaterThan(40_000);
    expect(jsValues.filter((v) => v !== null).length).toBeGreaterThan(1000);
    const differ = list.filter((_, i) => sqlValues[i] !== jsValues[i]);
    expect(differ).toEqual([]);
  });
});

describe('flat JSONL with mixed kinds of values', () => {
  it('stores string ids as their text and integer ids as their digits, in a key that mixes both', async () => {
    const ids: unknown[] = ['s0', 1, 's2', 3, 'x"y', 12345678901234567890n, '{"not":"json"}'];
    const text = ids.map((id) => `{"ts": "2024-01-01T00:00:00Z", "item_id": ${typeof id === 'string' ? JSON.stringify(id) : String(id)}, "propensity": 0.5}`).join('\n') + '\n';
    const { db, r } = ingestText('mixed.jsonl', text, 'exposures');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect((await rows(db, 'SELECT item_id FROM exposures ORDER BY rowid')).map((x) => x.item_id)).toEqual(ids.map(String));
  });

  it('rejects objects, arrays, booleans and non-integer numbers as ids, and booleans and objects as numbers, by line and field', async () => {
    const lines = [
      '{"ts": "2024-01-01T00:00:00Z", "item_id": "a", "propensity": 0.5, "position": 1}',
      '{"ts": "2024-01-01T00:00:00Z", "item_id": {"x": 1}, "propensity": 0.5, "position": 1}',
      '{"ts": "2024-01-01T00:00:00Z", "item_id": [1, 2], "propensity": true, "position": 1}',
      '{"ts": "2024-01-01T00:00:00Z", "item_id": true, "propensity": 0.5, "position": false}',
      '{"ts": "2024-01-01T00:00:00Z", "item_id": 1.5, "propensity": {"p": 0.5}, "position": [1]}',
      '{"ts": 1704067200, "item_id": "b", "propensity": 0.5, "position": 2, "event_id": {"id": 1}}',
      '{"ts": "2024-01-01T00:00:01Z", "item_id": "c", "propensity": 0.25, "position": 3, "event_id": "e7"}',
    ];
    const { file, db, r } = ingestText('nested.jsonl', lines.join('\n') + '\n', 'exposures');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `loopguard: ${file}: 5 bad rows; nothing was loaded. Fix the rows, or pass --skip-bad to load the rest and write the bad rows to a rejects file.
  line 2, item_id: expected a string or an integer (got {"x":1})
  line 3, item_id: expected a string or an integer (got [1,2])
  line 3, propensity: expected a number (got true)
  line 4, item_id: expected a string or an integer (got true)
  line 4, position: expected a number (got false)
  line 5, item_id: expected a string or an integer (got 1.5)
  line 5, position: expected a number (got [1])
  line 5, propensity: expected a number (got {"p":0.5})
  line 6, event_id: expected a string or an integer (got {"id":1})
  line 6, ts: not a timestamp such as 2026-01-02T03:04:05Z (got 1704067200)
`,
    );
    expect(fs.existsSync(db) ? Number((await rows(db, 'SELECT count(*) AS n FROM exposures'))[0]!.n) : 0).toBe(0);
  });
});

describe('Parquet columns of the wrong type', () => {
  const parquet = async (dir: string, name: string, select: string) => {
    const file = path.join(dir, name);
    await connection().run(`COPY (${select}) TO '${file}' (FORMAT parquet)`);
    return file;
  };

  it('a list, a struct or a boolean where an id or number belongs refuses the file naming the column', async () => {
    const dir = tmpDir();
    const cases: Array<[string, string, string]> = [
      ["[1, 2, 3] AS item_id, 1 AS position, 0.2 AS propensity", 'item_id', "column 'item_id' (for item_id) is INTEGER[]; expected a text or integer column"],
      ["'a' AS item_id, (i % 2 = 0) AS position, 0.2 AS propensity", 'position', "column 'position' (for position) is BOOLEAN; expected a number column"],
      ["'a' AS item_id, 1 AS position, {'p': 0.2} AS propensity", 'propensity', "column 'propensity' (for propensity) is STRUCT(p DECIMAL(2,1)); expected a number column"],
      ["'a' AS item_id, 1 AS position, true AS propensity", 'propensity', "column 'propensity' (for propensity) is BOOLEAN; expected a number column"],
      ["true AS item_id, 1 AS position, 0.2 AS propensity", 'item_id', "column 'item_id' (for item_id) is BOOLEAN; expected a text or integer column"],
    ];
    for (const [cols, name, message] of cases) {
      const file = await parquet(dir, `${name}-${cases.findIndex((c) => c[0] === cols)}.parquet`, `SELECT TIMESTAMP '2024-01-01' AS ts, ${cols} FROM range(5) t(i)`);
      const db = path.join(dir, `${path.basename(file)}.duckdb`);
      const r = cli(['ingest', file, '--kind', 'exposures', '--project', 'p', '--db', db]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`loopguard: ${file}: ${message}\n`);
    }
  });

  it('-infinity, infinity and years outside 0000-9999 are rejected by row; a TIMESTAMP_NS before 1970 is rounded down like text', async () => {
    const dir = tmpDir();
    const file = await parquet(dir, 'ts.parquet', `SELECT CAST(v AS TIMESTAMP) AS ts, 'i' || n AS item_id, 0.5 AS propensity FROM (VALUES
      ('2024-01-01', 0), ('-infinity', 1), ('infinity', 2), ('0001-01-01', 3), ('0002-01-01 (BC)', 4), ('2024-01-02', 5)) s(v, n)`);
    // DuckDB counts 1 BC as year 0000 (kept) and prints year -1 as 0002 (BC).
    const yearMinus1 = String((await connection().runAndReadAll("SELECT CAST(CAST('0002-01-01 (BC)' AS TIMESTAMP) AS VARCHAR)")).getRows()[0]![0]);
    const store = await DuckDbStore.open(path.join(dir, 'lg.duckdb'));
    try {
      const r = await store.ingestFile({ project: 'p', path: file, kind: 'exposures', skipBad: true, rejectsPath: path.join(dir, 'rejects.csv') });
      expect(r).toMatchObject({ rows: 6, stored: 3, rejected: 3 });
      expect(rejects(dir)).toEqual([2, 3, 5].map((row) => `${row},ts,not a timestamp such as 2026-01-02T03:04:05Z (got ${['-infinity', 'infinity', yearMinus1][[2, 3, 5].indexOf(row)]})`));
      expect((await store.query('SELECT item_id, CAST(ts AS VARCHAR) AS ts FROM exposures ORDER BY rowid'))).toEqual([
        { item_id: 'i0', ts: '2024-01-01 00:00:00' }, { item_id: 'i3', ts: '0001-01-01 00:00:00' }, { item_id: 'i5', ts: '2024-01-02 00:00:00' }]);
      const ns = await parquet(dir, 'ns.parquet', "SELECT TIMESTAMP_NS '1969-12-31 23:59:59.999999999' AS ts, 'n' AS item_id, 0.5 AS propensity");
      expect(await store.ingestFile({ project: 'ns', path: ns, kind: 'exposures' })).toMatchObject({ stored: 1 });
      const [{ us }] = (await store.query("SELECT epoch_us(ts) AS us FROM exposures WHERE project = 'ns'")) as [{ us: bigint }];
      expect(Number(us)).toBe(parseTimestampMicros('1969-12-31T23:59:59.999999999Z'));
      expect(Number(us)).toBe(-1);
    } finally {
      await store.close();
    }
  });
});

describe('line numbers in messages', () => {
  const row = (ts: string, item: string, p: string) => `{"ts": "${ts}", "item_id": "${item}", "propensity": ${p}}`;
  const good = row('2024-01-01T00:00:00Z', 'a', '0.5');

  it('malformed flat JSONL names the line it is on', () => {
    for (const [text, line] of [[`garbage\n${good}\n`, 1], [`${good}\n${good}\ngarbage\n${good}\n`, 3], [`${good}\n\n[1, 2]\n`, 3], [`${good}\n{"ts": "x",\n`, 2]] as const) {
      const { file, r } = ingestText('bad.jsonl', text, 'exposures');
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^loopguard: ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: could not be read as JSONL: line ${line} is not (valid JSON|a JSON object) \\(.*\\)\\n$`));
    }
  });

  it('flat JSONL with a UTF-8 byte order mark and CRLF line ends loads like the same file without', async () => {
    const body = [good, row('2024-01-01T00:00:01Z', 'b', '0.25')].join('\r\n') + '\r\n';
    const { db, r } = ingestText('bom.jsonl', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body)]), 'exposures');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await rows(db, 'SELECT item_id, propensity FROM exposures ORDER BY rowid')).toEqual([{ item_id: 'a', propensity: 0.5 }, { item_id: 'b', propensity: 0.25 }]);
  });

  it('a bad row of flat JSONL after a blank line names its own line', () => {
    const text = [good, good, good, '', good, good, row('2024-01-01T00:00:00Z', 'i1', '"x"'), good].join('\n') + '\n';
    const { r } = ingestText('blank.jsonl', text, 'exposures');
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[1]).toBe('  line 7, propensity: expected a number (got "x")');
  });

  it('a bad CSV row after a blank line or a quoted field over two lines names its own line', () => {
    const blank = ingestText('blank.csv', 'ts,item_id,propensity,note\n2024-01-01T00:00:00Z,a,0.5,x\n\n2024-01-01T00:00:00Z,b,0.5,y\n2024-01-01T00:00:00Z,c,bad,z\n', 'exposures');
    expect(blank.r.stderr.split('\n')[1]).toBe('  row 3 (line 5), propensity: expected a number (got bad)');
    const multi = ingestText('multi.csv', 'ts,item_id,propensity,note\n2024-01-01T00:00:00Z,a,0.5,"multi\nline"\n2024-01-01T00:00:00Z,c,bad,z\n', 'exposures');
    expect(multi.r.stderr.split('\n')[1]).toBe('  row 2 (line 4), propensity: expected a number (got bad)');
    const crlf = ingestText('crlf.csv', 'ts,item_id,propensity\r\n2024-01-01T00:00:00Z,a,0.5\r\n\r\n2024-01-01T00:00:00Z,c,bad\r\n', 'exposures');
    expect(crlf.r.stderr.split('\n')[1]).toBe('  row 2 (line 4), propensity: expected a number (got bad)');
  });
});
