/**
 * File ingest: bad rows refuse the whole file with their row numbers and reasons, and leave nothing behind;
 * --skip-bad loads the rest and writes the rejects; CSV, Parquet and JSONL all load; mappings and constants apply.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import { cli, ingestText, tmpDir } from '../helpers.js';

const BAD_CSV = `timestamp,item_id,position,click,propensity_score,user
2026-01-01T00:00:00Z,a,1,0,0.5,u1
2026-01-01T00:00:01Z,b,2,1,0,u2
yesterday,c,1,0,0.5,u3
2026-01-01T00:00:03Z,,1,0,0.5,u4
2026-01-01T00:00:04Z,d,x,0,0.5,u5
2026-01-01T00:00:05Z,e,1,0,NaN,u6
2026-01-01T00:00:06Z,f,1.5,0,0.2,u7
2026-01-01T00:00:07Z,g,1,1,0.25,u8
`;

async function tableCounts(db: string): Promise<Record<string, number>> {
  const store = await DuckDbStore.open(db);
  try {
    const out: Record<string, number> = {};
    for (const t of ['decisions', 'exposures', 'outcomes', 'predictions', 'labels', 'ingested_files'])
      out[t] = Number((await store.query(`SELECT count(*) AS n FROM ${t}`))[0]!.n);
    return out;
  } finally {
    await store.close();
  }
}

const EMPTY = { decisions: 0, exposures: 0, outcomes: 0, predictions: 0, labels: 0, ingested_files: 0 };


describe('a file with bad rows', () => {
  it('is refused whole with each row, field and reason, exit 2, and leaves no rows behind', async () => {
    const { file, db, r } = ingestText('bad.csv', BAD_CSV, 'exposures');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `loopguard: ${file}: 6 bad rows; nothing was loaded. Fix the rows, or pass --skip-bad to load the rest and write the bad rows to a rejects file.
  row 2 (line 3), propensity: must be > 0 and <= 1 (got 0)
  row 3 (line 4), ts: not a timestamp such as 2026-01-02T03:04:05Z (got yesterday)
  row 4 (line 5), item_id: required field is missing
  row 5 (line 6), position: expected a number (got x)
  row 6 (line 7), propensity: must be a finite number (got NaN)
  row 7 (line 8), position: must be an integer from 0 to 100000 (got 1.5)
`,
    );
    expect(await tableCounts(db)).toEqual(EMPTY);
  });

  it('refuses more columns for attributes than an event may hold, and attribute keys longer than 64 characters', () => {
    const cols = Array.from({ length: 101 }, (_, i) => `c${i}`);
    const wide = ingestText('wide.csv', `ts,item_id,position,propensity,${cols.join(',')}\n2026-01-01T00:00:00Z,a,1,0.5,${cols.map(() => 1).join(',')}\n`, 'exposures');
    expect(wide.r.code).toBe(2);
    expect(wide.r.stderr).toBe(
      `loopguard: ${wide.file}: 101 columns would become attributes, more than the 100 keys an event may hold; drop the columns you do not slice by, or --map them to fields (c0, c1, c2, c3, c4, ...)\n`,
    );
    const key = 'k'.repeat(65);
    const long = ingestText('long.csv', `ts,item_id,position,propensity,${key}\n2026-01-01T00:00:00Z,a,1,0.5,x\n`, 'exposures');
    expect(long.r.code).toBe(2);
    expect(long.r.stderr).toContain(`would become an attribute key longer than 64 characters (65); rename it or drop it`);
  });

  it('checks attribute values as the API does: text up to 1,024 characters, finite numbers, no objects or lists', async () => {
    // A NaN or an infinity would be written into the attributes as invalid JSON ({"amount":NaN}).
    const long = 'x'.repeat(1025);
    const csv = `ts,item_id,position,propensity,amount,note\n2026-01-01T00:00:00Z,a,1,0.5,1.5,ok\n2026-01-01T00:00:01Z,b,1,0.5,NaN,ok\n2026-01-01T00:00:02Z,c,1,0.5,inf,${long}\n`;
    const bad = ingestText('attrs.csv', csv, 'exposures');
    expect(bad.r.code).toBe(2);
    expect(bad.r.stderr).toBe(
      `loopguard: ${bad.file}: 2 bad rows; nothing was loaded. Fix the rows, or pass --skip-bad to load the rest and write the bad rows to a rejects file.
  row 2 (line 3), attributes.amount: must be a finite number (got nan)
  row 3 (line 4), attributes.amount: must be a finite number (got inf)
  row 3 (line 4), attributes.note: text longer than 1024 characters (got 1025)
`,
    );
    expect(await tableCounts(bad.db)).toEqual(EMPTY);
    const jsonl = ingestText(
      'attrs.jsonl',
      ['{"ts":"2026-01-01T00:00:00Z","item_id":"a","position":1,"propensity":0.5,"seg":"x"}', '{"ts":"2026-01-01T00:00:01Z","item_id":"b","position":1,"propensity":0.5,"seg":{"a":1}}', '{"ts":"2026-01-01T00:00:02Z","item_id":"c","position":1,"propensity":0.5,"seg":[1,2]}', ''].join('\n'),
      'exposures',
    );
    expect(jsonl.r.code).toBe(2);
    expect(jsonl.r.stderr).toContain('line 2, attributes.seg: expected text, a number or a boolean (got {"a":1})');
    expect(jsonl.r.stderr).toContain('line 3, attributes.seg: expected text, a number or a boolean (got [1,2])');
    // A Parquet column of lists refuses the file, naming it.
    const dir = tmpDir();
    const file = path.join(dir, 'lists.parquet');
    const inst = await DuckDBInstance.create(':memory:');
    const c = await inst.connect();
    await c.run(`COPY (SELECT TIMESTAMP '2026-01-01' AS ts, 'a' AS item_id, 1 AS position, 0.5 AS propensity, [1, 2] AS tags) TO '${file}' (FORMAT parquet)`);
    c.closeSync();
    inst.closeSync();
    const r = cli(['ingest', file, '--kind', 'exposures', '--project', 'p', '--db', path.join(dir, 'x.duckdb')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`loopguard: ${file}: column 'tags' would become an attribute, but it is INTEGER[]; an attribute holds text, a number or a boolean, so drop the column or --map it to a field\n`);
  });

  it('a propensity whose inverse overflows (below 1e-300) is a bad row', async () => {
    const { db, r } = ingestText('tiny.csv', 'ts,item_id,position,propensity\n2026-01-01T00:00:00Z,a,1,1e-310\n', 'exposures');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('row 1 (line 2), propensity: must be at least 1e-300, or its importance weight 1 / p overflows (got 1e-310)');
    expect(await tableCounts(db)).toEqual(EMPTY);
  });

  it('a blank cell in a position column is a bad row naming the field (not a store constraint error)', async () => {
    const { db, r } = ingestText('blank.csv', 'ts,item_id,position,propensity\n2026-01-01T00:00:00Z,a,1,0.5\n2026-01-01T00:00:01Z,b,,0.5\n', 'exposures');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('row 2 (line 3), position: no value (when the file has this column, every row needs one)');
    expect(r.stderr).not.toMatch(/Constraint Error|unexpected error/);
    expect(await tableCounts(db)).toEqual(EMPTY);
  });

  it('with --skip-bad loads the good rows and writes the bad ones, with reasons, to the rejects file', async () => {
    const { dir, db, r } = ingestText('bad.csv', BAD_CSV, 'exposures', (d) => ['--skip-bad', '--rejects', path.join(d, 'rejects.csv'), '--format', 'json']);
    const rejects = path.join(dir, 'rejects.csv');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ rows: 8, stored: 2, rejected: 6, duplicates: 0, rejects_file: rejects, written: { decisions: 2, exposures: 2, outcomes: 1 } });
    const lines = fs.readFileSync(rejects, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('row,field,reason,timestamp,item_id,position,click,propensity_score,user');
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 2).join(','))).toEqual([
      '2,propensity', '3,ts', '4,item_id', '5,position', '6,propensity', '7,position',
    ]);
    expect(await tableCounts(db)).toEqual({ ...EMPTY, decisions: 2, exposures: 2, outcomes: 1, ingested_files: 1 });
  });

  it('a CSV row with too many fields is refused with DuckDB\'s line number, nothing loaded', async () => {
    const { file, db, r } = ingestText('ragged.csv', 'timestamp,item_id,propensity\n2026-01-01T00:00:00Z,a,0.5\n2026-01-01T00:00:00Z,b,0.5,extra,fields\n', 'exposures');
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`loopguard: ${file}: could not be read as CSV: line 3 has 5 fields where the header has 3`);
    expect(await tableCounts(db)).toEqual(EMPTY);
  });

  it('a JSONL file of events with one bad line is refused whole', async () => {
    const good = { type: 'outcome', event_id: 'o1', ts: '2026-01-01T00:00:00Z', request_id: 'r1', kind: 'click', value: 1 };
    const text = [JSON.stringify(good), JSON.stringify({ ...good, event_id: 'o2', kind: 'clack' }), '{"type": "outcome",'].join('\n') + '\n';
    const { file, db, r } = ingestText('events.jsonl', text, 'events');
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toBe(`loopguard: ${file}: 2 bad rows; nothing was loaded. Fix the rows, or pass --skip-bad to load the rest and write the bad rows to a rejects file.`);
    expect(lines[1]).toMatch(/^  line 2, \/kind: expected one of click, .* or custom:<name> \(got "clack"\)$/);
    expect(lines[2]).toMatch(/^  line 3, \/: not valid JSON: /);
    expect(await tableCounts(db)).toEqual(EMPTY);
  });
});

describe('inputs that cannot be read', () => {
  const dir = tmpDir();
  const db = path.join(dir, 'lg.duckdb');
  it.each([
    ['a missing file', ['ingest', path.join(dir, 'nope.csv'), '--kind', 'exposures', '--project', 'p'], `loopguard: ${path.join(dir, 'nope.csv')}: no such file`],
    ['an unknown file type', ['ingest', __filename, '--kind', 'exposures', '--project', 'p'], `loopguard: ${__filename}: unknown file type; expected .csv, .tsv, .parquet, .jsonl or .ndjson (optionally .gz)`],
    ['an unknown kind', ['ingest', 'x.csv', '--kind', 'clicks', '--project', 'p'], "loopguard: --kind must be one of exposures, outcomes, predictions, labels, decisions, events (got 'clicks')"],
    ['a bad project name', ['ingest', 'x.csv', '--kind', 'exposures', '--project', 'Bad Name'], "loopguard: --project 'Bad Name': use lower-case letters, digits, _ and - (up to 64 characters, starting with a letter or digit)"],
    ['a malformed --map', ['ingest', 'x.csv', '--kind', 'exposures', '--project', 'p', '--map', 'item_id'], "loopguard: --map expects field=value pairs separated by commas (got 'item_id')"],
  ])('%s', (_n, args, message) => {
    const r = cli([...args, '--db', db]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(message);
  });

  it('a file missing a required column names the column and the fix', () => {
    const file = path.join(dir, 'noprop.csv');
    fs.writeFileSync(file, 'timestamp,item_id\n2026-01-01T00:00:00Z,a\n');
    const r = cli(['ingest', file, '--kind', 'exposures', '--project', 'p', '--db', db]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      `loopguard: ${file}: no column for the required field 'propensity' (looked for propensity, propensity_score, pscore); name it with --map propensity=<column> or give a constant with --set propensity=<value>; columns are timestamp, item_id`,
    );
  });
});

describe('formats and mappings', () => {
  it('loads Parquet, JSONL and mapped CSV into the same rows', async () => {
    const dir = tmpDir();
    const inst = await DuckDBInstance.create(':memory:');
    const c = await inst.connect();
    const select = `SELECT TIMESTAMP '2026-02-01 00:00:00' + INTERVAL (i) SECOND AS ts, 'item' || (i % 7) AS action, 1 + i % 3 AS slot,
                    0.1 + (i % 9) / 10.0 AS pscore, CAST(i % 4 = 0 AS INTEGER) AS reward, 'u' || (i % 5) AS user_id FROM range(500) t(i)`;
    await c.run(`COPY (${select}) TO '${dir}/x.parquet' (FORMAT parquet)`);
    await c.run(`COPY (${select}) TO '${dir}/x.jsonl' (FORMAT json)`);
    await c.run(`COPY (${select}) TO '${dir}/x.csv' (HEADER)`);
    c.closeSync();
    inst.closeSync();
    const sums: string[] = [];
    for (const ext of ['parquet', 'jsonl', 'csv']) {
      const db = path.join(dir, `${ext}.duckdb`);
      const r = cli(['ingest', `${dir}/x.${ext}`, '--kind', 'exposures', '--project', 'p', '--db', db, '--map', 'action=action,position=slot', '--set', 'policy=bts,policy_version=v2', '--format', 'json']);
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toMatchObject({ rows: 500, stored: 500, written: { decisions: 500, exposures: 500, outcomes: 125 } });
      const store = await DuckDbStore.open(db);
      const row = (await store.query(`SELECT count(DISTINCT item_id) AS items, sum(position) AS pos, round(sum(propensity), 9) AS p, min(policy) AS policy, min(policy_version) AS v, count(DISTINCT user_id) AS users, min(ts)::VARCHAR AS first FROM exposures`))[0]!;
      await store.close();
      expect(row).toMatchObject({ items: 7, policy: 'bts', v: 'v2', users: 5, first: '2026-02-01 00:00:00' });
      sums.push(JSON.stringify(row));
    }
    expect(new Set(sums).size).toBe(1);
  });

  it('reads gzip-compressed CSV and JSONL events', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'lg.duckdb');
    const zlib = await import('node:zlib');
    fs.writeFileSync(`${dir}/e.csv.gz`, zlib.gzipSync('timestamp;item_id;propensity_score\n2026-01-01T00:00:00Z;a;0.5\n2026-01-01T00:00:01Z;b;0.25\n'));
    const ev = { type: 'outcome', ts: '2026-01-01T00:00:00Z', request_id: 'r1', kind: 'click', value: 1 };
    fs.writeFileSync(`${dir}/o.jsonl.gz`, zlib.gzipSync([1, 2, 3].map((i) => JSON.stringify({ ...ev, event_id: `o${i}` })).join('\n')));
    const a = cli(['ingest', `${dir}/e.csv.gz`, '--kind', 'exposures', '--project', 'p', '--db', db, '--format', 'json']);
    expect(a.stderr).toBe('');
    expect(JSON.parse(a.stdout)).toMatchObject({ rows: 2, stored: 2 });
    const b = cli(['ingest', `${dir}/o.jsonl.gz`, '--kind', 'events', '--project', 'p', '--db', db, '--format', 'json']);
    expect(b.stderr).toBe('');
    expect(JSON.parse(b.stdout)).toMatchObject({ rows: 3, stored: 3 });
  });

  it('loads outcomes, predictions and labels', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'lg.duckdb');
    fs.writeFileSync(`${dir}/o.csv`, 'ts,request_id,item_id,kind,value\n2026-01-01T00:00:00Z,r1,a,click,1\n2026-01-01T00:00:01Z,r2,b,dwell_ms,5400\n');
    fs.writeFileSync(`${dir}/p.csv`, 'ts,request_id,model_version,score\n2026-01-01T00:00:00Z,r1,m1,0.7\n');
    fs.writeFileSync(`${dir}/l.csv`, 'ts,request_id,label,annotator\n2026-01-01T00:00:00Z,r1,spam,ann-3\n');
    expect(cli(['ingest', `${dir}/o.csv`, '--kind', 'outcomes', '--project', 'p', '--db', db]).code).toBe(0);
    expect(cli(['ingest', `${dir}/p.csv`, '--kind', 'predictions', '--project', 'p', '--db', db]).code).toBe(0);
    const l = cli(['ingest', `${dir}/l.csv`, '--kind', 'labels', '--project', 'p', '--db', db, '--map', 'annotator_id=annotator', '--set', 'source=human']);
    expect(l.stderr).toBe('');
    expect(await tableCounts(db)).toEqual({ ...EMPTY, outcomes: 2, predictions: 1, labels: 1, ingested_files: 3 });
  });
});
