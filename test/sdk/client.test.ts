/**
 * The client against a real server in this process (batching, counters, what lands in the store) and against a
 * scripted fetch (validation modes, overflow, retries with backoff and Retry-After, 413 splitting, auth failures,
 * final rejections, the spool's replay and compaction).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoopguardClient, LoopguardValidationError, epsilonGreedy, eventsUrl, type ClientOptions } from '../../src/sdk/index.js';
import { createRng } from '../../src/stats/rng.js';
import { startTestServer, tmpDir } from '../helpers.js';

type Server = Awaited<ReturnType<typeof startTestServer>>;
let server: Server;
let key: string;

beforeAll(async () => {
  server = await startTestServer();
  key = await server.key('sdk');
});
afterAll(async () => server.close());

const decisionInput = (i: number) => ({
  request_id: `req-${i}`,
  user_id: `u${i % 13}`,
  surface: 'home',
  policy: 'ranker',
  policy_version: 'v1',
  ...epsilonGreedy(
    Array.from({ length: 6 }, (_, j) => ({ item_id: `item-${j}`, score: (j * 7 + i) % 5 })),
    { epsilon: 0.2, slateSize: 3, rng: createRng(i) },
  ),
});

/** A fetch that answers from a script and records every body it was sent. */
function scripted(answer: (call: number, events: Array<{ event_id: string }>) => Response | Promise<Response> | 'network') {
  const calls: Array<{ at: number; events: Array<{ event_id: string }>; body: string }> = [];
  const fn = (async (_url: string, init: RequestInit) => {
    const body = String(init.body);
    const events = JSON.parse(body) as Array<{ event_id: string }>;
    calls.push({ at: performance.now(), events, body });
    const a = await answer(calls.length - 1, events);
    if (a === 'network') throw new TypeError('fetch failed');
    return a;
  }) as unknown as typeof fetch;
  return { fn, calls };
}

const ok = (events: unknown[]) => new Response(JSON.stringify({ received: events.length, stored: events.length, duplicates: 0, rejected: 0, errors: [] }), { status: 200 });
const opts = (extra: Partial<ClientOptions>): ClientOptions => ({ url: 'http://loopguard.invalid', apiKey: 'k', flushIntervalMs: 20, ...extra });

describe('client against a real server', () => {
  it('batches decisions and outcomes, counts them, and they are all stored once', async () => {
    const client = new LoopguardClient({ url: server.url, apiKey: key, batchSize: 100, maxInFlight: 3 });
    const ids: string[] = [];
    for (let i = 0; i < 1000; i++) {
      ids.push(client.logDecision(decisionInput(i))!);
      ids.push(client.logOutcome({ request_id: `req-${i}`, item_id: 'item-1', kind: 'click', value: 1 })!);
    }
    expect(await client.flush(20_000)).toBe(true);
    const st = await client.close();
    expect(st).toMatchObject({ accepted: 2000, sent: 2000, stored: 2000, duplicates: 0, rejected: 0, pending: 0 });
    expect(st.requests).toBeGreaterThanOrEqual(20);
    const rows = await server.store.query(`SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM decisions WHERE project = 'sdk' AND request_id LIKE 'req-%'`);
    expect(rows[0]).toEqual({ n: 1000, d: 1000 });
    const stored = await server.store.query(`SELECT event_id FROM decisions WHERE project = 'sdk' AND request_id LIKE 'req-%'`);
    expect(new Set(stored.map((r) => r.event_id))).toEqual(new Set(ids.filter((_, i) => i % 2 === 0)));
    const exp = await server.store.query(
      `SELECT count(*) AS n FROM exposures e JOIN decisions d ON d.project = e.project AND d.event_id = e.decision_id WHERE d.project = 'sdk' AND d.request_id LIKE 'req-%'`,
    );
    expect(exp[0]!.n).toBe(3000);
  });

  it('counts the server rejections with their reasons (validate warn)', async () => {
    const warnings: string[] = [];
    const client = new LoopguardClient({ url: server.url, apiKey: key, validate: 'warn', onWarning: (m) => warnings.push(m) });
    const bad = { ...decisionInput(1), shown: [{ item_id: 'x', position: 1, propensity: 0, explored: false }] };
    const id = client.logDecision(bad)!;
    client.logOutcome({ request_id: 'r', kind: 'click', value: 1 });
    await client.flush();
    const st = await client.close();
    expect(warnings[0]).toMatch(/\/shown\/0\/propensity: must be > 0 and <= 1 \(got 0\)/);
    expect(st).toMatchObject({ sent: 2, stored: 1, rejected: 1 });
    expect(st.rejections).toEqual([{ event_id: id, path: '/shown/0/propensity', reason: 'must be > 0 and <= 1 (got 0)' }]);
  });

  it('resends are deduplicated by event_id', async () => {
    const c1 = new LoopguardClient({ url: server.url, apiKey: key });
    const e = { event_id: 'dup-1', ts: '2026-01-02T00:00:00Z', request_id: 'r', kind: 'click' as const, value: 1 };
    c1.logOutcome(e);
    c1.logOutcome(e);
    await c1.flush();
    expect((await c1.close())).toMatchObject({ stored: 1, duplicates: 1 });
  });
});

describe('client behaviour', () => {
  it('takes the server\'s base URL (http or https, a proxy prefix allowed) and refuses what would never reach /v1/events', () => {
    expect(eventsUrl('http://127.0.0.1:7070/')).toBe('http://127.0.0.1:7070/v1/events');
    expect(eventsUrl('https://example.com/lg/')).toBe('https://example.com/lg/v1/events');
    expect(() => eventsUrl('127.0.0.1:7070')).toThrow("LoopguardClient: url must be the server's base URL such as http://127.0.0.1:7070 (got '127.0.0.1:7070')");
    expect(() => eventsUrl('ftp://x')).toThrow("LoopguardClient: url must start with http:// or https:// (got 'ftp://x')");
    expect(() => new LoopguardClient({ url: 'http://h:1/v1', apiKey: 'k' })).toThrow(
      "LoopguardClient: url must be the server's base URL, such as http://h:1 (got 'http://h:1/v1'); the client adds /v1/events",
    );
  });

  it('validate throw: a bad propensity fails at log() with the field and reason', () => {
    const client = new LoopguardClient(opts({ validate: 'throw' }));
    const bad = { ...decisionInput(1), shown: [{ item_id: 'x', position: 1, propensity: 1.5, explored: false }] };
    expect(() => client.logDecision(bad)).toThrow(LoopguardValidationError);
    expect(() => client.logDecision(bad)).toThrow(/^loopguard: invalid decision [0-9a-f-]{36}: \/shown\/0\/propensity: must be > 0 and <= 1 \(got 1.5\)$/);
    expect(client.stats().accepted).toBe(0);
    void client.close({ timeoutMs: 0 });
  });

  it('validate drop counts, and the defaults fill event_id and ts', async () => {
    const { fn, calls } = scripted((_, ev) => ok(ev));
    const client = new LoopguardClient(opts({ validate: 'drop', fetch: fn }));
    expect(client.logOutcome({ request_id: 'r', kind: 'nope' as 'click', value: 1 })).toBeNull();
    const id = client.logOutcome({ request_id: 'r', kind: 'click', value: 1, ts: new Date('2026-01-02T03:04:05Z') })!;
    await client.flush();
    expect(client.stats().dropped.invalid).toBe(1);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(calls[0]!.events[0]).toMatchObject({ type: 'outcome', event_id: id, ts: '2026-01-02T03:04:05.000Z' });
    await client.close();
  });

  it('bounded buffer: drop-oldest keeps the newest, reject refuses the newest', async () => {
    const never = scripted(() => new Promise<Response>(() => undefined));
    const a = new LoopguardClient(opts({ maxBuffer: 10, batchSize: 5, maxInFlight: 1, fetch: never.fn, validate: 'off' }));
    for (let i = 0; i < 30; i++) a.logOutcome({ event_id: `o${i}`, request_id: 'r', kind: 'click', value: 1 });
    await new Promise((r) => setTimeout(r, 50));
    // log() never waits: the buffer held the last 10, the 20 oldest were dropped; then one batch of 5 went out (and
    // hangs) and 5 wait.
    expect(a.stats()).toMatchObject({ accepted: 30, pending: 10, inFlight: 1, dropped: { overflow: 20 } });
    expect(never.calls[0]!.events.map((e) => e.event_id)).toEqual(['o20', 'o21', 'o22', 'o23', 'o24']);
    const b = new LoopguardClient(opts({ maxBuffer: 10, batchSize: 100, overflow: 'reject', fetch: never.fn }));
    const got = Array.from({ length: 12 }, (_, i) => b.logOutcome({ event_id: `o${i}`, request_id: 'r', kind: 'click', value: 1 }));
    expect(got.filter((x) => x === null)).toHaveLength(2);
    expect(b.stats().dropped.overflow).toBe(2);
    const sa = await a.close({ timeoutMs: 0 });
    expect(sa.dropped.closed).toBe(10);
    await b.close({ timeoutMs: 0 });
  });

  it('retries 503 / 500 / network errors with the same body, honouring Retry-After', async () => {
    const { fn, calls } = scripted((call, ev) => {
      if (call === 0) return new Response('{}', { status: 503, headers: { 'retry-after': '0.3' } });
      if (call === 1) return new Response('{}', { status: 500 });
      if (call === 2) return 'network';
      return ok(ev);
    });
    const errors: string[] = [];
    const client = new LoopguardClient(opts({ fetch: fn, retry: { initialDelayMs: 5, maxDelayMs: 20 }, onError: (e) => errors.push(e.kind) }));
    for (let i = 0; i < 3; i++) client.logOutcome({ request_id: 'r', kind: 'click', value: 1 });
    expect(await client.flush(5000)).toBe(true);
    expect(calls).toHaveLength(4);
    expect(new Set(calls.map((c) => c.body)).size).toBe(1);
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(295);
    expect(calls[3]!.at - calls[2]!.at).toBeLessThan(200);
    expect(client.stats()).toMatchObject({ retries: 3, stored: 3, failures: { network: 1, status: 2 } });
    expect(errors).toEqual(['http', 'http', 'network']);
    await client.close();
  });

  it('backoff: full jitter under a cap that doubles (seeded), and maxRetries drops', async () => {
    const { fn, calls } = scripted(() => new Response('{}', { status: 502 }));
    const client = new LoopguardClient(opts({ fetch: fn, rng: createRng(9), retry: { initialDelayMs: 8, maxDelayMs: 64, maxRetries: 6 }, onError: () => undefined }));
    client.logOutcome({ request_id: 'r', kind: 'click', value: 1 });
    await client.flush(5000);
    expect(calls).toHaveLength(7);
    const gaps = calls.slice(1).map((c, i) => c.at - calls[i]!.at);
    const caps = [8, 16, 32, 64, 64, 64];
    gaps.forEach((g, i) => expect(g).toBeLessThan(caps[i]! + 40));
    expect(client.stats()).toMatchObject({ dropped: { retries: 1 }, retries: 6 });
    await client.close();
  });

  it('413 splits the batch; a single event refused with 400 is final', async () => {
    const { fn, calls } = scripted((_, ev) => (ev.length > 4 ? new Response('{}', { status: 413 }) : ev.some((e) => e.event_id === 'bad') ? new Response('{"error":"bad_request"}', { status: 400 }) : ok(ev)));
    const client = new LoopguardClient(opts({ fetch: fn, batchSize: 16, onError: () => undefined, validate: 'off' }));
    for (let i = 0; i < 16; i++) client.logOutcome({ event_id: i === 9 ? 'bad' : `e${i}`, request_id: 'r', kind: 'click', value: 1 });
    await client.flush(5000);
    const st = await client.close();
    expect(st).toMatchObject({ stored: 12, rejected: 4, pending: 0 });
    expect(calls.filter((c) => c.events.length <= 4).length).toBe(4);
    expect(st.rejections.map((r) => r.event_id)).toContain('bad');
  });

  it('401 keeps the events and reports the key', async () => {
    const { fn } = scripted(() => new Response('{"error":"unauthorized"}', { status: 401 }));
    const errors: string[] = [];
    const client = new LoopguardClient(opts({ fetch: fn, retry: { initialDelayMs: 5, maxDelayMs: 50 }, onError: (e) => errors.push(e.kind) }));
    client.logOutcome({ request_id: 'r', kind: 'click', value: 1 });
    expect(await client.flush(200)).toBe(false);
    expect(errors[0]).toBe('auth');
    expect(client.stats()).toMatchObject({ pending: 1, dropped: { retries: 0 } });
    expect((await client.close({ timeoutMs: 0 })).dropped.closed).toBe(1);
  });

  it('log() after close is refused and counted', async () => {
    const client = new LoopguardClient(opts({}));
    await client.close();
    expect(client.logOutcome({ request_id: 'r', kind: 'click', value: 1 })).toBeNull();
    expect(client.stats().dropped.closed).toBe(1);
  });
});

describe('spool', () => {
  it('keeps what was not acknowledged, replays it on the next start, and compacts', async () => {
    const dir = tmpDir('lg-spool-');
    const down = scripted(() => 'network');
    const a = new LoopguardClient({ url: server.url, apiKey: key, spool: dir, fetch: down.fn, onError: () => undefined, retry: { initialDelayMs: 5, maxDelayMs: 10 } });
    const ids = Array.from({ length: 50 }, (_, i) => a.logOutcome({ request_id: `sp-${i}`, kind: 'click', value: i })!);
    await a.close({ timeoutMs: 50 });
    const segs = fs.readdirSync(dir).filter((f) => f.endsWith('.ndjson'));
    const lines = segs.flatMap((f) => fs.readFileSync(path.join(dir, f), 'utf8').trim().split('\n'));
    expect(lines.map((l) => JSON.parse(l).event_id).sort()).toEqual([...ids].sort());
    // A torn last line (a crash inside write) is skipped, not sent, and not reported; a damaged line inside a
    // segment is skipped and reported through onError.
    const first = path.join(dir, segs[0]!);
    const text = fs.readFileSync(first, 'utf8').split('\n');
    fs.writeFileSync(first, [text[0], '{"type":"outc#damaged', ...text.slice(1)].join('\n'));
    fs.appendFileSync(path.join(dir, segs[segs.length - 1]!), '{"type":"outcome","event_id":"torn');
    const errors: string[] = [];
    const b = new LoopguardClient({ url: server.url, apiKey: key, spool: dir, onError: (e) => errors.push(`${e.kind}: ${e.message}`) });
    expect(await b.flush(10_000)).toBe(true);
    const st = await b.close();
    expect(st).toMatchObject({ replayed: 50, stored: 50, accepted: 0 });
    expect(errors).toEqual([`replay: spool segment ${first}: 1 line was not JSON and could not be resent (the file was altered or damaged on disk); the other lines are resent`]);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.ndjson'))).toEqual([]);
    const rows = await server.store.query(`SELECT count(DISTINCT event_id) AS n FROM outcomes WHERE project = 'sdk' AND request_id LIKE 'sp-%'`);
    expect(rows[0]!.n).toBe(50);
  });

  it('truncates the current segment once everything in it is acknowledged, and rolls segments over', async () => {
    const dir = tmpDir('lg-spool-');
    const { fn } = scripted((_, ev) => ok(ev));
    const c = new LoopguardClient(opts({ fetch: fn, spool: { dir, segmentBytes: 2000, fsync: 'always' }, batchSize: 10 }));
    for (let i = 0; i < 100; i++) c.logOutcome({ request_id: `r${i}`, kind: 'click', value: 1 });
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.ndjson')).length).toBeGreaterThan(2);
    await c.flush();
    const left = fs.readdirSync(dir).filter((f) => f.endsWith('.ndjson'));
    expect(left).toHaveLength(1);
    expect(fs.statSync(path.join(dir, left[0]!)).size).toBe(0);
    expect(() => new LoopguardClient(opts({ spool: dir }))).toThrow(/already open/);
    await c.close();
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
