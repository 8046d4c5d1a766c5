import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decision, outcome, post, startTestServer } from '../helpers.js';

let server: Awaited<ReturnType<typeof startTestServer>>;
let keyA: string, keyB: string;

beforeAll(async () => {
  server = await startTestServer();
  keyA = await server.key('alpha');
  keyB = await server.key('beta');
});
afterAll(async () => server.close());

const send = (key: string, events: unknown[]) => post(`${server.url}/v1/events`, key, events);

describe('idempotency: event_id is stored once however often it is sent', () => {
  it('a retried batch is counted as duplicates and stored once', async () => {
    const batch = [decision(), decision(), outcome(), { type: 'label', event_id: 'lab-1', ts: '2026-01-02T00:00:00Z', request_id: 'r', label: true, source: 'user' }];
    const first = await send(keyA, batch);
    expect(first.json).toMatchObject({ received: 4, stored: 4, duplicates: 0 });
    for (let i = 0; i < 3; i++) expect((await send(keyA, batch)).json).toMatchObject({ received: 4, stored: 0, duplicates: 4 });
    const t = (await server.store.projectStats('alpha')).totals;
    expect(t).toEqual({ decision: 2, exposure: 4, outcome: 1, prediction: 0, label: 1 });
  });

  it('a batch repeating an event_id stores it once', async () => {
    const d = decision();
    const r = await send(keyA, [d, d, d]);
    expect(r.json).toMatchObject({ stored: 1, duplicates: 2 });
  });

  it('concurrent retries of the same batch store each event once', async () => {
    const batch = Array.from({ length: 200 }, () => outcome());
    const rs = await Promise.all(Array.from({ length: 8 }, () => send(keyA, batch)));
    const stored = rs.reduce((s, r) => s + r.json.stored, 0);
    const dups = rs.reduce((s, r) => s + r.json.duplicates, 0);
    expect(stored).toBe(200);
    expect(dups).toBe(7 * 200);
    const rows = await server.store.query(
      `SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM outcomes WHERE project = 'alpha' AND event_id IN (${batch.map((e) => `'${e.event_id}'`).join(',')})`,
    );
    expect(Number(rows[0]!.n)).toBe(200);
    expect(Number(rows[0]!.d)).toBe(200);
  });

  it('the same event_id in two projects is two events', async () => {
    const d = decision();
    expect((await send(keyA, [d])).json.stored).toBe(1);
    expect((await send(keyB, [d])).json.stored).toBe(1);
  });
});

describe('projects are isolated', () => {
  it('a key writes only into its own project', async () => {
    const before = (await server.store.projectStats('alpha')).totals.outcome;
    await send(keyB, [outcome(), outcome()]);
    expect((await server.store.projectStats('alpha')).totals.outcome).toBe(before);
  });

  it("a key cannot read another project's stats", async () => {
    const r = await fetch(`${server.url}/v1/projects/alpha/stats`, { headers: { authorization: `Bearer ${keyB}` } });
    expect(r.status).toBe(403);
    expect(((await r.json()) as { message: string }).message).toBe("this API key belongs to another project and cannot read or write project 'alpha'");
  });

  it('a key reads its own stats, counted by type and day', async () => {
    const own = await fetch(`${server.url}/v1/projects/beta/stats`, { headers: { authorization: `Bearer ${keyB}` } });
    expect(own.status).toBe(200);
    const body = (await own.json()) as { project: string; totals: Record<string, number>; by_day: Array<Record<string, unknown>> };
    expect(body.project).toBe('beta');
    expect(body.totals).toEqual({ decision: 1, exposure: 2, outcome: 2, prediction: 0, label: 0 });
    expect(body.by_day).toEqual([{ day: '2026-01-02', decision: 1, exposure: 2, outcome: 2, prediction: 0, label: 0 }]);
  });

  it('stats without a key are refused', async () => {
    const r = await fetch(`${server.url}/v1/projects/beta/stats`);
    expect(r.status).toBe(401);
  });
});

describe('health and OpenAPI', () => {
  it('answers health without a key', async () => {
    const r = await fetch(`${server.url}/v1/health`);
    expect(await r.json()).toMatchObject({ status: 'ok' });
  });
  it('serves an OpenAPI 3.1 document describing the event batch', async () => {
    const doc = (await (await fetch(`${server.url}/v1/openapi.json`)).json()) as any;
    expect(doc.openapi).toBe('3.1.0');
    const body = doc.paths['/v1/events'].post.requestBody.content['application/json'].schema;
    const variants = body.items.anyOf.map((v: any) => v.properties.type.const ?? v.properties.type.enum?.[0]);
    expect(variants).toEqual(['decision', 'outcome', 'prediction', 'label']);
    expect(doc.paths['/v1/admin/keys']).toBeUndefined();
  });
});
