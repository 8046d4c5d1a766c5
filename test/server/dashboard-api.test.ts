/**
 * The dashboard's read routes on a real server and DuckDB store holding the Open Bandit Dataset sample (uniform-random
 * logs as version 'random', exploration; Thompson-sampling logs as version 'bts'). Every number is checked against
 * one computed here from the raw CSV with other formulas: exposures and clicks counted per UTC day and version, Gini by
 * the mean absolute difference, Wilson intervals from their closed form, the Lorenz curve's area against the Gini.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASETS, startTestServer } from '../helpers.js';

type Server = Awaited<ReturnType<typeof startTestServer>>;
interface Metric { name: string; value: number | null; ci?: [number, number]; n?: number; group?: Record<string, string> }

const FILES = { random: path.join(DATASETS, 'obd', 'random', 'men.csv'), bts: path.join(DATASETS, 'obd', 'bts', 'men.csv') };

/** Per day: item -> exposures, and clicks, straight from the CSV. */
function rawByDay(file: string): Map<string, { items: Map<string, number>; n: number; clicks: number }> {
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  const head = lines[0]!.split(',');
  const [ts, item, click] = ['timestamp', 'item_id', 'click'].map((c) => head.indexOf(c));
  const out = new Map<string, { items: Map<string, number>; n: number; clicks: number }>();
  for (const l of lines.slice(1)) {
    const f = l.split(',');
    const day = new Date(f[ts!]!.replace(' ', 'T')).toISOString().slice(0, 10);
    let d = out.get(day);
    if (!d) out.set(day, (d = { items: new Map(), n: 0, clicks: 0 }));
    d.items.set(f[item!]!, (d.items.get(f[item!]!) ?? 0) + 1);
    d.n++;
    d.clicks += Number(f[click!]);
  }
  return out;
}

/** Gini as the mean absolute difference over twice the mean, over the catalog (never-shown items are zeros). */
function giniMad(counts: number[], catalog: number): number {
  const x = [...counts, ...new Array<number>(catalog - counts.length).fill(0)];
  const n = x.length, mean = x.reduce((s, v) => s + v, 0) / n;
  let sum = 0;
  for (const a of x) for (const b of x) sum += Math.abs(a - b);
  return sum / (2 * n * n * mean);
}

/** Wilson score interval, closed form (Wilson 1927), z for 95%. */
function wilson(s: number, n: number): [number, number] {
  const z = 1.959963984540054, p = s / n, d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d, h = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return [c - h, c + h];
}

let server: Server;
let key: string;
const raw = { random: rawByDay(FILES.random), bts: rawByDay(FILES.bts) };
const get = async (p: string, k: string | null = key) => {
  const r = await fetch(server.url + p, { headers: k ? { authorization: `Bearer ${k}` } : {} });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const body: any = r.headers.get('content-type')?.includes('json') ? await r.json() : await r.text();
  return { status: r.status, headers: r.headers, body };
};

beforeAll(async () => {
  server = await startTestServer();
  await server.store.ingestFile({ project: 'shop', path: FILES.random, kind: 'exposures', set: { policy_version: 'random', strategy: 'exploration', explored: 'true' } });
  await server.store.ingestFile({ project: 'shop', path: FILES.bts, kind: 'exposures', set: { policy_version: 'bts', strategy: 'personalized' } });
  key = await server.key('shop');
});
afterAll(async () => {
  await server.close();
  fs.rmSync(server.dir, { recursive: true, force: true });
});

describe('dashboard routes on the OBD sample', { timeout: 150_000 }, () => {
  it('whoami names the key\'s project; no key or a wrong key gets 401 and no data', async () => {
    expect((await get('/v1/whoami')).body).toEqual({ project: 'shop' });
    for (const k of [null, 'lg_00000000_not-a-real-key']) {
      for (const p of ['/v1/whoami', '/v1/projects/shop/dashboard/scope', '/v1/projects/shop/dashboard/loop-series', '/v1/projects/shop/dashboard/overview']) {
        const r = await get(p, k);
        expect(r.status, `${p} with ${k}`).toBe(401);
        expect(JSON.stringify(r.body)).not.toMatch(/gini|exposures/);
      }
    }
    const other = await server.key('other');
    expect((await get('/v1/projects/shop/dashboard/scope', other)).status).toBe(403);
  });

  it('scope lists both versions, the days and the totals', async () => {
    const { body } = await get('/v1/projects/shop/dashboard/scope');
    expect(body.total_exposures).toBe(20000);
    expect(body.catalog_size).toBe(34);
    const days = [...new Set([...raw.random.keys(), ...raw.bts.keys()])].sort();
    expect([body.first_day, body.last_day]).toEqual([days[0], days[days.length - 1]]);
    expect(body.versions.map((v: { name: string; exposures: number }) => [v.name, v.exposures]).sort()).toEqual([['bts', 10000], ['random', 10000]]);
  });

  it('loop series per day and version equal the raw CSV (exposures, Gini by MAD, rates with Wilson intervals)', async () => {
    const { status, body } = await get('/v1/projects/shop/dashboard/loop-series');
    expect(status).toBe(200);
    const ms = body.metrics as Metric[];
    const find = (name: string, g: Record<string, string>) => ms.find((m) => m.name === name && JSON.stringify(m.group) === JSON.stringify(g));
    let checked = 0;
    for (const v of ['random', 'bts'] as const) {
      for (const [day, d] of raw[v]) {
        const g = { day, policy_version: v };
        expect(find('exposures', g)?.value).toBe(d.n);
        expect(find('gini', g)!.value!).toBeCloseTo(giniMad([...d.items.values()], 34), 12);
        expect(find('coverage', g)!.value!).toBeCloseTo(d.items.size / 34, 14);
        const rate = find('outcome_rate', g)!;
        expect(rate.value!).toBeCloseTo(d.clicks / d.n, 14);
        const [lo, hi] = wilson(d.clicks, d.n);
        expect(rate.ci![0]).toBeCloseTo(lo, 12);
        expect(rate.ci![1]).toBeCloseTo(hi, 12);
        // random is all exploration, bts none.
        expect(find('exploration_share', g)!.value).toBe(v === 'random' ? 1 : 0);
        expect(find(v === 'random' ? 'explore_rate' : 'exploit_rate', g)!.value!).toBeCloseTo(d.clicks / d.n, 14);
        expect(find(v === 'random' ? 'exploit_rate' : 'explore_rate', g)).toBeUndefined();
        checked++;
      }
    }
    expect(checked).toBe(raw.random.size + raw.bts.size);
    // Pooled per day: both versions together.
    for (const [day, d] of raw.bts) {
      const r = raw.random.get(day)!;
      expect(find('exposures', { day })?.value).toBe(d.n + r.n);
      const items = new Map(d.items);
      for (const [k, n] of r.items) items.set(k, (items.get(k) ?? 0) + n);
      expect(find('gini', { day })!.value!).toBeCloseTo(giniMad([...items.values()], 34), 12);
      expect(find('explore_rate', { day })!.value!).toBeCloseTo(r.clicks / r.n, 14);
    }
  });

  it('filters: versions, days and weeks change what the series hold; unknown versions and bad days are refused', async () => {
    const days = [...raw.bts.keys()].sort();
    const since = days[2]!, until = days[4]!;
    const { body } = await get(`/v1/projects/shop/dashboard/loop-series?versions=bts&since=${since}&until=${until}`);
    const ex = (body.metrics as Metric[]).filter((m) => m.name === 'exposures' && m.group!.policy_version);
    expect(ex.map((m) => [m.group!.day, m.group!.policy_version, m.value])).toEqual([[days[2], 'bts', raw.bts.get(days[2]!)!.n], [days[3], 'bts', raw.bts.get(days[3]!)!.n]]);
    const week = await get('/v1/projects/shop/dashboard/loop-series?window=week&versions=random');
    const perWeek = new Map<string, number>();
    for (const [day, d] of raw.random) {
      const t = Date.parse(`${day}T00:00:00Z`), monday = new Date(t - ((new Date(t).getUTCDay() + 6) % 7) * 86400_000).toISOString().slice(0, 10);
      perWeek.set(monday, (perWeek.get(monday) ?? 0) + d.n);
    }
    const weekly = (week.body.metrics as Metric[]).filter((m) => m.name === 'exposures' && m.group!.policy_version);
    expect(Object.fromEntries(weekly.map((m) => [m.group!.week, m.value]))).toEqual(Object.fromEntries(perWeek));
    const bad = await get('/v1/projects/shop/dashboard/loop-series?versions=v9');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/unknown policy version 'v9'.*bts, random|random, bts/);
    expect((await get('/v1/projects/shop/dashboard/loop-series?since=2019-13-01')).status).toBe(400);
    // the cached analyses take the same filters: a bad day is a 400 naming it, not a database error
    for (const q of ['since=garbage', 'until=2026-02-30', 'since=9999-99-99']) {
      const r = await get(`/v1/projects/shop/dashboard/analyses/drift?${q}`);
      expect(r.status).toBe(400);
      expect(r.body.message).toBe(`${q.split('=')[0]} must be a day such as 2026-01-02 (got '${q.split('=')[1]}')`);
    }
  });

  it('Lorenz curves run from (0,0) to (1,1) and twice the area under the diagonal equals the Gini', async () => {
    const { body } = await get('/v1/projects/shop/dashboard/lorenz');
    expect(body.curves.map((c: { policy_version: string }) => c.policy_version).sort()).toEqual(['bts', 'random']);
    for (const c of body.curves as Array<{ policy_version: string; gini: number; x: number[]; y: number[] }>) {
      expect([c.x[0], c.y[0], c.x.at(-1), c.y.at(-1)]).toEqual([0, 0, 1, 1]);
      let area = 0;
      for (let i = 1; i < c.x.length; i++) area += ((c.x[i]! - c.x[i - 1]!) * (c.y[i]! + c.y[i - 1]!)) / 2;
      const counts = new Map<string, number>();
      for (const d of raw[c.policy_version as 'bts' | 'random'].values()) for (const [k, n] of d.items) counts.set(k, (counts.get(k) ?? 0) + n);
      expect(1 - 2 * area).toBeCloseTo(giniMad([...counts.values()], 34), 12);
      expect(c.gini).toBeCloseTo(giniMad([...counts.values()], 34), 12);
    }
    // The pooled curve: both versions' exposures summed per item.
    const pooled = new Map<string, number>();
    for (const v of ['bts', 'random'] as const) for (const d of raw[v].values()) for (const [k, n] of d.items) pooled.set(k, (pooled.get(k) ?? 0) + n);
    expect(body.pooled.policy_version).toBe('all versions');
    expect(body.pooled.exposures).toBe([...pooled.values()].reduce((a, b) => a + b, 0));
    expect(body.pooled.gini).toBeCloseTo(giniMad([...pooled.values()], 34), 12);
    expect((await get('/v1/projects/shop/dashboard/lorenz?versions=bts')).body.pooled).toBeUndefined();
  });

  it('cached analyses equal the analysis routes, and the overview reports each one\'s worst status', async () => {
    const cached = await get('/v1/projects/shop/dashboard/analyses/loop-health');
    const direct = await get('/v1/projects/shop/loop-health');
    expect(cached.body.result.metrics).toEqual(direct.body.metrics);
    expect(cached.body.result.verdicts).toEqual(direct.body.verdicts);
    const narrowed = await get('/v1/projects/shop/dashboard/analyses/loop-health?versions=bts');
    expect(narrowed.body.result.metrics.every((m: Metric) => m.group?.policy_version === undefined || m.group.policy_version === 'bts')).toBe(true);
    expect(narrowed.body.result.metrics.some((m: Metric) => m.group?.policy_version === 'bts')).toBe(true);
    const ov = await get('/v1/projects/shop/dashboard/overview');
    expect(ov.body.analyses.map((a: { analysis: string }) => a.analysis)).toEqual(['loop-health', 'ope', 'drift', 'profile-decay']);
    const rank = { ok: 0, unknown: 1, warn: 2, fail: 3 } as const;
    const worst = (direct.body.verdicts as Array<{ status: keyof typeof rank }>).reduce<keyof typeof rank>((w, v) => (rank[v.status] > rank[w] ? v.status : w), 'ok');
    const lh = ov.body.analyses[0];
    expect(lh.status).toBe(worst);
    expect(lh.verdicts).toHaveLength(direct.body.verdicts.length);
  });

  it('a write through the API makes the rollup stale at once; full analyses keep their last result for a while', async () => {
    const before = (await get('/v1/projects/shop/dashboard/scope')).body.total_exposures;
    const analysisBefore = (await get('/v1/projects/shop/dashboard/analyses/loop-health')).body.computed_at;
    const r = await fetch(`${server.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify([{ type: 'decision', event_id: 'dash-1', ts: '2019-11-30T12:00:00Z', request_id: 'dash-r1', user_id: 'u-1', surface: 'home', policy: 'ranker', policy_version: 'bts', strategy: 'personalized',
        shown: [{ item_id: '1', position: 1, propensity: 0.5, explored: false }, { item_id: '2', position: 2, propensity: 0.5, explored: false }] }]),
    });
    expect(r.status, await r.clone().text()).toBe(200);
    expect((await get('/v1/projects/shop/dashboard/scope')).body.total_exposures).toBe(before + 2);
    expect((await get('/v1/projects/shop/dashboard/analyses/loop-health')).body.computed_at).toBe(analysisBefore);
  });

  it('serves the app at / and at client-side routes, with a CSP; unknown API routes stay JSON 404s', async () => {
    const root = await get('/', null);
    expect(root.status).toBe(200);
    expect(root.body).toMatch(/<div id="app">/);
    expect(root.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    const deep = await get('/p/shop/loop-health?since=2019-11-25', null);
    expect(deep.status).toBe(200);
    expect(deep.body).toBe(root.body);
    const api = await get('/v1/nothing-here', null);
    expect(api.status).toBe(404);
    expect(api.body.error).toBe('not_found');
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(root.body as string)![1]!;
    const js = await fetch(server.url + asset);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toMatch(/immutable/);
    expect((await js.text()).length).toBeGreaterThan(1000);
  });
});
