/**
 * The four Open Bandit Dataset sample files (Saito et al. 2021) load with `loopguard ingest` and their counts come back
 * from the API equal to counts taken from the raw CSV here, independently.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import { DATASETS, cli, cliAsync, tmpDir } from '../helpers.js';

const FILES = ['bts/men.csv', 'bts/women.csv', 'random/men.csv', 'random/women.csv'];

interface RawCounts {
  rows: number;
  clicks: number;
  byDay: Map<string, { rows: number; clicks: number }>;
  propensitySum: number;
}

/** Reads an OBD CSV with plain string handling (no quoting in these files). */
function rawCounts(file: string): RawCounts {
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  const header = lines[0]!.split(',');
  const iTs = header.indexOf('timestamp'), iClick = header.indexOf('click'), iP = header.indexOf('propensity_score');
  const byDay = new Map<string, { rows: number; clicks: number }>();
  let clicks = 0, propensitySum = 0;
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    const day = cells[iTs]!.slice(0, 10); // timestamps are written in UTC (+00:00)
    const click = Number(cells[iClick]);
    const d = byDay.get(day) ?? { rows: 0, clicks: 0 };
    d.rows++;
    d.clicks += click;
    byDay.set(day, d);
    clicks += click;
    propensitySum += Number(cells[iP]);
  }
  return { rows: lines.length - 1, clicks, byDay, propensitySum };
}

let dir: string, db: string;
let server: RunningServer;
let key: string;

beforeAll(async () => {
  dir = tmpDir();
  db = path.join(dir, 'lg.duckdb');
  for (const f of FILES) {
    const project = f.replace('/', '-').replace('.csv', '');
    const r = cli(['ingest', path.join(DATASETS, 'obd', f), '--kind', 'exposures', '--project', project, '--db', db, '--format', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  }
  server = await startServer({ dbPath: db, port: 0 });
  key = (await server.store.createApiKey('bts-men')).key;
}, 120_000);
afterAll(async () => server?.close());

describe('OBD sample files through loopguard ingest', () => {
  it.each(FILES)('%s: totals and per-day counts from the API equal the raw CSV', async (f) => {
    const project = f.replace('/', '-').replace('.csv', '');
    const k = project === 'bts-men' ? key : (await server.store.createApiKey(project)).key;
    const res = await fetch(`${server.url}/v1/projects/${project}/stats`, { headers: { authorization: `Bearer ${k}` } });
    expect(res.status).toBe(200);
    const stats = (await res.json()) as { totals: Record<string, number>; by_day: Array<{ day: string; decision: number; exposure: number; outcome: number }> };
    const raw = rawCounts(path.join(DATASETS, 'obd', f));
    expect(stats.totals).toEqual({ decision: raw.rows, exposure: raw.rows, outcome: raw.clicks, prediction: 0, label: 0 });
    expect(stats.by_day.map((d) => [d.day, d.exposure, d.outcome])).toEqual(
      [...raw.byDay.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([day, c]) => [day, c.rows, c.clicks]),
    );
  });

  it('keeps propensities, positions and items as logged', async () => {
    const raw = rawCounts(path.join(DATASETS, 'obd', 'bts/men.csv'));
    const rows = await server.store.query(
      `SELECT sum(propensity) AS p, count(DISTINCT item_id) AS items, min(position) AS lo, max(position) AS hi FROM exposures WHERE project = 'bts-men'`,
    );
    expect(Number(rows[0]!.p)).toBeCloseTo(raw.propensitySum, 9);
    expect(Number(rows[0]!.items)).toBe(34); // the men campaign has 34 items
    expect([Number(rows[0]!.lo), Number(rows[0]!.hi)]).toEqual([1, 3]);
  });

  it('turns the unmapped columns into attributes', async () => {
    const rows = await server.store.query(
      `SELECT attributes->>'user_feature_0' AS f0, CAST(attributes->>'user-item_affinity_0' AS DOUBLE) AS a0 FROM decisions WHERE project = 'bts-men' ORDER BY ts LIMIT 1`,
    );
    expect(rows[0]!.f0).toBe('cef3390ed299c09874189c387777674a');
    expect(rows[0]!.a0).toBe(0);
  });
});

describe('re-ingesting a file is idempotent', () => {
  it('stores nothing the second time, through the running server', async () => {
    // The server holds the store now, so the CLI hands the file to it.
    const r = await cliAsync(['ingest', path.join(DATASETS, 'obd', 'bts/men.csv'), '--kind', 'exposures', '--project', 'bts-men', '--db', db, '--format', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ rows: 10000, stored: 0, duplicates: 10000, rejected: 0 });
    expect(r.stderr).toContain('held by the server');
  });
});
