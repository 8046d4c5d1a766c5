import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decision, outcome, post, startTestServer } from '../helpers.js';

let server: Awaited<ReturnType<typeof startTestServer>>;
let key: string, otherKey: string;

beforeAll(async () => {
  server = await startTestServer();
  key = await server.key('shop');
  otherKey = await server.key('rival');
  const events = [];
  for (const [v, ts] of [['v1', '2026-01-02T00:00:00Z'], ['v2', '2026-01-03T00:00:00Z']] as const)
    for (let i = 0; i < 30; i++) {
      const d = decision({ policy_version: v, ts, request_id: `${v}-${i}`, shown: [{ item_id: `i${i % 6}`, position: 1, propensity: 0.8, explored: false }, { item_id: `j${i % 3}`, position: 2, propensity: 0.2, explored: true }] });
      events.push(d);
      if (i % 3 === 0) events.push(outcome({ request_id: `${v}-${i}`, item_id: `i${i % 6}`, ts }));
    }
  const r = await post(`${server.url}/v1/events`, key, events);
  expect(r.json.stored).toBe(events.length);
});
afterAll(async () => server.close());

const get = (path: string, k: string | null) => fetch(`${server.url}${path}`, { headers: k ? { authorization: `Bearer ${k}` } : {} });

describe('loop-health over HTTP', () => {
  it('returns the Result shape with metrics per policy version', async () => {
    const res = await get('/v1/projects/shop/loop-health', key);
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.analysis).toBe('loop_health');
    expect(body.metrics.filter((m: any) => m.name === 'exposures').map((m: any) => [m.group.policy_version, m.value])).toEqual([['v1', 60], ['v2', 60]]);
    expect(body.metrics.find((m: any) => m.name === 'outcome_rate' && m.group.policy_version === 'v1').value).toBeCloseTo(10 / 60, 15);
  });

  it('takes window and by as query parameters', async () => {
    const body = (await (await get('/v1/projects/shop/loop-health?window=day&by=none', key)).json()) as any;
    expect(body.metrics.filter((m: any) => m.name === 'gini').map((m: any) => m.group)).toEqual([{ day: '2026-01-02' }, { day: '2026-01-03' }]);
  });

  it('refuses a bad parameter with a reason', async () => {
    const res = await get('/v1/projects/shop/loop-health?by=colour', key);
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).message).toBe("by takes policy_version, policy, surface, strategy or none (got 'colour')");
    const res2 = await get('/v1/projects/shop/loop-health?window=month', key);
    expect(res2.status).toBe(400);
    expect(((await res2.json()) as any).message).toBe('window must be one of day, week, none');
    const res3 = await get('/v1/projects/shop/loop-health?colour=red', key);
    expect(res3.status).toBe(400);
    expect(((await res3.json()) as any).message).toBe("unknown parameter 'colour'");
  });

  it('refuses unknown body fields and thresholds instead of ignoring them', async () => {
    const a = await post(`${server.url}/v1/projects/shop/loop-health`, key, { thresholds: { coverage: 0.3 } });
    expect(a.status).toBe(400);
    const b = await post(`${server.url}/v1/projects/shop/loop-health`, key, { minOutcomes: 3 });
    expect(b.status).toBe(400);
    expect(b.json.message).toBe("unknown field 'minOutcomes'");
    const c = await post(`${server.url}/v1/projects/shop/loop-health`, key, { thresholds: { confidence: 2 } });
    expect(c.status).toBe(400);
    expect(c.json.message).toBe('confidence must lie between 0 and 1 (got 2)');
    const d = await post(`${server.url}/v1/projects/shop/loop-health`, key, { since: 'yesterday' });
    expect(d.status).toBe(400);
    const e = await post(`${server.url}/v1/projects/shop/loop-health`, key, { min_outcomes: 3, since: '2026-01-03' });
    expect(e.status).toBe(200);
    expect(e.json.metrics.filter((m: any) => m.name === 'exposures').map((m: any) => m.group.policy_version)).toEqual(['v2']);
  });

  it("another project's key reads nothing", async () => {
    expect((await get('/v1/projects/shop/loop-health', otherKey)).status).toBe(403);
    expect((await get('/v1/projects/shop/loop-health', null)).status).toBe(401);
  });

  it('records offline metrics per version and sets them beside the online rate', async () => {
    for (const [v, value] of [['v1', 0.2], ['v2', 0.3]] as const) {
      const r = await post(`${server.url}/v1/projects/shop/model-versions/${v}/offline-metrics`, key, { metric: 'auc', value });
      expect(r.status).toBe(201);
      expect(r.json).toEqual({ project: 'shop', policy_version: v, metric: 'auc', value, higher_is_better: true });
    }
    const bad = await post(`${server.url}/v1/projects/shop/model-versions/v3/offline-metrics`, key, { metric: 'auc', value: 'high' });
    expect(bad.status).toBe(400);
    const forbidden = await post(`${server.url}/v1/projects/shop/model-versions/v3/offline-metrics`, otherKey, { metric: 'auc', value: 1 });
    expect(forbidden.status).toBe(403);
    const body = (await (await get('/v1/projects/shop/loop-health', key)).json()) as any;
    expect(body.metrics.filter((m: any) => m.name === 'offline_metric').map((m: any) => [m.group.policy_version, m.value])).toEqual([['v1', 0.2], ['v2', 0.3]]);
    // Same online rate in both versions while offline AUC rose: flagged as flat.
    expect(body.verdicts.find((v: any) => v.check === 'offline_online')).toMatchObject({ status: 'warn', group: { policy_version: 'v2', previous: 'v1', metric: 'auc' } });
  });
});
