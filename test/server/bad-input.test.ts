/**
 * Every bad input the ingest API must refuse, each with the exact answer it gets. Runs against the real server on
 * loopback with a real DuckDB file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decision, outcome, post, startTestServer } from '../helpers.js';

type Server = Awaited<ReturnType<typeof startTestServer>>;
let server: Server;
let key: string;
let url: string;

beforeAll(async () => {
  server = await startTestServer({ maxBatchEvents: 50, bodyLimit: 256 * 1024 });
  key = await server.key('acme');
  url = `${server.url}/v1/events`;
});
afterAll(async () => server.close());

const shown = (over: Record<string, unknown> = {}) => ({ item_id: 'a', position: 1, propensity: 0.5, explored: false, ...over });
const dayAhead = new Date(Date.now() + 2 * 86400_000).toISOString();
const prediction = (over: Record<string, unknown> = {}) => ({ type: 'prediction', event_id: 'p1', ts: '2026-01-02T00:00:00Z', request_id: 'r1', model_version: 'm1', score: 0.3, ...over });
const label = (over: Record<string, unknown> = {}) => ({ type: 'label', event_id: 'l1', ts: '2026-01-02T00:00:00Z', request_id: 'r1', label: 'spam', source: 'human', ...over });
const LONE = 'contains a lone UTF-16 surrogate (an unpaired \\ud800-\\udfff), which is not Unicode text; send valid UTF-8';
const KINDS = 'click, conversion, dwell_ms, rating, accept, edit, copy, retry, reformulate, abandon, escalate, thumbs_up, thumbs_down';

/** [name, event, expected errors as [path, reason]] — each sent alone, so the batch is answered 422 and nothing is stored. */
const EVENT_CASES: Array<[string, unknown, Array<[string, string]>]> = [
  ['propensity zero', decision({ shown: [shown({ propensity: 0 })] }), [['/shown/0/propensity', 'must be > 0 and <= 1 (got 0)']]],
  ['propensity above one', decision({ shown: [shown({ propensity: 1.5 })] }), [['/shown/0/propensity', 'must be > 0 and <= 1 (got 1.5)']]],
  ['propensity whose inverse overflows (5e-324)', decision({ shown: [shown({ propensity: 5e-324 })] }), [['/shown/0/propensity', 'must be at least 1e-300, or its importance weight 1 / p overflows (got 5e-324)']]],
  ['propensity negative', decision({ shown: [shown({ propensity: -0.2 })] }), [['/shown/0/propensity', 'must be > 0 and <= 1 (got -0.2)']]],
  ['propensity as text', decision({ shown: [shown({ propensity: '0.5' })] }), [['/shown/0/propensity', 'expected a number (got "0.5")']]],
  ['infinite propensity (1e999)', '__INFINITE_PROPENSITY__', [['/shown/0/propensity', 'must be a finite number (got Infinity)']]],
  ['infinite outcome value', '__INFINITE_VALUE__', [['/value', 'must be a finite number (got Infinity)']]],
  ['unknown event type', { ...outcome(), type: 'click' }, [['/type', 'expected one of decision, outcome, prediction, label (got "click")']]],
  ['missing event type', (({ type: _t, ...rest }) => rest)(outcome()), [['/type', 'expected one of decision, outcome, prediction, label (got nothing)']]],
  ['unknown outcome kind', outcome({ kind: 'clack' }), [['/kind', `expected one of ${KINDS} or custom:<name> (got "clack")`]]],
  ['custom kind without a name', outcome({ kind: 'custom:' }), [['/kind', `expected one of ${KINDS} or custom:<name> (got "custom:")`]]],
  ['missing event_id', (({ event_id: _e, ...rest }) => rest)(outcome()), [['/event_id', 'required field is missing']]],
  ['empty event_id', outcome({ event_id: '' }), [['/event_id', 'must not be empty']]],
  ['oversize event_id', outcome({ event_id: 'x'.repeat(129) }), [['/event_id', 'text longer than 128 characters (got 129)']]],
  ['control character in an id', outcome({ request_id: 'r\n1' }), [['/request_id', 'must not contain control characters (got "r\\n1")']]],
  ['lone surrogate in an id', outcome({ event_id: 'X\ud800' }), [['/event_id', LONE]]],
  ['attribute key of 65 characters', decision({ attributes: { ['k'.repeat(65)]: 1 } }), [[`/attributes/${'k'.repeat(65)}`, 'attributes key longer than 64 characters (got 65)']]],
  ['empty attribute key', decision({ attributes: { '': 1 } }), [['/attributes/', 'attributes keys must not be empty']]],
  ['control character in an attribute key', decision({ attributes: { 'a\u0001': 1 } }), [['/attributes/a\u0001', 'attributes key must not contain control characters (got "a\\u0001")']]],
  ['empty class name', prediction({ probabilities: { '': 0.5, no: 0.5 } }), [['/probabilities/', 'probabilities keys must not be empty']]],
  ['lone surrogate in an attribute key', decision({ attributes: { ['k\udfff']: 1 } }), [['/attributes/k\udfff', `key ${LONE}`]]],
  [
    'the same position and item 1,000 times: 10 errors, as for any event',
    decision({ shown: Array.from({ length: 1000 }, () => shown()) }),
    Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? ['/shown/' + (i / 2 + 1) + '/position', 'position 1 is already taken by /shown/0'] : ['/shown/' + ((i + 1) / 2) + '/item_id', 'item "a" is already shown at /shown/0'])) as Array<[string, string]>,
  ],
  ['unparsable timestamp', outcome({ ts: 'yesterday' }), [['/ts', 'not an RFC 3339 timestamp such as 2026-01-02T03:04:05Z (got "yesterday")']]],
  ['impossible date', outcome({ ts: '2026-02-30T00:00:00Z' }), [['/ts', 'not an RFC 3339 timestamp such as 2026-01-02T03:04:05Z (got "2026-02-30T00:00:00Z")']]],
  ['timestamp as a number', outcome({ ts: 1700000000 }), [['/ts', 'not an RFC 3339 timestamp such as 2026-01-02T03:04:05Z (got 1700000000)']]],
  ['timestamp two days ahead', outcome({ ts: dayAhead }), [['/ts', `more than 24 hours in the future (got "${dayAhead}"); check the client's clock and time zone`]]],
  ['unknown strategy', decision({ strategy: 'random' }), [['/strategy', 'expected one of personalized, cold_start, fallback, exploration, holdout (got "random")']]],
  ['nothing shown', decision({ shown: [] }), [['/shown', 'at least 1 entry required (got 0)']]],
  ['too many shown items', decision({ shown: Array.from({ length: 1001 }, (_, i) => shown({ item_id: `i${i}`, position: i })) }), [['/shown', 'at most 1000 entries allowed (got 1001)']]],
  ['shown item without explored', decision({ shown: [{ item_id: 'a', position: 1, propensity: 0.5 }] }), [['/shown/0/explored', 'required field is missing']]],
  ['negative position', decision({ shown: [shown({ position: -1 })] }), [['/shown/0/position', 'must be an integer from 0 to 100000 (got -1)']]],
  ['fractional position', decision({ shown: [shown({ position: 1.5 })] }), [['/shown/0/position', 'must be an integer from 0 to 100000 (got 1.5)']]],
  ['two items in one slot', decision({ shown: [shown(), shown({ item_id: 'b' })] }), [['/shown/1/position', 'position 1 is already taken by /shown/0']]],
  ['one item in two slots', decision({ shown: [shown(), shown({ position: 2 })] }), [['/shown/1/item_id', 'item "a" is already shown at /shown/0']]],
  [
    'misspelt field',
    decision({ shown: [{ item_id: 'a', position: 1, propensty: 0.5, explored: false }] }),
    [['/shown/0/propensity', 'required field is missing'], ['/shown/0/propensty', 'unknown field (check its spelling against docs/events.md)']],
  ],
  ['nested attribute value', decision({ attributes: { a: { b: 1 } } }), [['/attributes/a', 'expected a string, number or boolean (got {"b":1})']]],
  ['too many attributes', decision({ attributes: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, i])) }), [['/attributes', 'at most 100 keys allowed (got 101)']]],
  ['oversize attribute text', decision({ attributes: { k: 'x'.repeat(1025) } }), [['/attributes/k', 'text longer than 1024 characters (got 1025)']]],
  ['oversize user_id', decision({ user_id: 'u'.repeat(257) }), [['/user_id', 'text longer than 256 characters (got 257)']]],
  ['too many candidates', decision({ candidates: Array.from({ length: 10_001 }, (_, i) => `c${i}`) }), [['/candidates', 'at most 10000 entries allowed (got 10001)']]],
  ['prediction predicting nothing', (({ score: _s, ...rest }) => rest)(prediction()), [['/score', 'a prediction needs score or probabilities']]],
  ['class probability above one', prediction({ probabilities: { yes: 1.2, no: 0 } }), [['/probabilities/yes', 'must be a number from 0 to 1 (got 1.2)']]],
  ['unknown label source', label({ source: 'crowd' }), [['/source', 'expected one of user, human, llm, rule (got "crowd")']]],
  ['label missing', (({ label: _l, ...rest }) => rest)(label()), [['/label', 'required field is missing']]],
  ['outcome value as text', outcome({ value: '1' }), [['/value', 'expected a number (got "1")']]],
  ['event that is not an object', 'hello', [['/', 'an event must be a JSON object (got "hello")']]],
  ['an array nested 5,000 deep', '__DEEP__', [['/', 'an event must be a JSON object (got a deeply nested array)']]],
  ['a value nested 50,000 deep', '__DEEP_FIELD__', [['/value', 'expected a number (got a deeply nested array)']]],
  ['null event', null, [['/', 'an event must be a JSON object (got null)']]],
];

describe('POST /v1/events refuses each bad event with its field and reason', () => {
  it.each(EVENT_CASES)('%s', async (_name, event, expected) => {
    let body: string;
    if (event === '__INFINITE_PROPENSITY__') body = JSON.stringify([decision()]).replace('"propensity":0.9', '"propensity":1e999');
    else if (event === '__INFINITE_VALUE__') body = JSON.stringify([outcome()]).replace('"value":1', '"value":1e999');
    else if (event === '__DEEP__') body = `[${'['.repeat(5000)}${']'.repeat(5000)}]`;
    else if (event === '__DEEP_FIELD__') body = JSON.stringify([outcome()]).replace('"value":1', `"value":${'['.repeat(50_000)}${']'.repeat(50_000)}`);
    else body = JSON.stringify([event]);
    const r = await post(url, key, body);
    expect(r.status).toBe(422);
    expect(r.json).toMatchObject({ received: 1, stored: 0, duplicates: 0, rejected: 1 });
    expect(r.json.errors).toEqual(expected.map(([path, reason]) => ({ index: 0, path, reason })));
  });

  it('has at least 30 cases', () => expect(EVENT_CASES.length).toBeGreaterThanOrEqual(30));

  it('stores the valid events of a mixed batch and lists the rejected ones by index', async () => {
    const good = outcome();
    const r = await post(url, key, [good, outcome({ value: 'x' }), decision({ strategy: 'nope' })]);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ received: 3, stored: 1, duplicates: 0, rejected: 2 });
    expect(r.json.errors.map((e: { index: number; path: string }) => [e.index, e.path])).toEqual([[1, '/value'], [2, '/strategy']]);
  });

  it('stores nothing from the rejected cases', async () => {
    const stats = await server.store.projectStats('acme');
    expect(stats.totals).toEqual({ decision: 0, exposure: 0, outcome: 1, prediction: 0, label: 0 });
  });
});

/** Whole requests that are refused before any event is looked at. */
const BODY_CASES: Array<[string, () => Promise<{ status: number; json: any; headers: Headers }>, number, string]> = [
  ['malformed JSON', () => post(url, key, '[{"type": "outcome",'), 400, "Body is not valid JSON but content-type is set to 'application/json'"],
  ['NaN literal', () => post(url, key, '[{"type":"outcome","value":NaN}]'), 400, "Body is not valid JSON but content-type is set to 'application/json'"],
  ['an object, not an array', () => post(url, key, { events: [] }), 400, 'expected a JSON array of events (or NDJSON with one event per line)'],
  ['empty batch', () => post(url, key, []), 400, 'the batch is empty'],
  ['empty body', () => post(url, key, ''), 400, 'the body is empty; send an array of events'],
  ['more events than a batch holds', () => post(url, key, Array.from({ length: 51 }, () => outcome())), 413, 'a batch holds at most 50 events (got 51); split it'],
  ['body over the size limit', () => post(url, key, `[${' '.repeat(300 * 1024)}]`), 413, `request body exceeds ${256 * 1024} bytes; send smaller batches`],
  ['unsupported content type', () => post(url, key, '<events/>', 'application/xml'), 415, 'send application/json (an array of events) or application/x-ndjson (one event per line)'],
  ['JSON sent as text/plain', () => post(url, key, JSON.stringify([outcome()]), 'text/plain'), 415, 'send application/json (an array of events) or application/x-ndjson (one event per line)'],
  ['NDJSON with a broken line', () => post(url, key, `${JSON.stringify(outcome())}\n{"type":\n`, 'application/x-ndjson'), 400, "line 2 of the NDJSON body is not valid JSON: Unexpected end of JSON input"],
  ['no API key', () => post(url, null, [outcome()]), 401, 'send an API key as "Authorization: Bearer <key>" (create one with: loopguard keys create --project <name>)'],
  ['unknown API key', () => post(url, 'lg_nope', [outcome()]), 401, 'unknown or revoked API key'],
];

describe('POST /v1/events refuses bad requests as a whole, with a reason and no stack trace', () => {
  it.each(BODY_CASES)('%s', async (_name, send, status, message) => {
    const r = await send();
    expect(r.status).toBe(status);
    expect(r.json.message).toBe(message);
    expect(JSON.stringify(r.json)).not.toMatch(/\bat .*\.(js|ts):\d+/);
  });

  it('accepts NDJSON', async () => {
    const r = await post(url, key, [outcome(), outcome()].map((e) => JSON.stringify(e)).join('\n') + '\n', 'application/x-ndjson');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ received: 2, stored: 2, rejected: 0 });
  });
});
