import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decision, outcome, post, startTestServer } from '../helpers.js';

let server: Awaited<ReturnType<typeof startTestServer>>;
let key: string, otherKey: string;

beforeAll(async () => {
  server = await startTestServer();
  key = await server.key('shop');
  otherKey = await server.key('rival');
  const events = [];
  for (let d = 1; d <= 4; d++)
    for (let i = 0; i < 60; i++) {
      const ts = `2026-01-0${d}T${String(i % 24).padStart(2, '0')}:00:00Z`;
      // Days 3 and 4: price doubles and a new channel appears.
      const attributes = { price: (d >= 3 ? 2 : 1) * (10 + (i % 20)), channel: d >= 3 && i % 3 === 0 ? 'tv' : i % 2 ? 'web' : 'app' };
      events.push(decision({ ts, request_id: `r${d}-${i}`, user_id: `u${i % 10}`, attributes, shown: [{ item_id: `i${i % 5}`, position: 1, propensity: 0.5, explored: false }] }));
      if (i % 4 === 0) events.push(outcome({ request_id: `r${d}-${i}`, item_id: `i${i % 5}`, ts }));
    }
  const r = await post(`${server.url}/v1/events`, key, events);
  expect(r.json.rejected).toBe(0);
});
afterAll(async () => server.close());

const get = (path: string, k: string | null) => fetch(`${server.url}${path}`, { headers: k ? { authorization: `Bearer ${k}` } : {} });

describe('drift over HTTP', () => {
  it('GET compares two windows of decision attributes', async () => {
    const res = await get('/v1/projects/shop/drift?reference_window=2026-01-01/2026-01-03&current_window=2026-01-03/2026-01-05&domain_classifier=false', key);
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.analysis).toBe('drift');
    const v = body.verdicts.find((x: any) => x.check === 'column_drift' && x.group.column === 'price');
    expect(v.status).toBe('fail');
    expect(body.inputs.tests.price.test).toBe('ks');
  });

  it('POST takes rows as the reference, tests and thresholds', async () => {
    const rows = Array.from({ length: 50 }, (_, i) => ({ price: 10 + (i % 20), channel: i % 2 ? 'web' : 'app' }));
    const r = await post(`${server.url}/v1/projects/shop/drift`, key, {
      reference: { rows }, current: { window: '2026-01-01/2026-01-03' }, tests: { '*': 'psi' }, thresholds: { psi: 0.2 }, domain_classifier: false,
    });
    expect(r.status).toBe(200);
    expect(r.json.inputs.tests.price.test).toBe('psi');
    expect(r.json.verdicts.find((x: any) => x.group?.column === 'price').status).toBe('ok');
  });

  it('POST monitors per day', async () => {
    const r = await post(`${server.url}/v1/projects/shop/drift`, key, { reference: { window: '2026-01-01/2026-01-02' }, window: 'day' });
    expect(r.status).toBe(200);
    expect(r.json.analysis).toBe('drift_monitor');
    expect(r.json.metrics.filter((m: any) => m.name === 'drift_share').length).toBe(4);
  });

  it('eval-freshness and profile-decay answer with the Result shape', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => ({ price: 10 + (i % 20), channel: i % 2 ? 'web' : 'app' }));
    const f = await post(`${server.url}/v1/projects/shop/eval-freshness`, key, { eval: rows, window: '2d' });
    expect(f.status).toBe(200);
    expect(f.json.analysis).toBe('eval_freshness');
    expect(f.json.verdicts.find((v: any) => v.check === 'eval_coverage').status).toBe('fail');
    const d = await get('/v1/projects/shop/profile-decay?events=exposures&min_events=3&short_half_life=1d&long_half_life=10d', key);
    expect(d.status).toBe(200);
    expect(((await d.json()) as any).analysis).toBe('profile_decay');
  });

  it('refuses bad input with 400 and other projects with 403', async () => {
    const bad = await post(`${server.url}/v1/projects/shop/drift`, key, { reference: { window: 'yesterday' }, current: { window: '2026-01-03/2026-01-05' } });
    expect(bad.status).toBe(400);
    expect(bad.json.message).toMatch(/START\/END|date/);
    const unknown = await post(`${server.url}/v1/projects/shop/drift`, key, { reference: { window: '2026-01-01/2026-01-03' }, current: { window: '2026-01-03/2026-01-05' }, columns: ['nope'] });
    expect(unknown.status).toBe(400);
    expect(unknown.json.message).toMatch(/nope/);
    const badTest = await post(`${server.url}/v1/projects/shop/drift`, key, { reference: { window: '2026-01-01/2026-01-03' }, current: { window: '2026-01-03/2026-01-05' }, tests: { price: 'chi2' } });
    expect(badTest.status).toBe(400);
    expect(badTest.json.message).toMatch(/price is numeric/);
    // with N permutations the classifier's p-value is at least 1/(N+1): 5 can never reach the default 0.05 (19 can)
    const windows = { reference: { window: '2026-01-01/2026-01-03' }, current: { window: '2026-01-03/2026-01-05' } };
    const few = await post(`${server.url}/v1/projects/shop/drift`, key, { ...windows, domain_classifier: { permutations: 5 } });
    expect(few.status).toBe(400);
    expect(few.json.message).toBe('domain_classifier.permutations 5 is too few for domain_pvalue 0.05: with N permutations the p-value is at least 1/(N+1), so give at least 19');
    // ... but can reach 0.2 (1/6 < 0.2), and without the classifier the count does not matter
    const enough = await post(`${server.url}/v1/projects/shop/drift`, key, { ...windows, thresholds: { domain_pvalue: 0.2 }, domain_classifier: { permutations: 5 } });
    expect(enough.status).toBe(200);
    expect(enough.json.inputs.domain_classifier.permutations).toBe(5);
    const defaultTooFew = await post(`${server.url}/v1/projects/shop/drift`, key, { ...windows, thresholds: { domain_pvalue: 0.01 } });
    expect(defaultTooFew.status).toBe(400);
    expect(defaultTooFew.json.message).toMatch(/^domain_classifier.permutations 19 \(the default\) is too few for domain_pvalue 0.01.*at least 99$/);
    const forbidden = await get('/v1/projects/shop/drift?reference_window=2026-01-01/2026-01-03&current_window=2026-01-03/2026-01-05', otherKey);
    expect(forbidden.status).toBe(403);
  });
});
